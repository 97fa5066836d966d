-- One purchase in the seed-style baseline: hold the client's next seat, pay
-- it with points. The seats each client walks as in boxoffice_purchase.sql.
\set seat :first_seat + :client_id + :clients * :n
\set n :n + 1
\set user 1 + :client_id
\if :seat < :first_seat + 5000
SELECT coalesce(seedpay.hold(:user, :performance, ARRAY[:seat]::bigint[]), 0) AS rid \gset
\if :rid > 0
SELECT seedpay.pay(:user, :rid);
\endif
\else
\sleep 20 ms
\endif
