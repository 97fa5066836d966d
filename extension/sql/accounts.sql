
-- ============================================================================
-- accounts.sql: registered users and the secrets of guests.
-- Passwords and guest PINs are stored only as bcrypt hashes (pgcrypto).
-- ============================================================================

-- The functions below are the only users of pgcrypto. They are written with
-- pgcrypto's schema spelled out, found at install time, so that they stay
-- inlinable and independent of any caller's search_path.
--
-- A guest's PIN is hashed with a salt made from the phone number and a key of
-- boxoffice's own (secrets 'guest_pin'): the same phone and PIN always give the
-- same hash, so a look-up computes one bcrypt, whether the phone has bookings
-- or not, and its answer time tells nothing.
DO $install$
DECLARE
  v_schema text := (SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pgcrypto');
BEGIN
  EXECUTE format($f$
    CREATE FUNCTION boxoffice._hash_secret(secret text) RETURNS text
    LANGUAGE sql VOLATILE STRICT AS 'SELECT %1$s.crypt(secret, %1$s.gen_salt(''bf'', 8))'$f$, v_schema);
  EXECUTE format($f$
    CREATE FUNCTION boxoffice._secret_matches(secret text, hash text) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT AS 'SELECT %1$s.crypt(secret, hash) = hash'$f$, v_schema);
  EXECUTE format($f$
    CREATE FUNCTION boxoffice._secret(name text) RETURNS bytea
    LANGUAGE plpgsql VOLATILE STRICT SET search_path = boxoffice, pg_temp AS $body$
    DECLARE
      v bytea := (SELECT s.value FROM secrets s WHERE s.name = _secret.name);
    BEGIN
      IF v IS NULL THEN
        INSERT INTO secrets (name, value) VALUES (_secret.name, %1$s.gen_random_bytes(32)) ON CONFLICT DO NOTHING;
        v := (SELECT s.value FROM secrets s WHERE s.name = _secret.name);
      END IF;
      RETURN v;
    END $body$$f$, v_schema);
  EXECUTE format($f$
    CREATE FUNCTION boxoffice._hash_pin(phone text, pin text) RETURNS text
    LANGUAGE sql VOLATILE STRICT AS
    'SELECT %1$s.crypt(pin, ''$2a$08$'' || translate(left(encode(
              %1$s.hmac(convert_to(phone, ''UTF8''), boxoffice._secret(''guest_pin''), ''sha256''), ''base64''), 22), ''+'', ''.''))'$f$,
    v_schema);
END $install$;

-- Takes the transaction lock of one account's email in boxoffice's own lock
-- space (locks.hpp), never in the application's pg_advisory_* keys.
CREATE FUNCTION boxoffice._lock_account(email text) RETURNS void
LANGUAGE c VOLATILE STRICT AS 'MODULE_PATHNAME', 'boxoffice_lock_account';

