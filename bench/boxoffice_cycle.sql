-- One cycle against boxoffice: hold 2 adjacent seats of a random show, and
-- release them at once if the hold succeeded. try_hold answers NULL (rid 0)
-- when a seat is taken, as the baseline's hold does, so no exception block.
-- Each pgbench client is a guest client of its own (guest_key).
-- Set with -D: first_show, first_seat (bench.layout), shows, rows (of 20 seats).
\set s random(0, :shows - 1)
\set r random(0, :rows - 1)
\set c random(0, 18)
\set show :first_show + :s
\set seat :first_seat + :s * 320 + :r * 20 + :c
\set next :seat + 1
SELECT coalesce(reservation_id, 0) AS rid, coalesce(hold_token, '') AS tok
  FROM boxoffice.try_hold(:show, ARRAY[:seat, :next]::bigint[], guest_key => :client_id::text) \gset
\if :rid > 0
SELECT status FROM boxoffice.release(:rid, NULL, :tok);
\endif
