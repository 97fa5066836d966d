-- boxoffice 0.3.0 -> 0.4.0: the on-sale waiting room (waiting_room.sql), the
-- seat map in two parts (seat_layout, seat_statuses), five new error codes,
-- and check_invariants() that also checks the queues' history.
\echo Use "ALTER EXTENSION boxoffice UPDATE TO '0.4.0'" to load this file. \quit

-- The engine's C entry points of this generation (engine.sql).
CREATE OR REPLACE FUNCTION boxoffice.hold(performance_id bigint, seat_ids bigint[], user_id bigint DEFAULT NULL, guest_key text DEFAULT NULL)
RETURNS boxoffice.booking LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_hold_v4';

CREATE OR REPLACE FUNCTION boxoffice.confirm(reservation_id bigint, user_id bigint DEFAULT NULL, hold_token text DEFAULT NULL,
                                  buyer_name text DEFAULT NULL, buyer_phone text DEFAULT NULL, guest_pin text DEFAULT NULL)
RETURNS boxoffice.booking LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_confirm_v4';

CREATE OR REPLACE FUNCTION boxoffice.release(reservation_id bigint, user_id bigint DEFAULT NULL, hold_token text DEFAULT NULL)
RETURNS boxoffice.booking LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_release_v4';

CREATE OR REPLACE FUNCTION boxoffice.cancel(reservation_id bigint, user_id bigint DEFAULT NULL, hold_token text DEFAULT NULL)
RETURNS boxoffice.booking LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_cancel_v4';

CREATE OR REPLACE FUNCTION boxoffice.try_hold(performance_id bigint, seat_ids bigint[], user_id bigint DEFAULT NULL, guest_key text DEFAULT NULL)
RETURNS boxoffice.booking LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp SET enable_seqscan = off
AS 'MODULE_PATHNAME', 'boxoffice_try_hold_v4';

CREATE OR REPLACE VIEW boxoffice.error_codes (sqlstate, name, http_status, meaning) AS VALUES
  ('TK001', 'performance_not_found',    404, 'no such performance, or not visible to buyers (draft, archived or deleted concert, deleted performance)'),
  ('TK002', 'performance_not_on_sale',  409, 'sales not open yet, closed, or the performance was cancelled: for a hold, and for confirming an existing one'),
  ('TK003', 'seats_unavailable',        409, 'a seat is held, sold, or being taken right now; the detail names every such seat; nothing was held'),
  ('TK004', 'seats_not_in_performance', 422, 'unknown seat ids, or seats of another performance'),
  ('TK005', 'no_seats_requested',       422, 'the seat list is NULL or empty'),
  ('TK006', 'duplicate_seats',          422, 'a seat is listed twice'),
  ('TK007', 'too_many_seats',           422, 'more seats than max_seats_per_hold'),
  ('TK008', 'customer_limit_reached',   409, 'the customer''s live holds plus purchases would pass max_seats_per_customer (users: per user at hold; guests: per guest key at hold, live holds only, and per phone number at confirm)'),
  ('TK009', 'reservation_not_found',    404, 'no such reservation, or it is not yours'),
  ('TK010', 'hold_expired',             410, '"your seat hold has expired": confirming after expires_at'),
  ('TK011', 'invalid_state',            409, 'the action does not fit the state: releasing a confirmed reservation, confirming a cancelled one, publishing an archived concert, deleting a venue in use'),
  ('TK012', 'no_matching_reservation',  404, 'guest lookup found nothing'),
  ('TK013', 'invalid_phone',            422, 'not 10-11 digits starting with 01 (dashes and spaces are fine)'),
  ('TK014', 'invalid_pin',              422, 'not exactly 4 digits'),
  ('TK015', 'invalid_credentials',      401, 'wrong email or password'),
  ('TK016', 'email_taken',              409, 'an account with this email exists'),
  ('TK017', 'invalid_argument',         422, 'a catalog argument is missing or out of range; a NULL in the seat list'),
  ('TK018', 'venue_not_found',          404, 'no such venue'),
  ('TK019', 'concert_not_found',        404, 'no such concert (for buyers: no such published concert)'),
  ('TK020', 'user_not_found',           404, 'hold with an unknown user id'),
  ('TK021', 'buyer_details_required',   422, 'a guest confirmed without name, phone and PIN (a name of only spaces or invisible characters is no name)'),
  ('TK022', 'guest_lookup_locked',      429, '5 wrong PINs for this phone number: look-ups wait until the 15-minute lock ends; the hint says how many seconds'),
  ('TK023', 'guest_key_required',       422, 'a guest hold (no user_id) without a guest_key'),
  ('TK024', 'queue_entry_not_found',    404, 'no queue entry of yours has this token (unknown, malformed and other users'' tokens alike)'),
  ('TK025', 'queue_turn_required',      403, 'the performance sells through its waiting room and the customer has no active turn (guests never have one)'),
  ('TK026', 'queue_not_open',           409, 'entering before the pre-queue opens; the detail says when it does'),
  ('TK027', 'login_required',           401, 'entering a waiting room without a logged-in user'),
  ('TK028', 'queue_not_enabled',        409, 'entering the queue of a performance that sells without one');;