CREATE FUNCTION boxoffice.register_user(email text, name text, password text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
DECLARE
  v_id bigint;
BEGIN
  -- the same pattern as the users table's check, so that check never fires
  -- (its error would print the whole row, password hash included)
  IF coalesce(email, '') !~ '^[^@[:space:]]+@[^@[:space:]]+[.][^@[:space:]]+$' THEN
    RAISE EXCEPTION 'invalid email' USING ERRCODE = _sqlstate('invalid_argument'), DETAIL = 'The email address is not of the form name@example.com.';
  END IF;
  IF _is_blank(name) OR length(name) > 200 OR length(email) > 320 THEN
    RAISE EXCEPTION 'invalid name or email' USING ERRCODE = _sqlstate('invalid_argument'), DETAIL = 'A name has 1 to 200 characters, an email at most 320.';
  END IF;
  -- bcrypt reads at most 72 bytes: a longer password would be silently cut
  IF length(coalesce(password, '')) < 8 OR octet_length(password) > 72 THEN
    RAISE EXCEPTION 'invalid password' USING ERRCODE = _sqlstate('invalid_argument'), DETAIL = 'A password has 8 characters or more, and at most 72 bytes.';
  END IF;
  -- serialise registrations of one address (in boxoffice's own lock space) so
  -- the unique index is the only judge
  PERFORM _lock_account(lower(email));
  IF EXISTS (SELECT FROM users u WHERE lower(u.email) = lower(register_user.email) AND u.deleted_at IS NULL) THEN
    RAISE EXCEPTION 'email already registered' USING ERRCODE = _sqlstate('email_taken'),
      DETAIL = 'An account with this email exists.', HINT = 'Log in instead, or use another email.';
  END IF;
  INSERT INTO users (email, name, password_hash)
  VALUES (lower(register_user.email), btrim(register_user.name), _hash_secret(password))
  RETURNING id INTO v_id;
  RETURN v_id;
END $$;
COMMENT ON FUNCTION boxoffice.register_user IS 'registers a buyer account; the password is kept as a bcrypt hash';

CREATE FUNCTION boxoffice.verify_password(email text, password text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
DECLARE
  u users;
BEGIN
  SELECT * INTO u FROM users WHERE lower(users.email) = lower(verify_password.email) AND deleted_at IS NULL;
  -- one bcrypt whether or not the user exists, so timing does not reveal accounts
  IF NOT coalesce(_secret_matches(coalesce(password, ''),
                                  coalesce(u.password_hash, '$2a$08$0123456789012345678901uMV0Gk5mQ5Lzs5mKX3y2BzFbp7H8S.W')), false)
     OR u.id IS NULL THEN
    RAISE EXCEPTION 'invalid credentials' USING ERRCODE = _sqlstate('invalid_credentials'),
      DETAIL = 'The email or the password is wrong.', HINT = 'Check both and try again.';
  END IF;
  RETURN u.id;
END $$;
COMMENT ON FUNCTION boxoffice.verify_password IS 'returns the user id when email and password match, else raises invalid_credentials';


-- An account as its owner (and the HTTP shim's login) sees it.
CREATE TYPE boxoffice.account AS (user_id bigint, email text, name text, role text, created_at timestamptz);

-- The account of a user, whoever asks (the functions below decide who may).
CREATE FUNCTION boxoffice._account(user_id bigint) RETURNS boxoffice.account
LANGUAGE plpgsql STABLE SET search_path = boxoffice, pg_temp AS $$
DECLARE
  a account;
BEGIN
  SELECT u.id, u.email, u.name, CASE WHEN u.is_admin THEN 'admin' ELSE 'buyer' END, u.created_at INTO a
    FROM users u WHERE u.id = _account.user_id AND u.deleted_at IS NULL;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'user not found' USING ERRCODE = _sqlstate('user_not_found'),
      DETAIL = format('There is no user %s.', coalesce(_account.user_id::text, 'null'));
  END IF;
  RETURN a;
END $$;

CREATE FUNCTION boxoffice.account(user_id bigint DEFAULT NULL) RETURNS boxoffice.account
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = boxoffice, pg_temp
RETURN _account(_acting_user(user_id));
COMMENT ON FUNCTION boxoffice.account IS 'a user''s account: email, name, and role (buyer or admin); over HTTP, the signed-in user''s';

-- Logging in: the account whose email and password match.
CREATE FUNCTION boxoffice.login(email text, password text) RETURNS boxoffice.account
LANGUAGE sql SECURITY DEFINER SET search_path = boxoffice, pg_temp
RETURN _account(verify_password(email, password));
COMMENT ON FUNCTION boxoffice.login IS 'the account whose email and password match, else raises invalid_credentials';

CREATE FUNCTION boxoffice.set_admin(user_id bigint, is_admin boolean) RETURNS boxoffice.account
LANGUAGE plpgsql SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
BEGIN
  IF is_admin IS NULL THEN
    RAISE EXCEPTION 'role is required' USING ERRCODE = _sqlstate('invalid_argument'), DETAIL = 'Say whether the user is an admin (true) or not (false).';
  END IF;
  PERFORM _account(user_id);  -- raises user_not_found
  UPDATE users u SET is_admin = set_admin.is_admin WHERE u.id = set_admin.user_id;
  RETURN _account(user_id);
END $$;
COMMENT ON FUNCTION boxoffice.set_admin IS 'grants or revokes the admin role of a user (admin tokens may use the catalog)';

-- For the HTTP shim's admin requests: the database, not a token alone, says
-- who is an admin, so a demoted or deleted admin is refused at once.
CREATE FUNCTION boxoffice.require_admin(user_id bigint) RETURNS void
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = boxoffice, pg_temp AS $$
BEGIN
  IF NOT EXISTS (SELECT FROM users u WHERE u.id = require_admin.user_id AND u.is_admin AND u.deleted_at IS NULL) THEN
    RAISE EXCEPTION 'admin role required' USING ERRCODE = '42501',
      DETAIL = 'The user of this token is not an admin (any more).', HINT = 'Log in again.';
  END IF;
END $$;
COMMENT ON FUNCTION boxoffice.require_admin IS 'raises insufficient_privilege unless the user is a live admin; the HTTP shim calls it on every admin request';
