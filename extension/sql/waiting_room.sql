
-- ============================================================================
-- waiting_room.sql: the on-sale waiting room (README: "The waiting room").
--
-- A performance with a queue lets at most max_active logged-in users shop at
-- once. Everyone else waits in line, first come first served, except that
-- those who arrive in the pre-queue (before sales open) are shuffled once,
-- when sales open, by a seed whose hash was published before anyone arrived.
--
-- Why it holds under load:
--   * entering is one read and one INSERT (enter_queue.cpp; the unique key
--     (performance_id, user_id) makes a second entry impossible); nobody
--     updates a shared row to enter;
--   * places in line (line) are given in batches, in arrival order, by the
--     one transaction that advances the line (_advance_queue); it runs under
--     a try-lock, so callers never wait for it, and at most every 100 ms;
--   * a poll reads three rows by primary key (the entry, its queue, its
--     performance: _queue_standings), in C++ without SQL: the position is
--     line - admitted_through, O(1) in the number of people waiting; callers
--     only ask for the line to move when it is due (_queue_due), and then
--     under a try-lock;
--   * a slot is taken while an entry is active and its active_until has not
--     passed (the rule of _entry_state): an active stay that ran out frees
--     its slot that instant, before anyone tidies it up.
-- The gate is a trigger on reservations: with the queue on, a hold for a
-- user without an active entry is refused whoever writes it, and a hold
-- extends the stay to the hold's expiry; a sale marks the entry used.
-- ============================================================================

CREATE TYPE boxoffice.queue_entry_state AS ENUM ('waiting', 'active', 'used', 'left', 'expired');

CREATE TABLE boxoffice.queues (
  performance_id        bigint PRIMARY KEY REFERENCES boxoffice.performances,
  enabled               boolean NOT NULL DEFAULT true,
  max_active            int NOT NULL DEFAULT 100 CHECK (max_active BETWEEN 1 AND 100000),
  admissions_per_minute int CHECK (admissions_per_minute BETWEEN 1 AND 1000000),
  active_stay           interval NOT NULL DEFAULT '2 minutes'
                          CHECK (active_stay BETWEEN interval '10 seconds' AND interval '1 hour'),
  prequeue_lead         interval NOT NULL DEFAULT '30 minutes'
                          CHECK (prequeue_lead BETWEEN interval '0' AND interval '7 days'),
  -- the shuffle of the pre-queue: its seed is secret until sales open; its
  -- hash is public from the start, so the seed cannot be chosen afterwards
  seed                  bytea NOT NULL,
  seed_commitment       bytea NOT NULL,
  -- kept by _advance_queue alone
  opened_at             timestamptz,              -- when the pre-queue was shuffled
  numbered_through      bigint NOT NULL DEFAULT 0, -- the last place in line given
  admitted_through      bigint NOT NULL DEFAULT 0, -- the place of the last one admitted
  sold_out              boolean NOT NULL DEFAULT false,
  admitted_last_minute  int NOT NULL DEFAULT 0,
  advanced_at           timestamptz,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  -- kept by _advance_queue: the newest entry given a place (0.4.2)
  last_numbered_entry   bigint NOT NULL DEFAULT 0,
  CHECK (seed_commitment = sha256(seed))
);

-- No foreign key to queues: its check would lock the queue row on every
-- entry, the one row the whole crowd shares.
CREATE TABLE boxoffice.queue_entries (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  performance_id bigint NOT NULL,
  user_id        bigint NOT NULL REFERENCES boxoffice.users,
  state          boxoffice.queue_entry_state NOT NULL DEFAULT 'waiting',
  prequeue       boolean NOT NULL,   -- arrived before the shuffle: its place is drawn
  line           bigint,             -- place in line; NULL until given
  entered_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  admitted_at    timestamptz,
  active_until   timestamptz,
  ended_at       timestamptz,
  -- the secret half of the entry's token (_queue_token): random, so a token
  -- is checked by comparing, not by hashing on every poll
  token_secret   bytea NOT NULL DEFAULT uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()),
  UNIQUE (performance_id, user_id),
  UNIQUE (performance_id, line),
  CONSTRAINT admitted_has_stay CHECK ((admitted_at IS NULL) = (active_until IS NULL)),
  CONSTRAINT active_was_admitted CHECK (state <> 'active' OR (admitted_at IS NOT NULL AND line IS NOT NULL)),
  CONSTRAINT ended_has_ended_at CHECK ((state IN ('used', 'left', 'expired')) = (ended_at IS NOT NULL))
);
-- The unique key (performance_id, line) is also how the line is read: the
-- next to admit are the waiting past admitted_through, the arrivals without
-- a place are its NULL lines. (Entering maintains no other index for it.)
CREATE INDEX queue_entries_active ON boxoffice.queue_entries (performance_id, active_until) WHERE state = 'active';
CREATE INDEX queue_entries_admitted ON boxoffice.queue_entries (performance_id, admitted_at) WHERE admitted_at IS NOT NULL;