-- ============================================================================
-- waiting_room.sql: the on-sale waiting room (README: "The waiting room").
--
-- A performance with a queue lets at most max_active logged-in users shop at
-- once. Everyone else waits in line, first come first served, except that
-- those who arrive in the pre-queue (before sales open) are shuffled once,
-- when sales open, by a seed whose hash was published before anyone arrived.
--
-- Why it holds under load:
--   * entering is one INSERT (the unique key (performance_id, user_id) makes
--     a second entry impossible); nobody updates a shared row to enter;
--   * places in line (line) are given in batches, in arrival order, by the
--     one transaction that advances the line (_advance_queue); it runs under
--     a try-lock, so callers never wait for it, and at most every 100 ms;
--   * a poll reads its entry and its queue by primary key: the position is
--     line - admitted_through, O(1) in the number of people waiting;
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
  UNIQUE (performance_id, user_id),
  UNIQUE (performance_id, line),
  CONSTRAINT admitted_has_stay CHECK ((admitted_at IS NULL) = (active_until IS NULL)),
  CONSTRAINT active_was_admitted CHECK (state <> 'active' OR (admitted_at IS NOT NULL AND line IS NOT NULL)),
  CONSTRAINT ended_has_ended_at CHECK ((state IN ('used', 'left', 'expired')) = (ended_at IS NOT NULL))
);
CREATE INDEX queue_entries_waiting ON boxoffice.queue_entries (performance_id, line) WHERE state = 'waiting';
CREATE INDEX queue_entries_unnumbered ON boxoffice.queue_entries (performance_id, id) WHERE state = 'waiting' AND line IS NULL;
CREATE INDEX queue_entries_active ON boxoffice.queue_entries (performance_id, active_until) WHERE state = 'active';
CREATE INDEX queue_entries_admitted ON boxoffice.queue_entries (performance_id, admitted_at) WHERE admitted_at IS NOT NULL;

CREATE TRIGGER touch BEFORE UPDATE ON boxoffice.queues FOR EACH ROW EXECUTE FUNCTION boxoffice._touch_updated_at();

-- The rule of a turn, the one place that says it: what an entry is at time t.
CREATE FUNCTION boxoffice._entry_state(state boxoffice.queue_entry_state, active_until timestamptz, sold_out boolean, t timestamptz)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE state WHEN 'active' THEN CASE WHEN active_until > t THEN 'active' ELSE 'expired' END
                  WHEN 'waiting' THEN CASE WHEN sold_out THEN 'sold_out' ELSE 'waiting' END
                  ELSE state::text END;

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

