-- One purchase in boxoffice: hold the client's next seat, pay it with points
-- (which confirms it). Each client is one buyer and walks seats of its own
-- (client_id, client_id + clients, ...), so no hold is refused for a seat
-- another buyer took and the round measures purchases, not collisions; a
-- client whose seats are sold waits. Each payment has a key of its own.
-- Set with -D: performance, first_seat, user0 (the first buyer's user id),
-- clients, n = 0.
\set seat :first_seat + :client_id + :clients * :n
\set n :n + 1
\set user :user0 + :client_id
\if :seat < :first_seat + 5000
SELECT coalesce(reservation_id, 0) AS rid FROM boxoffice.try_hold(:performance, ARRAY[:seat]::bigint[], :user) \gset
\if :rid > 0
SELECT status FROM boxoffice.pay_with_points(:rid, 'bench-' || :rid, :user);
\endif
\else
\sleep 20 ms
\endif
