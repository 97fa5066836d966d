-- Data as boxoffice 0.5.1 keeps it, for the upgrade test from 0.5.1 (once a
-- newer version exists): the rows of 0.5.0, plus what 0.5.1 adds: kept
-- answers of keyed holds and of a keyed cancellation, a user's without a hold
-- token and a guest client's with one (kept until the hold expires). Written
-- as rows, as _idempotency_finish writes them.
\ir data-0.5.0.sql
INSERT INTO boxoffice.idempotency_keys (scope, key, call, arguments, answer)
SELECT boxoffice._user_scope(:ua), 'upgrade-hold-a', 'hold',
       jsonb_build_object('performance_id', r.performance_id, 'seat_ids', r.seat_ids),
       jsonb_build_object('reservation_id', r.id, 'status', r.status)
  FROM boxoffice.reservations r WHERE r.reservation_number = 'BX-UPGR-0003';
INSERT INTO boxoffice.idempotency_keys (scope, key, call, arguments, answer)
SELECT boxoffice._customer_scope(NULL, '203.0.113.7', NULL), 'upgrade-guest-hold-0001', 'hold',
       jsonb_build_object('performance_id', :perf, 'seat_ids', ARRAY[1]),
       jsonb_build_object('reservation_id', 0, 'status', 'hold', 'hold_token', 'upgrade-token');
INSERT INTO boxoffice.idempotency_keys (scope, key, call, arguments, answer)
SELECT boxoffice._user_scope(:ub), 'upgrade-cancel-b', 'cancel',
       jsonb_build_object('reservation_id', r.id), jsonb_build_object('reservation_id', r.id, 'status', 'cancelled')
  FROM boxoffice.reservations r WHERE r.user_id = :ub AND r.status = 'cancelled';