-- The entry's token: its id and a keyed hash of it. The same entry always
-- has the same token (entering again returns it), and nobody can make one.
CREATE FUNCTION boxoffice._queue_token(entry_id bigint) RETURNS text
LANGUAGE sql STABLE SET search_path = boxoffice, pg_temp
RETURN 'q' || entry_id || '.' || encode(sha256(_secret('queue_token') || int8send(entry_id)), 'hex');

-- The entry a token names, if it is the caller's; one error for unknown,
-- malformed and foreign tokens, so a token tells nothing about others.
CREATE FUNCTION boxoffice._entry_of(token text, user_id bigint) RETURNS boxoffice.queue_entries
LANGUAGE plpgsql STABLE SET search_path = boxoffice, pg_temp AS $$
DECLARE
  v_id bigint := substring(token FROM '^q([0-9]{1,18})[.][0-9a-f]{64}$')::bigint;
  e queue_entries;
BEGIN
  SELECT * INTO e FROM queue_entries q WHERE q.id = v_id;
  IF NOT FOUND OR e.user_id IS DISTINCT FROM _acting_user(_entry_of.user_id) OR _queue_token(v_id) <> token THEN
    RAISE EXCEPTION 'queue entry not found' USING ERRCODE = _sqlstate('queue_entry_not_found'),
      DETAIL = 'No entry of yours in a waiting room has this token.', HINT = 'Enter the queue of the performance to get your token.';
  END IF;
  RETURN e;
END $$;

-- Moves the line of one queue: shuffles the pre-queue when sales open, gives
-- places to new arrivals, admits the next in line into free slots, and notes
-- whether anything is left to sell. One transaction at a time does it (a
-- try-lock: the others go on without waiting), at most every 100 ms (the setting
-- boxoffice.queue_pause; tests make it 0) unless a slot was just freed (force).
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
  IF NOT FOUND OR NOT q.enabled OR (NOT force AND q.advanced_at > v_now - coalesce(nullif(current_setting('boxoffice.queue_pause', true), ''), '100 ms')::interval) THEN
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
    q.numbered_through := (SELECT count(*) FROM queue_entries x WHERE x.performance_id = q.performance_id AND x.prequeue);
    q.opened_at := v_now;
  END IF;

  -- places for those who came after the shuffle, in the order they entered
  WITH arrivals AS (
    SELECT x.id, q.numbered_through + row_number() OVER (ORDER BY x.id) AS line
      FROM queue_entries x WHERE x.performance_id = q.performance_id AND x.state = 'waiting' AND x.line IS NULL),
  numbered AS (
    UPDATE queue_entries e SET line = a.line FROM arrivals a WHERE e.id = a.id RETURNING e.line)
  SELECT coalesce(max(line), q.numbered_through) INTO q.numbered_through FROM numbered;

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
         WHERE x.performance_id = q.performance_id AND x.state = 'waiting' AND x.line IS NOT NULL
         ORDER BY x.line LIMIT v_free FOR UPDATE),
      admitted AS (
        UPDATE queue_entries e SET state = 'active', admitted_at = v_now, active_until = v_now + q.active_stay
          FROM next WHERE e.id = next.id AND e.state = 'waiting' RETURNING e.line)
      SELECT max(line) INTO v_last FROM admitted;
      q.admitted_through := greatest(q.admitted_through, coalesce(v_last, 0));
    END IF;
  END IF;

  UPDATE queues SET opened_at = q.opened_at, numbered_through = q.numbered_through, admitted_through = q.admitted_through,
                    sold_out = q.sold_out, advanced_at = v_now,
                    admitted_last_minute = (SELECT count(*) FROM queue_entries x
                                             WHERE x.performance_id = q.performance_id
                                               AND x.admitted_at > v_now - interval '1 minute')
   WHERE queues.performance_id = q.performance_id;
END $$;

