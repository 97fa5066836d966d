-- The login of boxoffice-http, used by `make run` and the HTTP tests:
--   psql -v login=boxoffice_http -v password=... -f scripts/http-role.sql
-- NOINHERIT: on its own it can execute nothing. Each request takes, for its
-- transaction only, boxoffice_app or (admin tokens) boxoffice_admin.
-- Its gateway client takes boxoffice_payments to settle card payments.
-- USAGE on the schema only lets it prepare its statements; require_admin() is
-- the one function it runs itself (admin requests check the role in the
-- database, in the same statement that takes the role).
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'login') AS create_login \gset
\if :create_login
CREATE ROLE :"login" LOGIN NOINHERIT;
\endif
ALTER ROLE :"login" LOGIN NOINHERIT PASSWORD :'password';
GRANT boxoffice_app, boxoffice_admin TO :"login";
GRANT USAGE ON SCHEMA boxoffice TO :"login";
GRANT EXECUTE ON FUNCTION boxoffice.require_admin(bigint) TO :"login";
GRANT boxoffice_payments TO :"login";
