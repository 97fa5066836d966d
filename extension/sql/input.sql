
-- ============================================================================
-- input.sql: checks of what people type in, implemented once in C++
-- (extension/src/buyer_input.cpp) and shared by the C++ engine and the SQL
-- functions: phone numbers, PINs, and names that are really there.
-- ============================================================================

CREATE FUNCTION boxoffice._normalize_phone(phone text) RETURNS text
LANGUAGE c IMMUTABLE AS 'MODULE_PATHNAME', 'boxoffice_normalize_phone';
CREATE FUNCTION boxoffice._check_pin(pin text) RETURNS void
LANGUAGE c IMMUTABLE AS 'MODULE_PATHNAME', 'boxoffice_check_pin';
-- NULL, empty, or only spaces of any kind (newlines, no-break and ideographic
-- spaces, zero-width characters): a name nobody could read.
CREATE FUNCTION boxoffice._is_blank(name text) RETURNS boolean
LANGUAGE c IMMUTABLE AS 'MODULE_PATHNAME', 'boxoffice_is_blank';