-- An entry as its owner sees it: state, place, estimated wait (from the
-- admissions of the last minute, or before any from the slots' turnover),
-- and when to ask again.
CREATE FUNCTION boxoffice._queue_ticket(e boxoffice.queue_entries) RETURNS boxoffice.queue_ticket
LANGUAGE plpgsql STABLE SET search_path = boxoffice, pg_temp AS $$
DECLARE
  q queues := (SELECT x FROM queues x WHERE x.performance_id = e.performance_id);
  v_opens timestamptz := (SELECT p.sales_opens_at FROM performances p WHERE p.id = e.performance_id);
  v_now timestamptz := clock_timestamp();
  v_state text := _entry_state(e.state, e.active_until, q.sold_out, v_now);
  v_position bigint;
  v_rate float8;  -- admissions per second
  v_wait int;
BEGIN
  IF v_state = 'waiting' AND e.line IS NOT NULL THEN
    v_position := greatest(1, e.line - q.admitted_through);
  ELSIF v_state = 'waiting' AND NOT e.prequeue THEN  -- entered, place not given yet
    v_position := greatest(0, q.numbered_through - q.admitted_through) + 1
                  + (SELECT count(*) FROM queue_entries x
                      WHERE x.performance_id = e.performance_id AND x.state = 'waiting' AND x.line IS NULL AND x.id < e.id);
  END IF;
  v_rate := CASE WHEN q.admitted_last_minute > 0 THEN q.admitted_last_minute / 60.0
                 ELSE q.max_active / extract(epoch FROM q.active_stay) END;
  IF q.admissions_per_minute IS NOT NULL THEN
    v_rate := least(v_rate, q.admissions_per_minute / 60.0);
  END IF;
  IF v_state = 'waiting' THEN
    v_wait := CASE WHEN v_position IS NULL THEN greatest(0, ceil(extract(epoch FROM v_opens - v_now)))
                   ELSE ceil((v_position - 1) / v_rate) END;
  END IF;
  RETURN ROW(_queue_token(e.id), e.performance_id, v_state, v_position, v_wait,
             CASE WHEN v_state = 'active' THEN e.active_until END,
             CASE WHEN v_state = 'waiting' THEN greatest(1, least(30, CASE WHEN v_position IS NULL THEN v_wait ELSE v_wait / 5 END))
                  WHEN v_state = 'sold_out' THEN 30 END)::queue_ticket;
END $$;

CREATE FUNCTION boxoffice.enter_queue(performance_id bigint, user_id bigint DEFAULT NULL) RETURNS boxoffice.queue_ticket
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
DECLARE
  v_user bigint := _acting_user(user_id);
  p _visible_performances;
  q queues;
  e queue_entries;
  v_now timestamptz := clock_timestamp();
BEGIN
  IF v_user IS NULL THEN
    RAISE EXCEPTION 'login required' USING ERRCODE = _sqlstate('login_required'),
      DETAIL = 'The waiting room admits logged-in users only, one entry each.', HINT = 'Log in, then enter the queue.';
  END IF;
  p := _visible_performance(performance_id);
  IF p.status <> 'scheduled' OR v_now >= p.sales_closes_at THEN
    RAISE EXCEPTION 'performance is not on sale' USING ERRCODE = _sqlstate('performance_not_on_sale'),
      DETAIL = CASE WHEN p.status <> 'scheduled' THEN 'The performance has been cancelled.'
                    ELSE format('Sales closed at %s.', p.sales_closes_at) END;
  END IF;
  SELECT * INTO q FROM queues x WHERE x.performance_id = enter_queue.performance_id AND x.enabled;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'this performance has no waiting room' USING ERRCODE = _sqlstate('queue_not_enabled'),
      DETAIL = format('Performance %s sells without a queue.', performance_id), HINT = 'Hold seats directly.';
  END IF;
  IF v_now < p.sales_opens_at - q.prequeue_lead THEN
    RAISE EXCEPTION 'the waiting room is not open yet' USING ERRCODE = _sqlstate('queue_not_open'),
      DETAIL = format('The pre-queue opens at %s; sales open at %s.', p.sales_opens_at - q.prequeue_lead, p.sales_opens_at),
      HINT = 'Come back when the pre-queue opens: everyone in it gets a fair draw.';
  END IF;
  SELECT * INTO e FROM queue_entries x WHERE x.performance_id = enter_queue.performance_id AND x.user_id = v_user;
  IF NOT FOUND THEN
    IF NOT EXISTS (SELECT FROM users u WHERE u.id = v_user AND u.deleted_at IS NULL) THEN
      RAISE EXCEPTION 'user not found' USING ERRCODE = _sqlstate('user_not_found'), DETAIL = format('There is no user %s.', v_user);
    END IF;
    IF q.opened_at IS NULL THEN
      -- shared with every other pre-queue arrival; the shuffle waits for us
      PERFORM pg_advisory_xact_lock_shared(1005, performance_id::int);
      q.opened_at := (SELECT x.opened_at FROM queues x WHERE x.performance_id = enter_queue.performance_id);
    END IF;
    INSERT INTO queue_entries (performance_id, user_id, prequeue)
    VALUES (enter_queue.performance_id, v_user, q.opened_at IS NULL)
    ON CONFLICT DO NOTHING RETURNING * INTO e;
    IF NOT FOUND THEN  -- the same user, entering at the same moment, won
      SELECT * INTO e FROM queue_entries x WHERE x.performance_id = enter_queue.performance_id AND x.user_id = v_user;
    END IF;
  END IF;
  IF q.opened_at IS NOT NULL OR v_now >= p.sales_opens_at THEN  -- nothing moves in the pre-queue
    PERFORM _advance_queue(performance_id);
    SELECT * INTO e FROM queue_entries x WHERE x.id = e.id;
  END IF;
  RETURN _queue_ticket(e);
END $$;
COMMENT ON FUNCTION boxoffice.enter_queue IS 'enters the waiting room of a performance (logged-in users; entering again returns the same entry and token)';

CREATE FUNCTION boxoffice.queue_status(token text, user_id bigint DEFAULT NULL) RETURNS boxoffice.queue_ticket
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
DECLARE
  e queue_entries := _entry_of(token, user_id);
BEGIN
  IF e.state = 'waiting' THEN
    PERFORM _advance_queue(e.performance_id);
    SELECT * INTO e FROM queue_entries x WHERE x.id = e.id;
  END IF;
  RETURN _queue_ticket(e);
END $$;
COMMENT ON FUNCTION boxoffice.queue_status IS 'where a queue entry stands: waiting (position, estimated wait), active (until), used, left, expired or sold_out; polling moves the line';

CREATE FUNCTION boxoffice.leave_queue(token text, user_id bigint DEFAULT NULL) RETURNS boxoffice.queue_ticket
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
DECLARE
  e queue_entries := _entry_of(token, user_id);
BEGIN
  UPDATE queue_entries x SET state = 'left', ended_at = clock_timestamp()
   WHERE x.id = e.id AND (x.state = 'waiting' OR (x.state = 'active' AND x.active_until > clock_timestamp()));
  IF FOUND THEN
    PERFORM _advance_queue(e.performance_id, force => true);  -- the freed slot goes to the next in line now
  END IF;
  SELECT * INTO e FROM queue_entries x WHERE x.id = e.id;
  RETURN _queue_ticket(e);
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
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
  SELECT e.id, e.line FROM queue_entries e JOIN queues q ON q.performance_id = e.performance_id
   WHERE e.performance_id = queue_draw.performance_id AND e.prequeue AND q.opened_at IS NOT NULL
   ORDER BY e.line
$$;
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
  UPDATE queue_entries e SET state = 'used', ended_at = clock_timestamp()
   WHERE e.performance_id = NEW.performance_id AND e.user_id = NEW.user_id AND e.state = 'active';
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


-- The seat map in two parts, for caches (the shim keeps one per performance):
-- what never changes for a performance (layout, tiers, prices) and the small
-- part that does (which seats are held or sold right now).
CREATE FUNCTION boxoffice.seat_layout(performance_id bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
BEGIN
  PERFORM _visible_performance(performance_id);
  RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object('seat_id', s.id, 'section', s.section, 'row', s.row_number,
                                                       'number', s.seat_number, 'tier', t.label, 'price', s.price)
                                    ORDER BY s.id), '[]')
            FROM seats s JOIN price_tiers t ON t.id = s.tier_id WHERE s.performance_id = seat_layout.performance_id);
