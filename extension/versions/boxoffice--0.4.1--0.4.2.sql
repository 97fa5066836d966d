-- boxoffice 0.4.1 -> 0.4.2: the waiting room's buyer calls read less.
--   * queue_status is C++ (queue_status.cpp): it reads the entry and its
--     queue by primary key without SQL, and asks the line to move only when
--     that is due (_queue_due);
--   * enter_queue is C++ (enter_queue.cpp): one read of all it checks, the
--     INSERT, and an advance only when due;
--   * the rules of a turn (_entry_state, _queue_due, _queue_token,
--     _queue_entry_id, _queue_ticket) are C++ too, in one place
--     (queue_ticket.cpp), for SQL and C++ callers alike;
--   * a token's secret half is random and kept in its entry, so a poll
--     compares it instead of hashing (SHA-256 cost ~20 us a call here); the
--     entries made before keep their tokens: their secret is the old hash;
--   * an arrival's place before the line numbers it is estimated from entry
--     ids (queues.last_numbered_entry), not counted;
--   * entering maintains two indexes fewer: the line is read through the
--     unique key (performance_id, line), so queue_entries_waiting and
--     queue_entries_unnumbered go;
--   * queue_draw of an unknown performance is TK001, as everywhere.
\echo Use "ALTER EXTENSION boxoffice UPDATE TO '0.4.2'" to load this file. \quit

-- Each new column is filled by an UPDATE rather than a constant default, so
-- that no "missing value" stays behind: the schema equals a fresh install's.
-- The queues' updated_at stays as it was: this is not a change of settings.
ALTER TABLE boxoffice.queues DISABLE TRIGGER touch;
ALTER TABLE boxoffice.queues ADD COLUMN last_numbered_entry bigint;
UPDATE boxoffice.queues q
   SET last_numbered_entry = coalesce((SELECT max(e.id) FROM boxoffice.queue_entries e
                                        WHERE e.performance_id = q.performance_id AND e.line IS NOT NULL), 0);
ALTER TABLE boxoffice.queues
  ALTER COLUMN last_numbered_entry SET DEFAULT 0,
  ALTER COLUMN last_numbered_entry SET NOT NULL;
ALTER TABLE boxoffice.queues ENABLE TRIGGER touch;
DROP INDEX boxoffice.queue_entries_unnumbered, boxoffice.queue_entries_waiting;

-- A random secret for every entry (the volatile default rewrites the table);
-- the tokens given out so far stay valid: their secret half was this hash of
-- the key 'queue_token' (there is no such key if no token was ever given).
ALTER TABLE boxoffice.queue_entries
  ADD COLUMN token_secret bytea NOT NULL DEFAULT uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid());
UPDATE boxoffice.queue_entries e SET token_secret = sha256(k.value || int8send(e.id))
  FROM boxoffice.secrets k WHERE k.name = 'queue_token';

DROP FUNCTION boxoffice._entry_of(text, bigint);
DROP FUNCTION boxoffice._queue_ticket(boxoffice.queue_entries);
DROP FUNCTION boxoffice._queue_token(bigint);

-- The rules of a turn move to C++ (extension/src/queue_ticket.cpp).

CREATE OR REPLACE FUNCTION boxoffice._entry_state(state boxoffice.queue_entry_state, active_until timestamptz, sold_out boolean, t timestamptz)
RETURNS text LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'boxoffice_entry_state';

CREATE FUNCTION boxoffice._queue_due(advanced_at timestamptz, t timestamptz) RETURNS boolean
LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'boxoffice_queue_due';

CREATE FUNCTION boxoffice._queue_token(entry_id bigint, token_secret bytea) RETURNS text
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'boxoffice_queue_token';

CREATE FUNCTION boxoffice._queue_entry_id(token text) RETURNS bigint
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'boxoffice_queue_entry_id';

CREATE OR REPLACE FUNCTION boxoffice._advance_queue(performance_id bigint, force boolean DEFAULT false) RETURNS void
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

CREATE VIEW boxoffice._queue_standings AS
SELECT e.id AS entry_id, e.performance_id, e.user_id, e.state, e.prequeue, e.line, e.active_until, e.token_secret,
       q.sold_out, q.numbered_through, q.admitted_through, q.last_numbered_entry, q.admitted_last_minute,
       q.max_active, q.admissions_per_minute, q.active_stay, q.advanced_at, p.sales_opens_at
  FROM boxoffice.queue_entries e
  JOIN boxoffice.queues q ON q.performance_id = e.performance_id
  JOIN boxoffice.performances p ON p.id = e.performance_id;

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

CREATE FUNCTION boxoffice._queue_ticket(s boxoffice._queue_standings, t timestamptz) RETURNS boxoffice.queue_ticket
LANGUAGE c STABLE STRICT AS 'MODULE_PATHNAME', 'boxoffice_queue_ticket';

CREATE OR REPLACE FUNCTION boxoffice.enter_queue(performance_id bigint, user_id bigint DEFAULT NULL) RETURNS boxoffice.queue_ticket
LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_enter_queue';
COMMENT ON FUNCTION boxoffice.enter_queue IS 'enters the waiting room of a performance (logged-in users; entering again returns the same entry and token)';

CREATE OR REPLACE FUNCTION boxoffice.queue_status(token text, user_id bigint DEFAULT NULL) RETURNS boxoffice.queue_ticket
LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS 'MODULE_PATHNAME', 'boxoffice_queue_status';
COMMENT ON FUNCTION boxoffice.queue_status IS 'where a queue entry stands: waiting (position, estimated wait), active (until), used, left, expired or sold_out; polling moves the line';

CREATE OR REPLACE FUNCTION boxoffice.leave_queue(token text, user_id bigint DEFAULT NULL) RETURNS boxoffice.queue_ticket
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

CREATE OR REPLACE FUNCTION boxoffice.set_queue(performance_id bigint, enabled boolean DEFAULT NULL, max_active int DEFAULT NULL,
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

CREATE OR REPLACE FUNCTION boxoffice.queue_draw(performance_id bigint) RETURNS TABLE (entry_id bigint, line bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
BEGIN
  PERFORM _visible_performance(performance_id);
  RETURN QUERY
  SELECT e.id, e.line FROM queue_entries e JOIN queues q ON q.performance_id = e.performance_id
   WHERE e.performance_id = queue_draw.performance_id AND e.prequeue AND q.opened_at IS NOT NULL
   ORDER BY e.line;
END $$;
COMMENT ON FUNCTION boxoffice.queue_draw IS 'the places the pre-queue drew at opening (entry id, place); recompute them from the revealed seed';

-- New objects: nobody but their grantees may call them (the install script
-- revokes from PUBLIC in bulk; an upgrade names each one).
REVOKE ALL ON FUNCTION
  boxoffice._queue_token(bigint, bytea), boxoffice._queue_entry_id(text), boxoffice._queue_due(timestamptz, timestamptz),
  boxoffice._entry_of(text, bigint), boxoffice._queue_ticket(boxoffice._queue_standings, timestamptz)
FROM PUBLIC;
REVOKE ALL ON boxoffice._queue_standings FROM PUBLIC;

SELECT boxoffice._give_objects_to_owner();
