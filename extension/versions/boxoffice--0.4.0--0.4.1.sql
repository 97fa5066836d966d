-- boxoffice 0.4.0 -> 0.4.1: seat_layout names a seat's row and number as
-- seat_map does (row_number, seat_number), so a seat of the layout is a seat
-- of the map without its status. CREATE OR REPLACE keeps the owner and grants.
\echo Use "ALTER EXTENSION boxoffice UPDATE TO '0.4.1'" to load this file. \quit

CREATE OR REPLACE FUNCTION boxoffice.seat_layout(performance_id bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
BEGIN
  PERFORM _visible_performance(performance_id);
  RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object('seat_id', s.id, 'section', s.section, 'row_number', s.row_number,
                                                       'seat_number', s.seat_number, 'tier', t.label, 'price', s.price)
                                    ORDER BY s.id), '[]')
            FROM seats s JOIN price_tiers t ON t.id = s.tier_id WHERE s.performance_id = seat_layout.performance_id);
END $$;
