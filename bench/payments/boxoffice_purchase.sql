-- One purchase in boxoffice: hold a random seat, pay it with points (which
-- confirms it). try_hold answers NULL (rid 0) when the seat is taken. Each
-- client is one buyer; each payment has a key of its own.
-- Set with -D: performance, first_seat, user0 (the first buyer's user id).
\set seat :first_seat + random(0, 4999)
\set user :user0 + :client_id
SELECT coalesce(reservation_id, 0) AS rid FROM boxoffice.try_hold(:performance, ARRAY[:seat]::bigint[], :user) \gset
\if :rid > 0
SELECT status FROM boxoffice.pay_with_points(:rid, 'bench-' || :rid, :user);
\endif