CREATE TRIGGER touch BEFORE UPDATE ON boxoffice.queues FOR EACH ROW EXECUTE FUNCTION boxoffice._touch_updated_at();

-- The rules of a turn live in one place, extension/src/queue_ticket.cpp:
-- what an entry is at time t (active until its stay ends, then expired;
-- waiting, or sold_out when nothing is left to sell), when a line is due to
-- move (at most every boxoffice.queue_pause; tests make it 0), what a token
-- is (q<entry id>.<its random secret in hex>) and what a ticket says.
CREATE FUNCTION boxoffice._entry_state(state boxoffice.queue_entry_state, active_until timestamptz, sold_out boolean, t timestamptz)
RETURNS text LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'boxoffice_entry_state';
CREATE FUNCTION boxoffice._queue_due(advanced_at timestamptz, t timestamptz) RETURNS boolean
LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'boxoffice_queue_due';
CREATE FUNCTION boxoffice._queue_token(entry_id bigint, token_secret bytea) RETURNS text
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'boxoffice_queue_token';
-- the entry id a token names; NULL when it is not of a token's form
CREATE FUNCTION boxoffice._queue_entry_id(token text) RETURNS bigint
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'boxoffice_queue_entry_id';

-- What a buyer gets back from enter_queue, queue_status and leave_queue.
CREATE TYPE boxoffice.queue_ticket AS (
  token                  text,
  performance_id         bigint,
  state                  text,
  "position"             bigint,
  estimated_wait_seconds int,
  active_until           timestamptz,
  poll_after_seconds     int
);

-- Moves the line of one queue: shuffles the pre-queue when sales open, gives
-- places to new arrivals, admits the next in line into free slots, and notes
-- whether anything is left to sell. One transaction at a time does it (a
-- try-lock: the others go on without waiting), when it is due (_queue_due)
-- unless a slot was just freed (force).
CREATE FUNCTION boxoffice._advance_queue(performance_id bigint, force boolean DEFAULT false) RETURNS void
LANGUAGE plpgsql SET search_path = boxoffice, pg_temp AS $$
DECLARE
  q queues;
  p performances;
  v_now timestamptz;
  v_free int;
  v_last bigint;
