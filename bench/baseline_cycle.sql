-- One cycle against the seed-style baseline, same seat choice as
-- boxoffice_cycle.sql: hold 2 adjacent seats of a random show, release them
-- at once if the hold succeeded (hold() returns NULL when refused).
\set s random(0, :shows - 1)
\set r random(0, :rows - 1)
\set c random(0, 18)
\set show :first_show + :s
\set seat :first_seat + :s * 320 + :r * 20 + :c
\set next :seat + 1
SELECT coalesce(seedstyle.hold(:show, ARRAY[:seat, :next]::bigint[]), 0) AS rid \gset
\if :rid > 0
SELECT seedstyle.release(:rid);
\endif
