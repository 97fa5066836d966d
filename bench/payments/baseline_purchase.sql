-- One purchase in the seed-style baseline: hold a random seat, pay it with points.
\set seat :first_seat + random(0, 4999)
\set user 1 + :client_id
SELECT coalesce(seedpay.hold(:user, :performance, ARRAY[:seat]::bigint[]), 0) AS rid \gset
\if :rid > 0
SELECT seedpay.pay(:user, :rid);
\endif
