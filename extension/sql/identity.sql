
-- ============================================================================
-- identity.sql: who the customer is (README: Security, "Identity"). The SQL
-- API trusts the application to name its customer (user_id arguments). Over
-- HTTP the shim sets request.jwt.claims, for the request's transaction, to
-- the claims of the token it verified, and passes no user id at all: then
-- the claims decide, and an argument that names another user is refused
-- (insufficient_privilege). Every function that acts for a customer asks
-- here (C++: extension/src/identity.cpp).
-- ============================================================================

CREATE FUNCTION boxoffice._acting_user(user_id bigint) RETURNS bigint
LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'boxoffice_acting_user';
COMMENT ON FUNCTION boxoffice._acting_user IS 'the user a call acts for: the verified claims'' sub when request.jwt.claims is set, else the user_id argument';