BEGIN
  -- advisory key space 1004 (objsubid 2): the queue's admitter; 1005: its pre-queue gate
  IF NOT pg_try_advisory_xact_lock(1004, _advance_queue.performance_id::int) THEN
    RETURN;
  END IF;
  SELECT * INTO q FROM queues WHERE queues.performance_id = _advance_queue.performance_id;
  v_now := clock_timestamp();
  IF NOT FOUND OR NOT q.enabled OR (NOT force AND NOT _queue_due(q.advanced_at, v_now)) THEN
    RETURN;
  END IF;
  SELECT * INTO p FROM performances WHERE id = q.performance_id;
  IF v_now < p.sales_opens_at THEN
    RETURN;
  END IF;

  IF q.opened_at IS NULL THEN
    -- wait for pre-queue arrivals still in flight; later ones are not pre-queue
    PERFORM pg_advisory_xact_lock(1005, q.performance_id::int);
    UPDATE queue_entries e SET line = d.line
      FROM (SELECT x.id, row_number() OVER (ORDER BY sha256(q.seed || int8send(x.id))) AS line
              FROM queue_entries x WHERE x.performance_id = q.performance_id AND x.prequeue) d
     WHERE e.id = d.id;
    SELECT count(*), coalesce(max(x.id), 0) INTO q.numbered_through, q.last_numbered_entry
      FROM queue_entries x WHERE x.performance_id = q.performance_id AND x.prequeue;
    q.opened_at := v_now;
  END IF;

  -- places for those who came after the shuffle, in the order they entered
  WITH arrivals AS (
    SELECT x.id, q.numbered_through + row_number() OVER (ORDER BY x.id) AS line
      FROM queue_entries x WHERE x.performance_id = q.performance_id AND x.state = 'waiting' AND x.line IS NULL),
  numbered AS (
    UPDATE queue_entries e SET line = a.line FROM arrivals a WHERE e.id = a.id RETURNING e.id, e.line)
  SELECT coalesce(max(line), q.numbered_through), greatest(q.last_numbered_entry, coalesce(max(id), 0))
    INTO q.numbered_through, q.last_numbered_entry FROM numbered;

  -- nothing left to sell: every seat is sold (a hold may still expire)
  q.sold_out := NOT EXISTS (
    SELECT FROM seats s WHERE s.performance_id = q.performance_id
       AND NOT EXISTS (SELECT FROM seat_claims cl JOIN reservations r ON r.id = cl.reservation_id
                        WHERE cl.seat_id = s.id AND r.status = 'confirmed'));

  -- stays that ran out end here. The UPDATE waits for a hold extending one of
  -- them right now and sees its new end: a stay is either extended or freed,
  -- never both (counting alone would free a slot a hold is keeping).
  UPDATE queue_entries x SET state = 'expired', ended_at = x.active_until
   WHERE x.performance_id = q.performance_id AND x.state = 'active' AND x.active_until <= v_now;

  IF NOT q.sold_out AND p.status = 'scheduled' AND v_now < p.sales_closes_at THEN
    v_free := q.max_active - (SELECT count(*) FROM queue_entries x
                               WHERE x.performance_id = q.performance_id AND x.state = 'active' AND x.active_until > v_now);
    IF q.admissions_per_minute IS NOT NULL THEN
      v_free := least(v_free, q.admissions_per_minute - (SELECT count(*) FROM queue_entries x
                                                          WHERE x.performance_id = q.performance_id
                                                            AND x.admitted_at > v_now - interval '1 minute'));
    END IF;
    IF v_free > 0 THEN
      v_now := clock_timestamp();  -- the moment of admission: after the slots were seen free
      WITH next AS (
        SELECT x.id FROM queue_entries x
         WHERE x.performance_id = q.performance_id AND x.state = 'waiting' AND x.line > q.admitted_through
         ORDER BY x.line LIMIT v_free FOR UPDATE),
      admitted AS (
        UPDATE queue_entries e SET state = 'active', admitted_at = v_now, active_until = v_now + q.active_stay
          FROM next WHERE e.id = next.id AND e.state = 'waiting' RETURNING e.line)
      SELECT max(line) INTO v_last FROM admitted;
      q.admitted_through := greatest(q.admitted_through, coalesce(v_last, 0));
    END IF;
  END IF;

  UPDATE queues SET opened_at = q.opened_at, numbered_through = q.numbered_through, admitted_through = q.admitted_through,
                    last_numbered_entry = q.last_numbered_entry, sold_out = q.sold_out, advanced_at = v_now,
                    admitted_last_minute = (SELECT count(*) FROM queue_entries x
                                             WHERE x.performance_id = q.performance_id
                                               AND x.admitted_at > v_now - interval '1 minute')
   WHERE queues.performance_id = q.performance_id;
END $$;

