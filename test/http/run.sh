#!/usr/bin/env bash
# HTTP integration tests: runs inside the throw-away cluster of scripts/test.sh.
# Makes a database with the extension and the shim's login role, starts
# boxoffice-http on a free port, runs test/http/*_test.cpp against it, then
# stops it with SIGTERM and checks that it finished cleanly.
set -uo pipefail
cd "$(dirname "$0")/../.."
db=boxoffice_http
secret=$(head -c 48 /dev/urandom | base64 | tr -d '\n')
password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=\n')
work=$(mktemp -d)
log=$work/shim.log

psql -q -X -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $db" || exit 1
psql -q -X -v ON_ERROR_STOP=1 -d "$db" -c "CREATE EXTENSION boxoffice CASCADE" || exit 1
psql -q -X -d "$db" -v login=boxoffice_http -v password="$password" -f scripts/http-role.sql || exit 1
psql -q -X -v ON_ERROR_STOP=1 -d "$db" -c \
  "SELECT FROM boxoffice.set_admin(boxoffice.register_user('admin@example.com', 'Admin', 'admin-password'), true)" || exit 1

# The fake card gateway (gateway/): a confirm that times out hangs 3 s, past
# the shim's 1 s wait; the reconciliation looks every 300 ms at payments
# without an outcome for 1 s.
gateway_key=test_sk_$(head -c 12 /dev/urandom | base64 | tr -d '/+=\n')
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 12000))
    (echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}
# It speaks HTTPS, as a real gateway does, with a certificate made for this
# run: the shim checks it against that certificate (--gateway-ca-file).
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
  -keyout "$work/gateway-key.pem" -out "$work/gateway-cert.pem" 2>"$work/openssl.log" ||
  { echo "openssl could not make the gateway's certificate:"; cat "$work/openssl.log"; exit 1; }
gateway_port=$(free_port)
build/cmake/boxoffice-fake-gateway --port "$gateway_port" --secret-key "$gateway_key" --delay-ms 50 --hang-ms 3000 \
  --tls-cert "$work/gateway-cert.pem" --tls-key "$work/gateway-key.pem" \
  >"$work/gateway.log" 2>&1 &
gateway=$!
trap 'kill "$gateway" 2>/dev/null' EXIT
for _ in $(seq 50); do grep -q "listening on" "$work/gateway.log" && break; sleep 0.1; done
grep -q "listening on" "$work/gateway.log" || { echo "the fake gateway did not start:"; cat "$work/gateway.log"; exit 1; }

pool_size=4
secret_attempts=40
BOXOFFICE_GATEWAY_SECRET_KEY=$gateway_key \
BOXOFFICE_JWT_SECRET=$secret \
BOXOFFICE_DATABASE_URL="host=$PGHOST port=$PGPORT dbname=$db user=boxoffice_http password=$password connect_timeout=2 keepalives_idle=10 keepalives_interval=5 keepalives_count=3" \
  build/cmake/boxoffice-http --port 0 --port-file "$work/port" --pool-size $pool_size --pool-wait-ms 200 --threads 32 --seat-map-max-age-ms 200 \
  --secret-attempts-per-minute $secret_attempts --trusted-proxies 127.0.0.1 \
  --gateway-url "https://127.0.0.1:$gateway_port" --gateway-ca-file "$work/gateway-cert.pem" --gateway-timeout-ms 1000 --reconcile-interval-ms 300 --reconcile-after-s 1 \
  >"$log" 2>&1 &
shim=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { echo "the shim did not start:"; cat "$log"; exit 1; }

export BOXOFFICE_TEST_HOST=127.0.0.1 BOXOFFICE_TEST_PORT=$(cat "$work/port")
export BOXOFFICE_TEST_JWT_SECRET=$secret BOXOFFICE_TEST_SHIM_LOG=$log BOXOFFICE_TEST_POOL_SIZE=$pool_size
export BOXOFFICE_TEST_SECRET_ATTEMPTS=$secret_attempts BOXOFFICE_TEST_SEAT_MAP_MAX_AGE_MS=200
export BOXOFFICE_TEST_PG_LOG=$(pg_lsclusters -h | awk -v v="$PGVERSION" '$1 == v && $2 == "regress" {print $7}')
export BOXOFFICE_TEST_GATEWAY_PORT=$gateway_port BOXOFFICE_TEST_GATEWAY_SECRET_KEY=$gateway_key
export BOXOFFICE_TEST_GATEWAY_CA_FILE=$work/gateway-cert.pem
export BOXOFFICE_TEST_ADMIN_EMAIL=admin@example.com BOXOFFICE_TEST_ADMIN_PASSWORD=admin-password
export BOXOFFICE_TEST_PSQL="psql -X -d $db"
export BOXOFFICE_TEST_DB_STOP="pg_ctlcluster $PGVERSION regress stop -m fast"
export BOXOFFICE_TEST_DB_START="pg_ctlcluster $PGVERSION regress start"
build/cmake/http_tests
status=$?

kill -TERM "$shim"
wait "$shim"
code=$?
kill -TERM "$gateway"; wait "$gateway" 2>/dev/null
if [ "$code" -eq 0 ] && grep -q '"event":"stopped"' "$log"; then
  echo "[       OK ] SIGTERM: the shim finished in-flight work and exited 0"
else
  echo "[  FAILED  ] SIGTERM: exit code $code"; tail -5 "$log"; status=1
fi
grep -q -e "$secret" -e "$password" -e "$gateway_key" "$log" && { echo "[  FAILED  ] a secret appears in the log"; status=1; }
[ "$status" -eq 0 ] && rm -rf "$work" || echo "kept the shim log: $log"
exit $status
