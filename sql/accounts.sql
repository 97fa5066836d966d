-- Registered users: registration, password check, bcrypt storage.
\set SHOW_CONTEXT never
SET client_min_messages = warning;

INSERT INTO t.fixtures SELECT 'alice', boxoffice.register_user('Alice@Example.com', 'Alice Kim', 'alice-password');
INSERT INTO t.fixtures SELECT 'bob', boxoffice.register_user('bob@example.com', 'Bob Lee', 'bob-password');
INSERT INTO t.fixtures SELECT 'carol', boxoffice.register_user('carol@example.com', 'Carol Park', 'carol-password');
SELECT email, name, password_hash LIKE '$2a$08$%' AS bcrypt, password_hash <> 'alice-password' AS not_plain
  FROM boxoffice.users ORDER BY id;

SELECT boxoffice.register_user('ALICE@example.com', 'Another Alice', 'whatever-pass');
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.register_user('not-an-email', 'X', 'whatever-pass');
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.register_user('x@example.com', '', 'whatever-pass');
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.register_user('x@example.com', 'X', 'short');
\echo :LAST_ERROR_SQLSTATE
-- a name of only invisible characters is no name
SELECT boxoffice.register_user('x@example.com', U&'\3000\200B', 'whatever-pass');
\echo :LAST_ERROR_SQLSTATE
-- the checks mean the same whatever the caller's settings: with
-- standard_conforming_strings off, an address with a space is still refused
-- by the function itself (and no error ever shows the password's hash)
SET standard_conforming_strings = off;
SELECT boxoffice.register_user('a b@example.com', 'Spacey', 'whatever-pass');
\echo :LAST_ERROR_SQLSTATE
RESET standard_conforming_strings;
SELECT count(*) AS users FROM boxoffice.users;
-- registration serialises one address with a lock of boxoffice's own key space
-- (objsubid 1003), never in the application's pg_advisory_* keys (1 and 2)
BEGIN;
SELECT boxoffice.register_user('locked@example.com', 'Lock Test', 'whatever-pass') > 0 AS registered;
SELECT objsubid FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid();
ROLLBACK;

SELECT boxoffice.verify_password('alice@example.com', 'alice-password') = t.id('alice') AS alice_logs_in;
SELECT boxoffice.verify_password('ALICE@EXAMPLE.COM', 'alice-password') = t.id('alice') AS case_insensitive_email;
SELECT boxoffice.verify_password('alice@example.com', 'wrong-password');
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.verify_password('nobody@example.com', 'alice-password');
\echo :LAST_ERROR_SQLSTATE
SELECT boxoffice.verify_password(NULL, NULL);
\echo :LAST_ERROR_SQLSTATE

-- accounts and the admin role
SELECT email, name, role FROM boxoffice.account(t.id('alice'));
SELECT boxoffice.account(999999);
\echo :LAST_ERROR_SQLSTATE
SELECT role FROM boxoffice.set_admin(t.id('carol'), true);
SELECT role FROM boxoffice.account(t.id('carol'));
SELECT role FROM boxoffice.set_admin(t.id('carol'), false);
SELECT boxoffice.set_admin(999999, true);
\echo :LAST_ERROR_SQLSTATE