END $$;
COMMENT ON FUNCTION boxoffice.seat_layout IS 'the part of a seat map that never changes: every seat with section, row, number, tier and price';

CREATE FUNCTION boxoffice.seat_statuses(performance_id bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
BEGIN
  PERFORM _visible_performance(performance_id);
  RETURN (SELECT jsonb_build_object('held', coalesce(jsonb_agg(ss.seat_id ORDER BY ss.seat_id) FILTER (WHERE ss.status = 'held'), '[]'),
                                    'sold', coalesce(jsonb_agg(ss.seat_id ORDER BY ss.seat_id) FILTER (WHERE ss.status = 'sold'), '[]'))
            FROM _seat_states ss WHERE ss.performance_id = seat_statuses.performance_id AND ss.status <> 'available');
END $$;
COMMENT ON FUNCTION boxoffice.seat_statuses IS 'the part of a seat map that changes: the ids of the seats held and sold right now (every other seat is available)';


CREATE OR REPLACE FUNCTION boxoffice.check_invariants()
RETURNS TABLE (violation text, object text, detail text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
  -- a seat in two live reservations
  SELECT 'seat_claimed_twice', 'seat ' || seat_id, 'live reservations ' || string_agg(id::text, ', ' ORDER BY id)
    FROM (SELECT r.id, unnest(r.seat_ids) AS seat_id FROM reservations r
           WHERE r.live_until > statement_timestamp()) live
   GROUP BY seat_id HAVING count(*) > 1
  UNION ALL
  -- a claim whose reservation no longer holds seats (ended, or not listing it),
  -- or whose seat or reservation is missing or of another performance
  SELECT 'claim_disagrees_with_reservation', 'seat ' || cl.seat_id,
         CASE WHEN r.id IS NULL THEN format('claimed by reservation %s, which does not exist', cl.reservation_id)
              WHEN s.id IS NULL THEN 'no such seat'
              WHEN s.performance_id <> cl.performance_id OR r.performance_id <> cl.performance_id
                THEN format('claim of performance %s for a seat of %s by a reservation of %s', cl.performance_id, s.performance_id, r.performance_id)
              WHEN r.live_until IS NOT NULL THEN format('reservation %s (%s) does not list the seat', r.id, r.status)
              ELSE format('claimed by reservation %s, which is %s', r.id, r.status) END
    FROM seat_claims cl
    LEFT JOIN reservations r ON r.id = cl.reservation_id
    LEFT JOIN seats s ON s.id = cl.seat_id
   WHERE r.id IS NULL OR s.id IS NULL OR s.performance_id <> cl.performance_id OR r.performance_id <> cl.performance_id
      OR r.live_until IS NULL OR NOT (cl.seat_id = ANY (r.seat_ids))
  UNION ALL
  -- a live reservation missing the claim on one of its seats
  SELECT 'reservation_missing_claim', 'reservation ' || r.id, format('%s, seat %s has no claim by it', r.status, s.seat_id)
    FROM reservations r CROSS JOIN LATERAL unnest(r.seat_ids) AS s(seat_id)
   WHERE r.live_until IS NOT NULL
     AND NOT EXISTS (SELECT FROM seat_claims cl WHERE cl.seat_id = s.seat_id AND cl.reservation_id = r.id)
  UNION ALL
  -- a reservation of a performance that does not exist
  SELECT 'reservation_without_performance', 'reservation ' || r.id, format('performance %s does not exist', r.performance_id)
    FROM reservations r WHERE NOT EXISTS (SELECT FROM performances p WHERE p.id = r.performance_id)
  UNION ALL
  -- a total that is not the sum of its seats' prices, or seats of another performance
  SELECT 'total_disagrees_with_prices', 'reservation ' || r.id,
         format('total %s, seats add up to %s over %s of %s seats', r.total_amount, coalesce(sum(s.price), 0), count(s.id), cardinality(r.seat_ids))
    FROM reservations r LEFT JOIN seats s ON s.id = ANY (r.seat_ids) AND s.performance_id = r.performance_id
   GROUP BY r.id
  HAVING r.total_amount <> coalesce(sum(s.price), 0) OR count(s.id) <> cardinality(r.seat_ids)
  UNION ALL
  -- seat counts that do not add up: available + held + sold = seats = venue capacity
  SELECT 'counts_do_not_add_up', 'performance ' || p.id,
         format('available %s + held %s + sold %s, %s seats, venue capacity %s', n.available, n.held, n.sold, n.seats, v.capacity)
    FROM performances p JOIN venues v ON v.id = p.venue_id
   CROSS JOIN LATERAL (
     SELECT count(*) FILTER (WHERE ss.status = 'available') AS available,
            count(*) FILTER (WHERE ss.status = 'held') AS held,
            count(*) FILTER (WHERE ss.status = 'sold') AS sold,
            count(*) AS seats
       FROM _seat_states ss WHERE ss.performance_id = p.id) n
   WHERE n.available + n.held + n.sold <> n.seats OR n.seats <> v.capacity
  UNION ALL
  -- the waiting rooms kept their order and their limit (waiting_room.sql)
  SELECT violation, object, detail FROM _queue_faults
$$;
COMMENT ON FUNCTION boxoffice.check_invariants IS 'one row per violated invariant (double claims, seat state vs reservation, totals vs prices, counts); empty when all is well';


DO $register$
BEGIN
  PERFORM pg_catalog.pg_extension_config_dump('boxoffice.queue_entries', '');
  PERFORM pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('boxoffice.queue_entries', 'id')::regclass, '');
  PERFORM pg_catalog.pg_extension_config_dump('boxoffice.queues', '');
END $register$;

-- New functions: nobody but their grantees may call them (the install script
-- revokes from PUBLIC in bulk; an upgrade names each one).
REVOKE ALL ON FUNCTION
  boxoffice._entry_state(boxoffice.queue_entry_state, timestamptz, boolean, timestamptz), boxoffice._queue_token(bigint),
  boxoffice._entry_of(text, bigint), boxoffice._advance_queue(bigint, boolean), boxoffice._queue_ticket(boxoffice.queue_entries),
  boxoffice.enter_queue(bigint, bigint), boxoffice.queue_status(text, bigint), boxoffice.leave_queue(text, bigint),
  boxoffice._queue_settings(bigint), boxoffice.set_queue(bigint, boolean, int, int, interval, interval),
  boxoffice.queue_settings(bigint), boxoffice.queue_info(bigint), boxoffice.queue_draw(bigint),
  boxoffice._queue_gate(), boxoffice._queue_turn_used(), boxoffice.seat_layout(bigint), boxoffice.seat_statuses(bigint)
FROM PUBLIC;
REVOKE ALL ON boxoffice.queues, boxoffice.queue_entries, boxoffice.queue_overview, boxoffice._queue_faults FROM PUBLIC;
REVOKE ALL ON SEQUENCE boxoffice.queue_entries_id_seq FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
  boxoffice.seat_layout(bigint), boxoffice.seat_statuses(bigint),
  boxoffice.enter_queue(bigint, bigint), boxoffice.queue_status(text, bigint), boxoffice.leave_queue(text, bigint),
  boxoffice.queue_info(bigint), boxoffice.queue_draw(bigint)
TO boxoffice_app;
GRANT EXECUTE ON FUNCTION
  boxoffice.set_queue(bigint, boolean, int, int, interval, interval), boxoffice.queue_settings(bigint)
TO boxoffice_admin;
GRANT SELECT ON boxoffice.queue_overview TO boxoffice_admin;

SELECT boxoffice._give_objects_to_owner();
