#!/usr/bin/env bash
# The front (README, "The front"): nginx in front of the boxoffice-http
# processes. Renders front/nginx.conf.template, checks it (nginx -t) and starts
# nginx as an unprivileged user (never Debian's nginx service); or stops it.
#   bash scripts/front.sh start 127.0.0.1:8081 127.0.0.1:8082   # the shims
#   bash scripts/front.sh stop
# scripts/run.sh (make run, make stop) calls it; bench/http/connections.sh too.
#
# Settings (environment):
#   BOXOFFICE_HTTP_HOST, BOXOFFICE_HTTP_PORT  where clients connect (127.0.0.1, 8080)
#   BOXOFFICE_STATE_DIR            make run's state (build/run): front.dir there names the front's directory
#   BOXOFFICE_FRONT_DIR            nginx's own directory: config, pid, logs, temp ($BOXOFFICE_STATE_DIR/front)
#   BOXOFFICE_FRONT_USER           as root: the user nginx runs as, master and workers (www-data);
#                                  otherwise nginx runs as whoever runs this script
#   BOXOFFICE_FRONT_CONNECTIONS    worker_connections, per worker (16384)
#   BOXOFFICE_FRONT_KEEPALIVE      idle connections to the shims kept per worker (16)
#   BOXOFFICE_SHIM_THREADS         the shims' --threads (64): the idle connections the workers keep
#                                  (workers x keepalive) must leave threads for busy ones
#   BOXOFFICE_FRONT_MAX_CONNS      connections per shim, past which nginx answers 503 (none)
#   BOXOFFICE_FRONT_MAX_FAILS      failures that take a shim out for 10 s (0: never; a request
#                                  that cannot reach one still goes to the next, proxy_next_upstream)
#   BOXOFFICE_FRONT_QUEUE_RATE     limit_req rate of GET /v1/queue per client (2r/s)
#   BOXOFFICE_FRONT_QUEUE_BURST    and its burst (5)
#   BOXOFFICE_FRONT_TRUSTED_PROXIES  proxies in front of nginx whose X-Forwarded-For names the
#                                  client, comma-separated (none: nginx is the edge)
#   BOXOFFICE_FRONT_ACCESS_LOG     on (buffered, DIR/access.log) or off (on)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
HOST=${BOXOFFICE_HTTP_HOST:-127.0.0.1}
PORT=${BOXOFFICE_HTTP_PORT:-8080}
STATE=${BOXOFFICE_STATE_DIR:-build/run}
mkdir -p "$STATE"
case $STATE in /*) ;; *) STATE=$ROOT/$STATE ;; esac

# As root, nginx runs as FRONT_USER (setpriv: no PAM, the raised limits stay).
front_user() {
  if [ "$(id -u)" -eq 0 ]; then echo "${BOXOFFICE_FRONT_USER:-www-data}"; else id -un; fi
}
as_user() {  # user, command...
  local user=$1; shift
  if [ "$(id -u)" -eq 0 ] && [ "$user" != root ]; then
    setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups -- "$@"
  else
    "$@"
  fi
}
# Something answers on host:port (bash's /dev/tcp: no other tool needed).
answers() { timeout 1 bash -c "echo >/dev/tcp/$1/$2" 2>/dev/null; }

stop_front() {
  local dir pid user
  dir=$(cat "$STATE/front.dir" 2>/dev/null) || return 0
  pid=$(cat "$dir/nginx.pid" 2>/dev/null) || pid=""
  # The pid file is the front user's: signal as that user, and only an nginx.
  if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = nginx ]; then
    user=$(stat -c %U "/proc/$pid")
    # QUIT: stop accepting, finish the requests under way, close idle keep-alive connections.
    as_user "$user" kill -QUIT "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      as_user "$user" kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    echo "stopped the front (nginx, pid $pid)"
  fi
  rm -f "$STATE/front.dir"
}

if [ "${1:-}" = stop ]; then
  stop_front
  exit 0
fi
[ "${1:-}" = start ] && [ $# -ge 2 ] || { echo "usage: $0 start HOST:PORT... | stop" >&2; exit 2; }
shift
UPSTREAMS=("$@")
command -v nginx >/dev/null || { echo "nginx is missing: bash scripts/install-deps.sh" >&2; exit 1; }

stop_front
if answers "$HOST" "$PORT"; then
  echo "the front cannot listen on $HOST:$PORT: something else answers there (BOXOFFICE_HTTP_PORT picks another port)" >&2
  exit 1
fi

USER_NAME=$(front_user)
DIR=${BOXOFFICE_FRONT_DIR:-$STATE/front}
[ -L "$DIR" ] && rm -f "$DIR"  # an older front's link to /run/boxoffice
install -d -m 750 -o "$USER_NAME" -g "$(id -g "$USER_NAME")" "$DIR" "$DIR/tmp"
# As root, nginx's user must pass through the state directory (700: it holds
# the secrets, each 600) to reach its own: 711 lets it in, not list or read.
[ "$(id -u)" -eq 0 ] && [ "$(dirname "$DIR")" = "$STATE" ] && chmod 711 "$STATE"
if ! as_user "$USER_NAME" test -w "$DIR"; then
  echo "nginx's user $USER_NAME cannot write $DIR (a directory above it is closed to it)" >&2
  exit 1
fi

# File descriptors: one per client connection and one per upstream connection.
WORKER_CONNECTIONS=${BOXOFFICE_FRONT_CONNECTIONS:-16384}
want=$((WORKER_CONNECTIONS + 1024))
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$want" ]; then
  ulimit -Hn "$want" 2>/dev/null || true  # root may raise it; a container may not let it
  hard=$(ulimit -Hn)
fi
NOFILE=$want
[ "$hard" != unlimited ] && [ "$hard" -lt "$NOFILE" ] && NOFILE=$hard
ulimit -Sn "$NOFILE"
if [ $((NOFILE - 1024)) -lt "$WORKER_CONNECTIONS" ]; then
  WORKER_CONNECTIONS=$((NOFILE - 1024))
  echo "warning: the open-files hard limit ($hard) allows only $WORKER_CONNECTIONS connections per nginx worker" >&2
fi

# The accept queue: a crowd opens its connections within a second, faster
# than 2 busy workers accept them. The kernel caps a listen backlog at
# net.core.somaxconn (Debian: 4096); past it, the handshake's last ACK is
# dropped and the client's first request waits for TCP to retry, 1, 3, 7 s
# later (with 4,096: 21,457 listen overflows over a day of bench/http/storm.sh
# runs; with 16,384, none per run). Root may raise the caps; otherwise a warning.
BACKLOG=${BOXOFFICE_FRONT_BACKLOG:-16384}
for knob in net.core.somaxconn net.ipv4.tcp_max_syn_backlog; do
  have=$(sysctl -n "$knob" 2>/dev/null || echo "$BACKLOG")
  if [ "$have" -lt "$BACKLOG" ] && ! sysctl -qw "$knob=$BACKLOG" 2>/dev/null; then
    echo "warning: $knob is $have: a burst of more connections than that may wait seconds (raise it to $BACKLOG as root)" >&2
  fi
done

# Each connection to a shim holds one of its threads while it is open. The
# idle ones nginx keeps (workers x keepalive, over all shims) must leave
# threads for busy ones; the rest wait in the shim's queue (requests take
# milliseconds, and nginx closes what it does not keep), up to max_conns if set.
WORKERS=$(nproc)
KEEPALIVE=${BOXOFFICE_FRONT_KEEPALIVE:-16}
SHIM_THREADS=${BOXOFFICE_SHIM_THREADS:-64}
MAX_CONNS=${BOXOFFICE_FRONT_MAX_CONNS:-}
if [ $((WORKERS * KEEPALIVE)) -ge "$SHIM_THREADS" ]; then
  echo "the front's idle connections ($WORKERS workers x $KEEPALIVE) could take all $SHIM_THREADS threads of a shim:" \
       "raise BOXOFFICE_SHIM_THREADS or lower BOXOFFICE_FRONT_KEEPALIVE" >&2
  exit 1
fi

servers="" real_ip=""
for u in "${UPSTREAMS[@]}"; do
  servers+="        server $u${MAX_CONNS:+ max_conns=$MAX_CONNS} max_fails=${BOXOFFICE_FRONT_MAX_FAILS:-0};"$'\n'
done
IFS=',' read -ra proxies <<<"${BOXOFFICE_FRONT_TRUSTED_PROXIES:-}"
for p in "${proxies[@]}"; do
  p=${p// /}
  [ -n "$p" ] && real_ip+="    set_real_ip_from $p;"$'\n'
done
if [ -n "$real_ip" ]; then
  real_ip+="    real_ip_header X-Forwarded-For;"$'\n'"    real_ip_recursive on;"$'\n'
else
  real_ip="    # (none: BOXOFFICE_FRONT_TRUSTED_PROXIES is empty)"$'\n'
fi
case ${BOXOFFICE_FRONT_ACCESS_LOG:-on} in
  on) access_log="$DIR/access.log front buffer=64k flush=5s" ;;
  off) access_log=off ;;
  *) echo "BOXOFFICE_FRONT_ACCESS_LOG must be on or off" >&2; exit 2 ;;
esac
listen=$HOST:$PORT
[[ $HOST == *:* ]] && listen="[$HOST]:$PORT"  # an IPv6 address

conf=$(<front/nginx.conf.template)
conf=${conf//@PREFIX@/$DIR}
conf=${conf//@LISTEN@/$listen}
conf=${conf//@NOFILE@/$NOFILE}
conf=${conf//@WORKER_CONNECTIONS@/$WORKER_CONNECTIONS}
conf=${conf//@BACKLOG@/$BACKLOG}
conf=${conf//@UPSTREAM_SERVERS@/${servers%$'\n'}}
conf=${conf//@UPSTREAM_KEEPALIVE@/$KEEPALIVE}
conf=${conf//@QUEUE_RATE@/${BOXOFFICE_FRONT_QUEUE_RATE:-2r/s}}
conf=${conf//@QUEUE_BURST@/${BOXOFFICE_FRONT_QUEUE_BURST:-5}}
conf=${conf//@REAL_IP@/${real_ip%$'\n'}}
conf=${conf//@ACCESS_LOG@/$access_log}
if left=$(grep -o '@[A-Z_]*@' <<<"$conf"); then
  echo "front/nginx.conf.template: no value for $(echo "$left" | sort -u | tr '\n' ' ')" >&2
  exit 1
fi
printf '%s\n' "$conf" >"$DIR/nginx.conf"
chmod 644 "$DIR/nginx.conf"

nginx_cmd=(nginx -p "$DIR" -c "$DIR/nginx.conf" -e "$DIR/error.log")
if ! out=$(as_user "$USER_NAME" "${nginx_cmd[@]}" -t 2>&1); then
  echo "the front's configuration ($DIR/nginx.conf) does not pass nginx -t:" >&2
  echo "$out" >&2
  exit 1
fi
echo "$DIR" >"$STATE/front.dir"
as_user "$USER_NAME" "${nginx_cmd[@]}"  # daemonizes; the master writes nginx.pid
for _ in $(seq 50); do answers "$HOST" "$PORT" && break; sleep 0.1; done
if ! answers "$HOST" "$PORT"; then
  echo "the front (nginx) did not start:" >&2
  tail -5 "$DIR/error.log" >&2 2>/dev/null || true
  exit 1
fi
echo "started the front: nginx as $USER_NAME on $listen -> ${UPSTREAMS[*]} (pid $(cat "$DIR/nginx.pid"); $WORKERS workers x" \
     "$WORKER_CONNECTIONS connections; per shim at most ${MAX_CONNS:-unlimited} connections, $((WORKERS * KEEPALIVE)) kept idle over all; $DIR)"