-- Where an entry stands: the entry with what its ticket is computed from
-- (its queue, its performance's opening), one read by primary keys.
CREATE VIEW boxoffice._queue_standings AS
SELECT e.id AS entry_id, e.performance_id, e.user_id, e.state, e.prequeue, e.line, e.active_until, e.token_secret,
       q.sold_out, q.numbered_through, q.admitted_through, q.last_numbered_entry, q.admitted_last_minute,
       q.max_active, q.admissions_per_minute, q.active_stay, q.advanced_at, p.sales_opens_at
  FROM boxoffice.queue_entries e
  JOIN boxoffice.queues q ON q.performance_id = e.performance_id
  JOIN boxoffice.performances p ON p.id = e.performance_id;

-- The entry a token names, if it is the caller's; one error for unknown,
-- malformed and foreign tokens, so a token tells nothing about others.
-- (The helpers of the buyer's calls pin no search_path of their own: they
-- run inside the API functions', and a setting would cost every poll.)
CREATE FUNCTION boxoffice._entry_of(token text, user_id bigint) RETURNS boxoffice._queue_standings
LANGUAGE plpgsql STABLE AS $$
DECLARE
  s boxoffice._queue_standings;
BEGIN
  SELECT * INTO s FROM boxoffice._queue_standings x
   WHERE x.entry_id = boxoffice._queue_entry_id(token) AND boxoffice._queue_token(x.entry_id, x.token_secret) = token
     AND x.user_id = boxoffice._acting_user(_entry_of.user_id);
  IF NOT FOUND THEN
    RAISE EXCEPTION 'queue entry not found' USING ERRCODE = boxoffice._sqlstate('queue_entry_not_found'),
      DETAIL = 'No entry of yours in a waiting room has this token.', HINT = 'Enter the queue of the performance to get your token.';
  END IF;
  RETURN s;
END $$;

-- An entry as its owner sees it at time t: state, place, estimated wait
-- (from the admissions of the last minute, or before any from the slots'
-- turnover), and when to ask again (queue_ticket.cpp).
CREATE FUNCTION boxoffice._queue_ticket(s boxoffice._queue_standings, t timestamptz) RETURNS boxoffice.queue_ticket
LANGUAGE c STABLE STRICT AS 'MODULE_PATHNAME', 'boxoffice_queue_ticket';

-- Everyone arriving at an on-sale enters at once: enter_queue.cpp checks the
-- performance, its queue, the user and an entry already there in one read,
-- inserts, and moves the line only when it is due. (enable_seqscan off, as
-- for the engine: its plans are made once, maybe while the tables are empty.)
CREATE FUNCTION boxoffice.enter_queue(performance_id bigint, user_id bigint DEFAULT NULL) RETURNS boxoffice.queue_ticket
LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_enter_queue';
COMMENT ON FUNCTION boxoffice.enter_queue IS 'enters the waiting room of a performance (logged-in users; entering again returns the same entry and token)';

-- Everyone waiting polls: queue_status.cpp reads the entry, its queue and its
-- performance by primary key without SQL, and moves the line when it is due.
-- The one SECURITY DEFINER function without SET search_path (0.5.2): setting
-- and resetting it cost a tenth of a poll. Its C++ names every table by
-- schema, and the SQL it runs sees search_path = boxoffice, pg_temp
-- (PinnedSearchPath, spi.hpp); pgTAP 02_privileges and pg_regress security
-- allow this function alone, and waiting_room checks a hostile search_path.
CREATE FUNCTION boxoffice.queue_status(token text, user_id bigint DEFAULT NULL) RETURNS boxoffice.queue_ticket
LANGUAGE c VOLATILE SECURITY DEFINER AS 'MODULE_PATHNAME', 'boxoffice_queue_status';
COMMENT ON FUNCTION boxoffice.queue_status IS 'where a queue entry stands: waiting (position, estimated wait), active (until), used, left, expired or sold_out; polling moves the line';

CREATE FUNCTION boxoffice.leave_queue(token text, user_id bigint DEFAULT NULL) RETURNS boxoffice.queue_ticket
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
DECLARE
  s _queue_standings := _entry_of(token, user_id);
BEGIN
  UPDATE queue_entries x SET state = 'left', ended_at = clock_timestamp()
   WHERE x.id = s.entry_id AND (x.state = 'waiting' OR (x.state = 'active' AND x.active_until > clock_timestamp()));
  IF FOUND THEN
    PERFORM _advance_queue(s.performance_id, force => true);  -- the freed slot goes to the next in line now
  END IF;
  SELECT * INTO s FROM _queue_standings x WHERE x.entry_id = s.entry_id;
  RETURN _queue_ticket(s, clock_timestamp());
END $$;
COMMENT ON FUNCTION boxoffice.leave_queue IS 'leaves the waiting room; an active slot goes to the next in line at once; leaving again changes nothing';

-- The settings of a queue, as set_queue and queue_settings return them.
CREATE FUNCTION boxoffice._queue_settings(performance_id bigint) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = boxoffice, pg_temp AS $$
  SELECT jsonb_build_object('performance_id', q.performance_id, 'enabled', q.enabled, 'max_active', q.max_active,
                            'admissions_per_minute', q.admissions_per_minute,
                            'active_stay_seconds', extract(epoch FROM q.active_stay)::int,
                            'prequeue_lead_seconds', extract(epoch FROM q.prequeue_lead)::int,
                            'prequeue_opens_at', p.sales_opens_at - q.prequeue_lead, 'sales_opens_at', p.sales_opens_at,
                            'seed_commitment', encode(q.seed_commitment, 'hex'), 'opened_at', q.opened_at)
    FROM queues q JOIN performances p ON p.id = q.performance_id WHERE q.performance_id = _queue_settings.performance_id
$$;

CREATE FUNCTION boxoffice.set_queue(performance_id bigint, enabled boolean DEFAULT NULL, max_active int DEFAULT NULL,
                                    admissions_per_minute int DEFAULT NULL, active_stay interval DEFAULT NULL,
                                    prequeue_lead interval DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
DECLARE
  v_seed bytea := gen_random_uuid()::text::bytea || int8send((random() * 9e18)::bigint);
BEGIN
  PERFORM _live_performance(performance_id);
  IF max_active IS NOT NULL AND max_active NOT BETWEEN 1 AND 100000 THEN
    RAISE EXCEPTION 'invalid max active' USING ERRCODE = _sqlstate('invalid_argument'), DETAIL = format('max_active must be between 1 and 100000; got %s.', max_active);
  END IF;
  IF admissions_per_minute IS NOT NULL AND admissions_per_minute NOT BETWEEN 0 AND 1000000 THEN
    RAISE EXCEPTION 'invalid admissions per minute' USING ERRCODE = _sqlstate('invalid_argument'),
      DETAIL = format('admissions_per_minute must be between 1 and 1000000, or 0 for no limit; got %s.', admissions_per_minute);
  END IF;
  IF active_stay IS NOT NULL AND active_stay NOT BETWEEN interval '10 seconds' AND interval '1 hour' THEN
    RAISE EXCEPTION 'invalid active stay' USING ERRCODE = _sqlstate('invalid_argument'), DETAIL = format('active_stay must be between 10 seconds and 1 hour; got %s.', active_stay);
  END IF;
  IF prequeue_lead IS NOT NULL AND prequeue_lead NOT BETWEEN interval '0' AND interval '7 days' THEN
    RAISE EXCEPTION 'invalid pre-queue lead' USING ERRCODE = _sqlstate('invalid_argument'), DETAIL = format('prequeue_lead must be between 0 and 7 days; got %s.', prequeue_lead);
  END IF;
  -- the seed is drawn once, when the queue is made, and never changes
  v_seed := sha256(_secret('queue_seed') || v_seed || int8send(performance_id));
  INSERT INTO queues AS q (performance_id, enabled, max_active, admissions_per_minute, active_stay, prequeue_lead, seed, seed_commitment)
  VALUES (set_queue.performance_id, coalesce(set_queue.enabled, true), coalesce(set_queue.max_active, 100),
          nullif(set_queue.admissions_per_minute, 0), coalesce(set_queue.active_stay, interval '2 minutes'),
          coalesce(set_queue.prequeue_lead, interval '30 minutes'), v_seed, sha256(v_seed))
  ON CONFLICT ON CONSTRAINT queues_pkey DO UPDATE
     SET enabled = coalesce(set_queue.enabled, q.enabled), max_active = coalesce(set_queue.max_active, q.max_active),
         admissions_per_minute = CASE WHEN set_queue.admissions_per_minute IS NULL THEN q.admissions_per_minute
                                      ELSE nullif(set_queue.admissions_per_minute, 0) END,
         active_stay = coalesce(set_queue.active_stay, q.active_stay), prequeue_lead = coalesce(set_queue.prequeue_lead, q.prequeue_lead);
  PERFORM _advance_queue(performance_id, force => true);  -- a larger limit admits at once
  RETURN _queue_settings(performance_id);
END $$;
COMMENT ON FUNCTION boxoffice.set_queue IS 'creates or changes the waiting room of a performance; NULL keeps a setting; admissions_per_minute 0 removes the rate limit';

CREATE FUNCTION boxoffice.queue_settings(performance_id bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
BEGIN
  PERFORM _live_performance(performance_id);
  RETURN coalesce(_queue_settings(performance_id), jsonb_build_object('performance_id', performance_id, 'enabled', false));
END $$;
COMMENT ON FUNCTION boxoffice.queue_settings IS 'the waiting room settings of a performance (enabled false when it has none)';

-- What anyone may know about a queue: its settings, its size, and the draw:
-- the seed's hash from the start, the seed itself once sales open.
CREATE FUNCTION boxoffice.queue_info(performance_id bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
DECLARE
  p _visible_performances := _visible_performance(performance_id);
BEGIN
  RETURN (SELECT coalesce(_queue_settings(p.id), jsonb_build_object('performance_id', p.id, 'enabled', false))
                 || jsonb_build_object('seed', CASE WHEN q.opened_at IS NOT NULL THEN encode(q.seed, 'hex') END,
                                       'waiting', o.waiting, 'active', o.active)
            FROM (SELECT 1) one
            LEFT JOIN queues q ON q.performance_id = p.id
            LEFT JOIN queue_overview o ON o.performance_id = p.id);
END $$;
COMMENT ON FUNCTION boxoffice.queue_info IS 'a waiting room as anyone may see it: settings, people waiting and active, the seed commitment and (once sales open) the seed';

-- The pre-queue's draw, once sales opened: each pre-queue entry and the place
-- it drew. Anyone can recompute it from the seed (README: "Checking the draw").
CREATE FUNCTION boxoffice.queue_draw(performance_id bigint) RETURNS TABLE (entry_id bigint, line bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
BEGIN
  PERFORM _visible_performance(performance_id);
  RETURN QUERY
  SELECT e.id, e.line FROM queue_entries e JOIN queues q ON q.performance_id = e.performance_id
   WHERE e.performance_id = queue_draw.performance_id AND e.prequeue AND q.opened_at IS NOT NULL
   ORDER BY e.line;
END $$;
COMMENT ON FUNCTION boxoffice.queue_draw IS 'the places the pre-queue drew at opening (entry id, place); recompute them from the revealed seed';

-- One row per queue, for DBAs.
CREATE VIEW boxoffice.queue_overview AS
SELECT q.performance_id, q.enabled, q.max_active, q.admissions_per_minute,
       n.waiting, n.active, n.admitted_last_minute,
       make_interval(secs => ceil(n.waiting / CASE WHEN n.admitted_last_minute > 0 THEN n.admitted_last_minute / 60.0
                                                   ELSE q.max_active / extract(epoch FROM q.active_stay) END)) AS wait_at_back,
       q.sold_out, q.opened_at
  FROM queues q
 CROSS JOIN LATERAL (
   SELECT count(*) FILTER (WHERE _entry_state(e.state, e.active_until, false, statement_timestamp()) = 'waiting') AS waiting,
          count(*) FILTER (WHERE _entry_state(e.state, e.active_until, false, statement_timestamp()) = 'active') AS active,
          count(*) FILTER (WHERE e.admitted_at > statement_timestamp() - interval '1 minute') AS admitted_last_minute
     FROM queue_entries e WHERE e.performance_id = q.performance_id) n;
COMMENT ON VIEW boxoffice.queue_overview IS 'each waiting room: people waiting and active, admitted in the last minute, the estimated wait at the back';

-- The gate. A hold of a performance whose queue is on needs the user's
-- active entry, and extends its stay until the hold ends. A restore (pg_dump's
-- scripts run with row_security off) brings back rows, not new holds.
CREATE FUNCTION boxoffice._queue_gate() RETURNS trigger
LANGUAGE plpgsql SET search_path = boxoffice, pg_temp AS $$
BEGIN
  IF NOT EXISTS (SELECT FROM queues q WHERE q.performance_id = NEW.performance_id AND q.enabled)
     OR current_setting('row_security') = 'off' THEN
    RETURN NEW;
  END IF;
  UPDATE queue_entries e SET active_until = greatest(e.active_until, NEW.expires_at)
   WHERE e.performance_id = NEW.performance_id AND e.user_id = NEW.user_id
     AND e.state = 'active' AND e.active_until > clock_timestamp();
  IF NOT FOUND THEN
    RAISE EXCEPTION 'it is not your turn to buy yet' USING ERRCODE = _sqlstate('queue_turn_required'),
      DETAIL = format('Performance %s sells through its waiting room: holding seats needs your active turn.', NEW.performance_id),
      HINT = CASE WHEN NEW.user_id IS NULL THEN 'Log in and enter the queue.' ELSE 'Enter the queue and wait until your entry is active.' END;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER queue_gate BEFORE INSERT ON boxoffice.reservations
  FOR EACH ROW WHEN (NEW.status = 'hold') EXECUTE FUNCTION boxoffice._queue_gate();

-- A sale uses the buyer's turn: the slot is free for the next in line.
CREATE FUNCTION boxoffice._queue_turn_used() RETURNS trigger
LANGUAGE plpgsql SET search_path = boxoffice, pg_temp AS $$
BEGIN
  -- Most sales have no turn to use: one probe of the entry's unique key first,
  -- so that they do not lock the queue's table and all its indexes for an UPDATE.
  IF EXISTS (SELECT FROM queue_entries e WHERE e.performance_id = NEW.performance_id AND e.user_id = NEW.user_id
                AND e.state = 'active') THEN
    UPDATE queue_entries e SET state = 'used', ended_at = clock_timestamp()
     WHERE e.performance_id = NEW.performance_id AND e.user_id = NEW.user_id AND e.state = 'active';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER queue_turn_used AFTER UPDATE OF status ON boxoffice.reservations
  FOR EACH ROW WHEN (NEW.status = 'confirmed' AND OLD.status = 'hold' AND NEW.user_id IS NOT NULL)
  EXECUTE FUNCTION boxoffice._queue_turn_used();

-- The queue's history, for check_invariants(): no one admitted while someone
-- ahead still waited (each entry's turn: when admitted, or when it left
-- waiting), and never more active at once than the limit.
CREATE VIEW boxoffice._queue_faults AS
SELECT 'queue_admitted_out_of_order' AS violation, 'queue entry ' || t.id AS object,
       format('admitted at place %s while someone ahead was still waiting (performance %s)', t.line, t.performance_id) AS detail
  FROM (SELECT e.id, e.line, e.performance_id, e.admitted_at,
               max(coalesce(e.admitted_at, CASE WHEN e.state = 'left' THEN e.ended_at END, 'infinity'))
                 OVER (PARTITION BY e.performance_id ORDER BY e.line ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS latest_ahead
          FROM queue_entries e WHERE e.line IS NOT NULL) t
 WHERE t.admitted_at IS NOT NULL AND t.latest_ahead > t.admitted_at
UNION ALL
SELECT 'queue_over_limit', 'performance ' || c.performance_id,
       format('%s active at %s, the limit is %s', c.active, c.at, q.max_active)
  FROM (SELECT performance_id, at, sum(delta) OVER (PARTITION BY performance_id ORDER BY at, delta) AS active
          FROM (SELECT e.performance_id, e.admitted_at AS at, 1 AS delta FROM queue_entries e WHERE e.admitted_at IS NOT NULL
                UNION ALL
                SELECT e.performance_id, least(e.active_until, coalesce(e.ended_at, 'infinity')), -1
                  FROM queue_entries e WHERE e.admitted_at IS NOT NULL) ev) c
  JOIN queues q ON q.performance_id = c.performance_id
 WHERE c.active > q.max_active;
