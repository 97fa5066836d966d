
-- ============================================================================
-- errors.sql: the catalogue of boxoffice's own SQLSTATEs (class TK, "ticket").
-- Every user error has its own code; applications branch on the code, people
-- read the message, detail and hint. extension/src/errors.hpp raises the same
-- codes from C++; the README's error table is this list.
-- ============================================================================

CREATE VIEW boxoffice.error_codes (sqlstate, name, meaning) AS VALUES
  ('TK001', 'performance_not_found',    'no such performance, or it is not visible to buyers'),
  ('TK002', 'performance_not_on_sale',  'the performance exists but is not selling now (window closed, not open yet, cancelled)'),
  ('TK003', 'seats_unavailable',        'some requested seats are held, sold, or being taken right now; nothing was held'),
  ('TK004', 'seats_not_in_performance', 'some seat ids do not exist or belong to another performance'),
  ('TK005', 'no_seats_requested',       'the seat list is missing or empty'),
  ('TK006', 'duplicate_seats',          'the seat list names a seat more than once'),
  ('TK007', 'too_many_seats',           'more seats than one hold may take'),
  ('TK008', 'customer_limit_reached',   'the customer would exceed the seats allowed per customer for the performance'),
  ('TK009', 'reservation_not_found',    'no such reservation, or it is not yours'),
  ('TK010', 'hold_expired',             'the seat hold expired before confirmation'),
  ('TK011', 'invalid_state',            'the object is not in a state that allows this action'),
  ('TK012', 'no_matching_reservation',  'guest lookup found nothing for that phone and PIN'),
  ('TK013', 'invalid_phone',            'the phone number is not 10-11 digits starting with 01'),
  ('TK014', 'invalid_pin',              'the PIN is not exactly 4 digits'),
  ('TK015', 'invalid_credentials',      'email or password is wrong'),
  ('TK016', 'email_taken',              'an account with this email exists'),
  ('TK017', 'invalid_argument',         'an argument is missing or out of range'),
  ('TK018', 'venue_not_found',          'no such venue'),
  ('TK019', 'concert_not_found',        'no such concert'),
  ('TK020', 'user_not_found',           'no such user'),
  ('TK021', 'buyer_details_required',   'a guest must give name, phone and PIN to confirm'),
  ('TK022', 'guest_lookup_locked',      'too many wrong PINs for this phone number: look-ups wait until the lock ends'),
  ('TK023', 'guest_key_required',       'a guest hold must name the client it is for (guest_key)');

COMMENT ON VIEW boxoffice.error_codes IS 'every SQLSTATE that boxoffice raises on purpose, with its name and meaning';
