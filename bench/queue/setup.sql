-- Data of the waiting-room benchmark: one performance of seed 003's KSPO DOME,
-- on sale now, selling through a waiting room (the defaults: 100 shop at
-- once, 2-minute stays), and :users registered users.
--   psql -v users=100000 -v password=... -f bench/queue/setup.sql
\set ON_ERROR_STOP on
\set shows 1
\ir ../seed003-shows.sql
SELECT min(id) AS perf FROM boxoffice.performances \gset
SELECT boxoffice.set_queue(:perf) IS NOT NULL AS queued;

-- The users, in one INSERT as the owner: register_user() computes a bcrypt
-- hash each (tens of ms), hours for 100,000. They share one real hash. In
-- order, so that user n has id first_user + n - 1 (checked below).
INSERT INTO boxoffice.users (email, name, password_hash)
SELECT format('fan%s@queue.example', n), format('Fan %s', n), h.hash
  FROM generate_series(1, :users) n, (SELECT boxoffice._hash_secret('queue-bench-password') AS hash) h
 ORDER BY n;

CREATE SCHEMA bench_queue;
CREATE TABLE bench_queue.layout AS
SELECT :perf::bigint AS performance_id, min(id) AS first_user, count(*) AS users FROM boxoffice.users;
DO $$
BEGIN
  IF (SELECT max(id) - min(id) + 1 FROM boxoffice.users) <> (SELECT users FROM bench_queue.layout) THEN
    RAISE EXCEPTION 'user ids are not contiguous, as enter.pgbench assumes';
  END IF;
END $$;

-- Each user's token, filled in after the entries (by the owner, unmeasured):
-- a real client keeps the token enter_queue gave it.
CREATE TABLE bench_queue.tokens (n int PRIMARY KEY, user_id bigint NOT NULL, token text NOT NULL);

-- The application's login: a member of boxoffice_app and nothing else, as
-- security.sql prescribes. It names its customer with user_id (the SQL API;
-- over HTTP the shim sets request.jwt.claims instead).
CREATE ROLE bench_queue_app LOGIN IN ROLE boxoffice_app PASSWORD :'password';
GRANT USAGE ON SCHEMA bench_queue TO bench_queue_app;
GRANT SELECT ON bench_queue.tokens TO bench_queue_app;

VACUUM ANALYZE;
