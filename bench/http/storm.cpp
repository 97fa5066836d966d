// storm: the on-sale storm client of bench/http/storm.sh.
//
// One thread, one epoll loop, non-blocking sockets, HTTP/1.1 keep-alive.
// N buyers (logged-in users, their JWTs signed here with the shim's secret,
// exactly the claims POST /v1/login issues) arrive at random within a ramp
// and share a bounded pool of connections: a buyer's next request waits in
// one FIFO until a connection is free, so 10,000 buyers can run over 1,000
// connections (the shim holds a thread per keep-alive connection).
//
//   --mode direct  seat map -> pick 2 available seats at random -> hold ->
//                  confirm; a refused hold (409 TK003) retries with a fresh
//                  seat map up to --hold-attempts times; an empty map (nothing
//                  available) ends the buyer: sold out.
//   --mode queue   enter the waiting room, poll GET /v1/queue (X-Queue-Token)
//                  no sooner than Retry-After / poll_after_seconds; once
//                  active, the same purchase; sold_out ends the buyer; an
//                  active buyer who finds nothing left leaves the queue.
//
// Prints a table per route and writes a JSON summary (--json). With
// --report it instead prints the comparison of two runs from their summaries
// and the SQL facts storm.sh gathered (storm-facts.sql).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <queue>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

const Clock::time_point kEpoch = Clock::now();
double now_s() { return std::chrono::duration<double>(Clock::now() - kEpoch).count(); }

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "storm: %s\n", message.c_str());
  std::exit(2);
}

// ---------------------------------------------------------------- settings

struct Settings {
  std::string url = "http://127.0.0.1:8080";
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string mode = "direct";
  std::string label;
  int64_t performance = 0;
  int64_t first_user = 1;
  int buyers = 10000;
  int seats_total = 1000;       // what selling out means
  int seats_per_buyer = 2;
  double ramp_s = 5;
  int connections = 1000;
  double deadline_s = 90;
  int hold_attempts = 5;        // refused holds before a buyer gives up
  int error_attempts = 10;      // 5xx / 429 / socket errors before a buyer gives up
  int confirm_attempts = 60;    // a buyer holding seats keeps trying to pay (the hold lasts 5 minutes)
  std::string jwt_secret_file;
  std::string jwt_issuer = "boxoffice", jwt_audience = "boxoffice";
  int64_t token_ttl_s = 3600;
  uint64_t seed = 42;
  std::string json_out;
  double idle_close_s = 4;      // the shim closes keep-alive connections idle for 5 s
  double target_p99_ms = 250;
  bool print_token = false;     // print the token of --first-user and exit (storm.sh checks it with GET /v1/me)
};

void usage() {
  std::puts(
      "storm --url http://127.0.0.1:PORT --performance ID --mode direct|queue --jwt-secret-file FILE\n"
      "      [--first-user ID] [--buyers N] [--seats N] [--seats-per-buyer K] [--ramp-seconds S]\n"
      "      [--connections N] [--deadline-seconds S] [--hold-attempts N] [--error-attempts N] [--seed N] [--label L]\n"
      "      [--json FILE] [--print-token]\n"
      "storm --report RUN_A.json FACTS_A.json RUN_B.json FACTS_B.json");
}

Settings parse_args(int argc, char** argv) {
  Settings s;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) die("missing value for " + a);
      return argv[++i];
    };
    if (a == "--url") s.url = value();
    else if (a == "--mode") s.mode = value();
    else if (a == "--label") s.label = value();
    else if (a == "--performance") s.performance = std::stoll(value());
    else if (a == "--first-user") s.first_user = std::stoll(value());
    else if (a == "--buyers") s.buyers = std::stoi(value());
    else if (a == "--seats") s.seats_total = std::stoi(value());
    else if (a == "--seats-per-buyer") s.seats_per_buyer = std::stoi(value());
    else if (a == "--ramp-seconds") s.ramp_s = std::stod(value());
    else if (a == "--connections") s.connections = std::stoi(value());
    else if (a == "--deadline-seconds") s.deadline_s = std::stod(value());
    else if (a == "--hold-attempts") s.hold_attempts = std::stoi(value());
    else if (a == "--error-attempts") s.error_attempts = std::stoi(value());
    else if (a == "--jwt-secret-file") s.jwt_secret_file = value();
    else if (a == "--jwt-issuer") s.jwt_issuer = value();
    else if (a == "--jwt-audience") s.jwt_audience = value();
    else if (a == "--seed") s.seed = std::stoull(value());
    else if (a == "--json") s.json_out = value();
    else if (a == "--target-p99-ms") s.target_p99_ms = std::stod(value());
    else if (a == "--print-token") s.print_token = true;
    else if (a == "--help" || a == "-h") { usage(); std::exit(0); }
    else die("unknown argument " + a);
  }
  if (s.mode != "direct" && s.mode != "queue") die("--mode is direct or queue");
  if (s.performance <= 0) die("--performance is required");
  if (s.jwt_secret_file.empty()) die("--jwt-secret-file is required");
  if (s.buyers < 1 || s.connections < 1 || s.seats_per_buyer < 1) die("--buyers, --connections, --seats-per-buyer >= 1");
  // http://HOST:PORT, loopback only: this is a load generator
  const std::string prefix = "http://";
  if (s.url.compare(0, prefix.size(), prefix) != 0) die("--url must be http://127.0.0.1:PORT");
  std::string rest = s.url.substr(prefix.size());
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  size_t colon = rest.rfind(':');
  s.host = colon == std::string::npos ? rest : rest.substr(0, colon);
  s.port = colon == std::string::npos ? 80 : std::stoi(rest.substr(colon + 1));
  if (s.host == "localhost") s.host = "127.0.0.1";
  if (s.host.compare(0, 4, "127.") != 0) die("--url: loopback (127.x.x.x) only");
  if (s.label.empty()) s.label = s.mode;
  return s;
}

// ---------------------------------------------------------------- tokens

std::string base64url(const unsigned char* data, size_t n) {
  static const char* abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = uint32_t(data[i]) << 16;
    if (i + 1 < n) v |= uint32_t(data[i + 1]) << 8;
    if (i + 2 < n) v |= data[i + 2];
    out += abc[(v >> 18) & 63];
    out += abc[(v >> 12) & 63];
    if (i + 1 < n) out += abc[(v >> 6) & 63];
    if (i + 2 < n) out += abc[v & 63];
  }
  return out;
}
std::string base64url(const std::string& s) { return base64url(reinterpret_cast<const unsigned char*>(s.data()), s.size()); }

// An HS256 JWT with the claims POST /v1/login issues (shim/src/server.cpp issue_token).
std::string sign_token(const Settings& s, const std::string& secret, int64_t user_id, int64_t now) {
  json claims = {{"sub", std::to_string(user_id)}, {"role", "buyer"}, {"iss", s.jwt_issuer}, {"aud", s.jwt_audience},
                 {"iat", now}, {"nbf", now}, {"exp", now + s.token_ttl_s}};
  std::string input = base64url(std::string(R"({"alg":"HS256","typ":"JWT"})")) + "." + base64url(claims.dump());
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (!HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
            reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &mac_len))
    die("HMAC failed");
  return input + "." + base64url(mac, mac_len);
}

std::string read_secret(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) die("cannot read " + path);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string secret = ss.str();
  // as the shim reads its secret file: a trailing newline is not part of it
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  return secret;
}

// ---------------------------------------------------------------- figures

enum Route { SEATS, HOLD, CONFIRM, ENTER, POLL, LEAVE, NROUTES };
const char* kRouteName[NROUTES] = {"seat map", "hold", "confirm", "enter", "poll", "leave"};
const char* kRouteKey[NROUTES] = {"seat_map", "hold", "confirm", "enter", "poll", "leave"};

struct RouteStats {
  std::vector<uint32_t> latency_us;        // request written -> response read, every answered request
  std::map<std::string, int64_t> statuses; // "201", "409 TK003", "socket error", ...
  int64_t s5xx = 0;
};

double percentile_ms(std::vector<uint32_t> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p * v.size()));
  if (rank < 1) rank = 1;
  return v[rank - 1] / 1000.0;
}

// ---------------------------------------------------------------- HTTP

struct Response {
  int status = 0;
  int retry_after = -1;
  bool close = false;
  std::string body;
};

// Parses one response at the front of buf: 1 complete (erased from buf),
// 0 more bytes needed, -1 unreadable.
int parse_response(std::string& buf, Response* r) {
  size_t end = buf.find("\r\n\r\n");
  if (end == std::string::npos) return buf.size() > 65536 ? -1 : 0;
  std::string_view head(buf.data(), end);
  if (head.size() < 12 || head.compare(0, 5, "HTTP/") != 0) return -1;
  size_t sp = head.find(' ');
  if (sp == std::string_view::npos) return -1;
  int status = std::atoi(std::string(head.substr(sp + 1, 3)).c_str());
  bool http10 = head.compare(0, 8, "HTTP/1.0") == 0;
  long long length = -1;
  bool chunked = false, close = http10, keep_alive = false;
  int retry_after = -1;
  size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos < head.size()) {
    size_t next = head.find("\r\n", pos + 2);
    std::string_view line = head.substr(pos + 2, (next == std::string_view::npos ? head.size() : next) - pos - 2);
    size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string name(line.substr(0, colon));
      std::transform(name.begin(), name.end(), name.begin(), ::tolower);
      std::string value(line.substr(colon + 1));
      value.erase(0, value.find_first_not_of(" \t"));
      std::string lower = value;
      std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
      if (name == "content-length") length = std::atoll(value.c_str());
      else if (name == "transfer-encoding" && lower.find("chunked") != std::string::npos) chunked = true;
      else if (name == "connection" && lower.find("close") != std::string::npos) close = true;
      else if (name == "connection" && lower.find("keep-alive") != std::string::npos) keep_alive = true;
      else if (name == "retry-after") retry_after = std::atoi(value.c_str());
    }
    pos = next;
  }
  if (http10 && keep_alive) close = false;
  size_t body_start = end + 4;
  std::string body;
  size_t consumed;
  if (chunked) {
    size_t p = body_start;
    for (;;) {
      size_t eol = buf.find("\r\n", p);
      if (eol == std::string::npos) return 0;
      unsigned long size = std::strtoul(buf.c_str() + p, nullptr, 16);
      if (size == 0) {
        size_t trailer_end = buf.find("\r\n\r\n", eol);  // no trailers: "0\r\n\r\n"
        if (trailer_end == std::string::npos) return 0;
        consumed = trailer_end + 4;
        break;
      }
      if (buf.size() < eol + 2 + size + 2) return 0;
      body.append(buf, eol + 2, size);
      p = eol + 2 + size + 2;
    }
  } else if (length >= 0) {
    if (buf.size() < body_start + static_cast<size_t>(length)) return 0;
    body.assign(buf, body_start, static_cast<size_t>(length));
    consumed = body_start + static_cast<size_t>(length);
  } else if (status == 204 || status == 304 || (status >= 100 && status < 200)) {
    consumed = body_start;
  } else {
    return -1;  // a body up to the close: not what this client talks to
  }
  r->status = status;
  r->retry_after = retry_after;
  r->close = close;
  r->body = std::move(body);
  buf.erase(0, consumed);
  return 1;
}

// The string or number value of "key" in a small JSON text, without parsing it all.
std::string json_field(std::string_view body, std::string_view key) {
  std::string needle = "\"" + std::string(key) + "\":";
  size_t p = body.find(needle);
  if (p == std::string_view::npos) {
    needle = "\"" + std::string(key) + "\": ";
    p = body.find(needle);
    if (p == std::string_view::npos) return "";
  }
  p += needle.size();
  while (p < body.size() && body[p] == ' ') p++;
  if (p < body.size() && body[p] == '"') {
    size_t e = body.find('"', p + 1);
    return e == std::string_view::npos ? "" : std::string(body.substr(p + 1, e - p - 1));
  }
  size_t e = body.find_first_of(",}", p);
  return std::string(body.substr(p, e == std::string_view::npos ? std::string_view::npos : e - p));
}

// The ids of the available seats of a seat map (a JSON array of flat objects).
std::vector<int64_t> available_seats(const std::string& body) {
  std::vector<int64_t> out;
  size_t p = 0;
  while ((p = body.find('{', p)) != std::string::npos) {
    size_t e = body.find('}', p);
    if (e == std::string::npos) break;
    std::string_view obj(body.data() + p, e - p);
    if (json_field(obj, "status") == "available") out.push_back(std::atoll(json_field(obj, "seat_id").c_str()));
    p = e + 1;
  }
  return out;
}

// ---------------------------------------------------------------- the storm

enum class Outcome { pending, bought, sold_out_map, sold_out_queue, gave_up_refused, gave_up_errors, queue_ended, unfinished };
const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::pending: return "pending";
    case Outcome::bought: return "bought";
    case Outcome::sold_out_map: return "found_nothing_available";
    case Outcome::sold_out_queue: return "queue_sold_out";
    case Outcome::gave_up_refused: return "gave_up_after_refusals";
    case Outcome::gave_up_errors: return "gave_up_after_errors";
    case Outcome::queue_ended: return "queue_entry_ended";
    case Outcome::unfinished: return "unfinished_at_deadline";
  }
  return "?";
}

struct Buyer {
  int64_t user_id = 0;
  std::string auth;          // "Authorization: Bearer ...\r\n"
  std::string queue_token;
  int64_t reservation_id = 0;
  int holds_refused = 0, errors = 0, confirm_errors = 0, seats = 0;
  bool active = false;       // queue mode: the turn came
  Outcome outcome = Outcome::pending;
  Route route = SEATS;       // the request waiting to go out
  std::string request;
  double ready_at = 0;       // when it joined the FIFO
  bool retried_on_closed = false;
};

struct Conn {
  enum State { closed, connecting, idle, busy } state = closed;
  int fd = -1;
  int buyer = -1;
  std::string out;
  size_t out_off = 0;
  std::string in;
  double sent_at = 0, idle_since = 0;
  int served = 0;           // requests answered on this connection
  bool want_out = false;
};

class Storm {
 public:
  explicit Storm(const Settings& s) : s_(s), rng_(s.seed) {}

  int run();

 private:
  // buyer steps
  void arrive(int b);
  void build(int b, Route route, const std::string& method, const std::string& path, const std::string& body,
             bool queue_token = false);
  void send(int b, Route route, const std::string& method, const std::string& path, const std::string& body,
            bool queue_token = false) {
    build(b, route, method, path, body, queue_token);
    ready_.push_back(b);
  }
  void on_response(int b, const Response& r);
  void on_failure(int b);  // no answer: connection refused, reset, closed mid-response
  void after_error(int b, int retry_after);
  void buy(int b);  // a fresh seat map
  void finish(int b, Outcome o);
  // connections
  void dispatch();
  int open_conn();
  void start_write(int c);
  void on_event(int c, uint32_t events);
  void close_conn(int c);
  void set_events(int c, bool want_out);
  void record(int b, Route route, const std::string& key, double latency_s, int status);
  json summary();

  const Settings& s_;
  std::mt19937_64 rng_;
  std::vector<Buyer> buyers_;
  std::vector<Conn> conns_;
  std::vector<int> idle_;           // LIFO of idle connections
  std::vector<int> free_slots_;
  std::deque<int> ready_;           // buyers whose request waits for a connection
  using Timer = std::pair<double, int>;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
  int epoll_ = -1;
  int open_ = 0, peak_open_ = 0, in_flight_ = 0, peak_in_flight_ = 0;
  int done_ = 0;
  RouteStats stats_[NROUTES];
  std::vector<uint32_t> wait_us_;   // time in the FIFO, every request
  int64_t connects_ = 0, connect_errors_ = 0, resent_on_closed_ = 0, failures_ = 0;
  int64_t seats_confirmed_ = 0, reservations_confirmed_ = 0;
  double first_request_at_ = -1, last_confirm_at_ = -1, sold_out_at_ = -1, started_at_ = 0, ended_at_ = 0;
  int64_t lost_turns_ = 0, polls_too_soon_ = 0, admitted_ = 0;
  double admit_wait_sum_ = 0;
  std::vector<uint32_t> admit_wait_ms_;  // queue mode: arrival -> first seen active
  std::vector<double> arrived_at_;
  bool deadline_hit_ = false;
};

void Storm::build(int b, Route route, const std::string& method, const std::string& path, const std::string& body,
                  bool queue_token) {
  Buyer& u = buyers_[b];
  u.route = route;
  u.request.clear();
  u.request += method + " " + path + " HTTP/1.1\r\nHost: " + s_.host + ":" + std::to_string(s_.port) + "\r\n";
  u.request += u.auth;
  if (queue_token) u.request += "X-Queue-Token: " + u.queue_token + "\r\n";
  if (method == "POST") {
    u.request += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  u.request += "\r\n";
  u.request += body;
  u.ready_at = now_s();
  u.retried_on_closed = false;
}

void Storm::finish(int b, Outcome o) {
  buyers_[b].outcome = o;
  done_++;
}

void Storm::arrive(int b) {
  arrived_at_[b] = now_s();
  if (s_.mode == "queue")
    send(b, ENTER, "POST", "/v1/performances/" + std::to_string(s_.performance) + "/queue", "");
  else
    buy(b);
}

void Storm::buy(int b) { send(b, SEATS, "GET", "/v1/performances/" + std::to_string(s_.performance) + "/seats", ""); }

// A 5xx, 429 or a failed connection: wait (Retry-After, or 1 s) and send the
// same request again; after --error-attempts (a confirm: 60) give up.
void Storm::after_error(int b, int retry_after) {
  Buyer& u = buyers_[b];
  if (u.route == CONFIRM ? ++u.confirm_errors > s_.confirm_attempts : ++u.errors > s_.error_attempts) {
    if (u.route != LEAVE && u.active && !u.queue_token.empty()) {  // give the turn back
      send(b, LEAVE, "DELETE", "/v1/queue", "", true);
      u.outcome = Outcome::gave_up_errors;
      return;
    }
    finish(b, u.outcome == Outcome::pending ? Outcome::gave_up_errors : u.outcome);
    return;
  }
  u.ready_at = 0;  // re-queued by the timer as it is
  timers_.push({now_s() + (retry_after > 0 ? retry_after : 1.0), -1 - b});
}

void Storm::on_response(int b, const Response& r) {
  Buyer& u = buyers_[b];
  double t = now_s();
  if (r.status >= 500) return after_error(b, r.retry_after);
  switch (u.route) {
    case SEATS: {
      if (r.status != 200) return after_error(b, r.retry_after);
      std::vector<int64_t> free = available_seats(r.body);
      if (free.empty()) {
        if (u.active) {
          u.outcome = Outcome::sold_out_map;
          return send(b, LEAVE, "DELETE", "/v1/queue", "", true);
        }
        return finish(b, Outcome::sold_out_map);
      }
      int k = std::min<int>(s_.seats_per_buyer, static_cast<int>(free.size()));
      for (int i = 0; i < k; i++) {
        std::uniform_int_distribution<size_t> pick(i, free.size() - 1);
        std::swap(free[i], free[pick(rng_)]);
      }
      std::string body = "{\"seat_ids\":[";
      for (int i = 0; i < k; i++) body += (i ? "," : "") + std::to_string(free[i]);
      body += "]}";
      u.seats = k;
      return send(b, HOLD, "POST", "/v1/performances/" + std::to_string(s_.performance) + "/holds", body);
    }
    case HOLD: {
      if (r.status == 201) {
        u.reservation_id = std::atoll(json_field(r.body, "reservation_id").c_str());
        return send(b, CONFIRM, "POST", "/v1/reservations/" + std::to_string(u.reservation_id) + "/confirm", "{}");
      }
      std::string code = json_field(r.body, "code");
      if (r.status == 409 && code == "TK003") {
        if (++u.holds_refused >= s_.hold_attempts) {
          if (u.active) {
            u.outcome = Outcome::gave_up_refused;
            return send(b, LEAVE, "DELETE", "/v1/queue", "", true);
          }
          return finish(b, Outcome::gave_up_refused);
        }
        return buy(b);
      }
      if (r.status == 403 && code == "TK025") {  // the turn ran out: ask the queue again
        lost_turns_++;
        u.active = false;
        return send(b, POLL, "GET", "/v1/queue", "", true);
      }
      if (r.status == 429) return after_error(b, r.retry_after);
      return finish(b, Outcome::gave_up_errors);
    }
    case CONFIRM: {
      if (r.status == 200 && json_field(r.body, "status") == "confirmed") {
        seats_confirmed_ += u.seats;
        reservations_confirmed_++;
        last_confirm_at_ = t;
        if (sold_out_at_ < 0 && seats_confirmed_ >= s_.seats_total) sold_out_at_ = t;
        return finish(b, Outcome::bought);
      }
      if (r.status == 429) return after_error(b, r.retry_after);
      return finish(b, Outcome::gave_up_errors);
    }
    case ENTER:
    case POLL: {
      if (r.status == 429) {
        polls_too_soon_++;
        return after_error(b, r.retry_after);
      }
      if (r.status != 200) return after_error(b, r.retry_after);
      json ticket = json::parse(r.body, nullptr, false);
      if (!ticket.is_object()) return after_error(b, -1);
      if (ticket.contains("token") && ticket["token"].is_string()) u.queue_token = ticket["token"].get<std::string>();
      std::string state = ticket.value("state", "");
      if (state == "active") {
        if (!u.active) {
          u.active = true;
          admitted_++;
          admit_wait_ms_.push_back(static_cast<uint32_t>((t - arrived_at_[b]) * 1000));
        }
        return buy(b);
      }
      if (state == "waiting") {
        double after = 1;
        if (ticket.contains("poll_after_seconds") && ticket["poll_after_seconds"].is_number())
          after = ticket["poll_after_seconds"].get<double>();
        if (r.retry_after > after) after = r.retry_after;
        // honour it, plus up to 100 ms of jitter (never earlier)
        after += std::uniform_real_distribution<double>(0, 0.1)(rng_);
        build(b, POLL, "GET", "/v1/queue", "", true);
        timers_.push({t + after, -1 - b});  // the timer puts it in the FIFO
        return;
      }
      if (state == "sold_out") return finish(b, Outcome::sold_out_queue);
      return finish(b, Outcome::queue_ended);  // used, left, expired
    }
    case LEAVE: {
      Outcome o = u.outcome == Outcome::pending ? Outcome::queue_ended : u.outcome;
      return finish(b, o);
    }
    default: break;
  }
}

void Storm::on_failure(int b) {
  failures_++;
  after_error(b, -1);
}

void Storm::record(int b, Route route, const std::string& key, double latency_s, int status) {
  (void)b;
  RouteStats& st = stats_[route];
  if (latency_s >= 0) st.latency_us.push_back(static_cast<uint32_t>(latency_s * 1e6));
  st.statuses[key]++;
  if (status >= 500) st.s5xx++;
}

int Storm::open_conn() {
  if (free_slots_.empty()) return -1;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) die(std::string("socket: ") + std::strerror(errno) + " (raise ulimit -n)");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(s_.port));
  inet_pton(AF_INET, s_.host.c_str(), &addr.sin_addr);
  int c = free_slots_.back();
  free_slots_.pop_back();
  Conn& k = conns_[c];
  k = Conn();
  k.fd = fd;
  k.state = Conn::connecting;
  connects_++;
  open_++;
  peak_open_ = std::max(peak_open_, open_);
  epoll_event ev{};
  ev.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP;
  ev.data.u32 = static_cast<uint32_t>(c);
  if (epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) != 0) die(std::string("epoll_ctl: ") + std::strerror(errno));
  k.want_out = true;
  int rc = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  if (rc != 0 && errno != EINPROGRESS) {
    connect_errors_++;
    close_conn(c);
    return -2;
  }
  return c;
}

void Storm::set_events(int c, bool want_out) {
  Conn& k = conns_[c];
  if (k.want_out == want_out) return;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | (want_out ? uint32_t(EPOLLOUT) : 0u);
  ev.data.u32 = static_cast<uint32_t>(c);
  epoll_ctl(epoll_, EPOLL_CTL_MOD, k.fd, &ev);
  k.want_out = want_out;
}

void Storm::close_conn(int c) {
  Conn& k = conns_[c];
  if (k.fd >= 0) {
    epoll_ctl(epoll_, EPOLL_CTL_DEL, k.fd, nullptr);
    close(k.fd);
    open_--;
  }
  if (k.state == Conn::busy || k.state == Conn::connecting) {
    if (k.buyer >= 0) in_flight_--;
  }
  k.fd = -1;
  k.state = Conn::closed;
  k.buyer = -1;
  free_slots_.push_back(c);
}

void Storm::start_write(int c) {
  Conn& k = conns_[c];
  if (k.state != Conn::busy || k.out_off == 0) {
    k.sent_at = now_s();
    if (first_request_at_ < 0) first_request_at_ = k.sent_at;
  }
  k.state = Conn::busy;
  while (k.out_off < k.out.size()) {
    ssize_t n = ::send(k.fd, k.out.data() + k.out_off, k.out.size() - k.out_off, MSG_NOSIGNAL);
    if (n > 0) {
      k.out_off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      set_events(c, true);
      return;
    }
    // the write failed: handled like a close before the answer
    on_event(c, EPOLLERR);
    return;
  }
  set_events(c, false);
}

void Storm::dispatch() {
  double t = now_s();
  while (!ready_.empty()) {
    int c = -1;
    while (!idle_.empty()) {
      int x = idle_.back();
      idle_.pop_back();
      Conn& k = conns_[x];
      if (k.state != Conn::idle) continue;
      if (t - k.idle_since > s_.idle_close_s) {  // the shim is about to close it: don't race it
        close_conn(x);
        continue;
      }
      c = x;
      break;
    }
    bool fresh = false;
    if (c < 0) {
      if (open_ >= s_.connections) return;
      c = open_conn();
      if (c == -1) return;
      if (c == -2) {  // connect failed at once: the buyer retries later
        int b = ready_.front();
        ready_.pop_front();
        on_failure(b);
        continue;
      }
      fresh = true;
    }
    int b = ready_.front();
    ready_.pop_front();
    Buyer& u = buyers_[b];
    wait_us_.push_back(static_cast<uint32_t>((t - u.ready_at) * 1e6));
    Conn& k = conns_[c];
    k.buyer = b;
    k.out = u.request;
    k.out_off = 0;
    k.in.clear();
    in_flight_++;
    peak_in_flight_ = std::max(peak_in_flight_, in_flight_);
    if (!fresh) start_write(c);  // a fresh one writes once connected
  }
}

void Storm::on_event(int c, uint32_t events) {
  Conn& k = conns_[c];
  if (k.state == Conn::closed) return;
  if (k.state == Conn::connecting) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(k.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0 || (events & (EPOLLERR | EPOLLHUP))) {
      connect_errors_++;
      int b = k.buyer;
      close_conn(c);
      if (b >= 0) {
        record(b, buyers_[b].route, "connect error", -1, 0);
        on_failure(b);
      }
      return;
    }
    if (events & EPOLLOUT) start_write(c);
    return;
  }
  if (k.state == Conn::idle) {  // the server closed it (keep-alive timeout), or sent what nobody asked
    close_conn(c);
    return;
  }
  // busy
  if ((events & EPOLLOUT) && k.out_off < k.out.size()) {
    start_write(c);
    if (k.state != Conn::busy) return;
  }
  bool eof = (events & EPOLLERR) != 0;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) {
    char buf[65536];
    for (;;) {
      ssize_t n = recv(k.fd, buf, sizeof buf, 0);
      if (n > 0) {
        k.in.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n == 0) eof = true;
      else if (errno != EAGAIN && errno != EWOULDBLOCK) eof = true;
      break;
    }
  }
  Response r;
  int parsed = k.in.empty() ? 0 : parse_response(k.in, &r);
  int b = k.buyer;
  if (parsed == 1) {
    double t = now_s();
    Buyer& u = buyers_[b];
    std::string key = std::to_string(r.status);
    if (r.status >= 400) {
      std::string code = json_field(r.body, "code");
      if (!code.empty()) key += " " + code;
    }
    record(b, u.route, key, t - k.sent_at, r.status);
    k.served++;
    in_flight_--;
    k.buyer = -1;
    if (r.close || eof) {
      k.state = Conn::closed;  // close_conn must not count it in flight again
      close_conn(c);
    } else {
      k.state = Conn::idle;
      k.idle_since = t;
      idle_.push_back(c);
    }
    on_response(b, r);
    return;
  }
  if (parsed == -1 || eof) {
    Buyer& u = buyers_[b];
    // Closed before any byte of an answer on a reused connection: the
    // server's keep-alive close raced our request; it never read it. Send it
    // again, once, on another connection.
    bool resend = k.in.empty() && k.served > 0 && !u.retried_on_closed && parsed != -1;
    close_conn(c);
    if (resend) {
      resent_on_closed_++;
      u.retried_on_closed = true;
      ready_.push_front(b);
      return;
    }
    record(b, u.route, parsed == -1 ? "unreadable answer" : "connection closed", -1, 0);
    on_failure(b);
  }
}

int Storm::run() {
  std::string secret = read_secret(s_.jwt_secret_file);
  int64_t wall = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  buyers_.resize(static_cast<size_t>(s_.buyers));
  arrived_at_.assign(buyers_.size(), 0);
  for (int i = 0; i < s_.buyers; i++) {
    buyers_[i].user_id = s_.first_user + i;
    buyers_[i].auth = "Authorization: Bearer " + sign_token(s_, secret, buyers_[i].user_id, wall) + "\r\n";
  }
  conns_.resize(static_cast<size_t>(s_.connections));
  for (int c = s_.connections - 1; c >= 0; c--) free_slots_.push_back(c);
  epoll_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_ < 0) die("epoll_create1");

  // arrivals: uniform at random within the ramp
  started_at_ = now_s();
  std::uniform_real_distribution<double> arrival(0, s_.ramp_s);
  for (int i = 0; i < s_.buyers; i++) timers_.push({started_at_ + arrival(rng_), i});
  std::vector<char> arrived(buyers_.size(), 0);

  std::vector<epoll_event> events(1024);
  double deadline = started_at_ + s_.deadline_s;
  while (done_ < s_.buyers) {
    double t = now_s();
    if (t >= deadline) {
      deadline_hit_ = true;
      break;
    }
    while (!timers_.empty() && timers_.top().first <= t) {
      int id = timers_.top().second;
      timers_.pop();
      if (id >= 0 && !arrived[id]) {
        arrived[id] = 1;
        arrive(id);
      } else if (id < 0) {  // a request to send again, as it is
        int b = -1 - id;
        buyers_[b].ready_at = t;
        ready_.push_back(b);
      }
    }
    dispatch();
    int timeout_ms = 50;
    if (!timers_.empty()) {
      double dt = timers_.top().first - now_s();
      timeout_ms = std::max(0, std::min(timeout_ms, static_cast<int>(std::ceil(dt * 1000))));
    }
    int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), timeout_ms);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    for (int i = 0; i < n; i++) on_event(static_cast<int>(events[i].data.u32), events[i].events);
  }
  ended_at_ = now_s();
  for (auto& u : buyers_)
    if (u.outcome == Outcome::pending) u.outcome = Outcome::unfinished;
  for (size_t c = 0; c < conns_.size(); c++)
    if (conns_[c].state != Conn::closed) close_conn(static_cast<int>(c));

  json j = summary();
  if (!s_.json_out.empty()) {
    std::ofstream f(s_.json_out);
    f << j.dump(1) << "\n";
  }
  // the table
  std::printf("\n-- %s: %d buyers, %d connections, performance %lld (%d seats), ramp %.0f s\n", s_.label.c_str(),
              s_.buyers, s_.connections, static_cast<long long>(s_.performance), s_.seats_total, s_.ramp_s);
  std::printf("%-9s %8s %8s %8s %8s  %s\n", "route", "requests", "p50 ms", "p99 ms", "max ms", "statuses");
  for (int r = 0; r < NROUTES; r++) {
    const json& x = j["routes"][kRouteKey[r]];
    if (x["requests"].get<int64_t>() == 0 && x["statuses"].empty()) continue;
    std::string st;
    for (auto& [k, v] : x["statuses"].items()) st += (st.empty() ? "" : ", ") + k + " x" + std::to_string(v.get<int64_t>());
    std::printf("%-9s %8lld %8.1f %8.1f %8.1f  %s\n", kRouteName[r], static_cast<long long>(x["requests"].get<int64_t>()),
                x["p50_ms"].get<double>(), x["p99_ms"].get<double>(), x["max_ms"].get<double>(), st.c_str());
  }
  std::printf("%s\n", j["outcomes"].dump().c_str());
  std::printf("client CPU %.1f s; peak %d connections open, %d requests in flight; %lld resent after a keep-alive close\n",
              j["client_cpu_s"].get<double>(), peak_open_, peak_in_flight_, static_cast<long long>(resent_on_closed_));
  std::printf("time to sell out %s; %lld seats confirmed (client view); run %.1f s%s\n",
              j["sold_out_s"].is_null() ? "n/a (not sold out)" : (std::to_string(j["sold_out_s"].get<double>()) + " s").c_str(),
              static_cast<long long>(seats_confirmed_), ended_at_ - started_at_, deadline_hit_ ? " (DEADLINE HIT)" : "");
  return 0;
}

json Storm::summary() {
  json j;
  j["label"] = s_.label;
  j["mode"] = s_.mode;
  j["url"] = s_.url;
  j["performance"] = s_.performance;
  j["buyers"] = s_.buyers;
  j["connections"] = s_.connections;
  j["ramp_s"] = s_.ramp_s;
  j["seats_total"] = s_.seats_total;
  j["run_s"] = ended_at_ - started_at_;
  j["deadline_hit"] = deadline_hit_;
  j["first_request_s"] = first_request_at_ - started_at_;
  j["sold_out_s"] = sold_out_at_ < 0 ? json(nullptr) : json(sold_out_at_ - first_request_at_);
  j["last_confirm_s"] = last_confirm_at_ < 0 ? json(nullptr) : json(last_confirm_at_ - first_request_at_);
  j["seats_confirmed"] = seats_confirmed_;
  j["reservations_confirmed"] = reservations_confirmed_;
  j["peak_connections"] = peak_open_;
  j["peak_in_flight"] = peak_in_flight_;
  j["connects"] = connects_;
  j["connect_errors"] = connect_errors_;
  j["resent_after_keepalive_close"] = resent_on_closed_;
  j["failed_requests"] = failures_;
  j["wait_p50_ms"] = percentile_ms(wait_us_, 0.50);
  j["wait_p99_ms"] = percentile_ms(wait_us_, 0.99);
  j["target_p99_ms"] = s_.target_p99_ms;
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  j["client_cpu_s"] = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  if (s_.mode == "queue") {
    j["admitted_seen"] = admitted_;
    j["turns_lost"] = lost_turns_;
    j["polls_too_soon"] = polls_too_soon_;
    std::vector<uint32_t> w;
    for (uint32_t ms : admit_wait_ms_) w.push_back(ms * 1000);
    j["admission_wait_p50_s"] = percentile_ms(w, 0.5) / 1000;
    j["admission_wait_max_s"] = percentile_ms(w, 1.0) / 1000;
  }
  std::map<std::string, int> outcomes;
  for (auto& u : buyers_) outcomes[outcome_name(u.outcome)]++;
  j["outcomes"] = outcomes;
  for (int r = 0; r < NROUTES; r++) {
    const RouteStats& st = stats_[r];
    json x;
    x["requests"] = static_cast<int64_t>(st.latency_us.size());
    x["p50_ms"] = percentile_ms(st.latency_us, 0.50);
    x["p99_ms"] = percentile_ms(st.latency_us, 0.99);
    x["max_ms"] = percentile_ms(st.latency_us, 1.0);
    x["statuses"] = st.statuses;
    x["s5xx"] = st.s5xx;
    j["routes"][kRouteKey[r]] = x;
  }
  return j;
}

// ---------------------------------------------------------------- --report

json load(const std::string& path) {
  std::ifstream f(path);
  if (!f) die("cannot read " + path);
  json j = json::parse(f, nullptr, false);
  if (j.is_discarded()) die(path + " is not JSON");
  return j;
}

std::string num(const json& v, const char* fmt = "%.1f") {
  if (v.is_null()) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v.get<double>());
  return buf;
}

int report(int argc, char** argv) {
  if (argc != 6) {
    usage();
    return 2;
  }
  json runs[2] = {load(argv[2]), load(argv[4])};
  json facts[2] = {load(argv[3]), load(argv[5])};
  int misses = 0;
  const json& a = runs[0];
  std::printf("\n== on-sale storm: 1 performance x %d seats, %d logged-in buyers arriving within %.0f s, "
              "at most %d connections (%s)\n",
              a["seats_total"].get<int>(), a["buyers"].get<int>(), a["ramp_s"].get<double>(),
              a["connections"].get<int>(), a["url"].get<std::string>().c_str());
  std::printf("   latency: request written -> answer read, per request (nearest rank); target p99 <= %.0f ms per route\n\n",
              a["target_p99_ms"].get<double>());
  std::printf("%-9s %-9s %8s %8s %8s %8s %6s  %-7s %s\n", "run", "route", "requests", "p50 ms", "p99 ms", "max ms", "5xx",
              "verdict", "statuses");
  for (int i = 0; i < 2; i++) {
    const json& r = runs[i];
    for (int k = 0; k < NROUTES; k++) {
      const json& x = r["routes"][kRouteKey[k]];
      if (x["requests"].get<int64_t>() == 0 && x["statuses"].empty()) continue;
      std::string st;
      for (auto& [code, n] : x["statuses"].items()) st += (st.empty() ? "" : ", ") + code + " x" + std::to_string(n.get<int64_t>());
      bool pass = x["p99_ms"].get<double>() <= r["target_p99_ms"].get<double>() && x["requests"].get<int64_t>() > 0;
      if (!pass) misses++;
      std::printf("%-9s %-9s %8lld %8.1f %8.1f %8.1f %6lld  %-7s %s\n", r["label"].get<std::string>().c_str(), kRouteName[k],
                  static_cast<long long>(x["requests"].get<int64_t>()), x["p50_ms"].get<double>(), x["p99_ms"].get<double>(),
                  x["max_ms"].get<double>(), static_cast<long long>(x["s5xx"].get<int64_t>()), pass ? "PASS" : "MISS", st.c_str());
    }
  }
  std::printf("\n%-9s %10s %10s %6s %6s %6s %7s %7s %7s %9s %9s %s\n", "run", "sold out s", "last conf", "sold", "held",
              "double", "invar.", "order", "peak", "wait p99", "run s", "outcomes");
  for (int i = 0; i < 2; i++) {
    const json& r = runs[i];
    const json& f = facts[i];
    std::string order = f.contains("out_of_order") && !f["out_of_order"].is_null() ? std::to_string(f["out_of_order"].get<int64_t>()) : "-";
    std::string peak = f.contains("peak_active") && !f["peak_active"].is_null()
                           ? std::to_string(f["peak_active"].get<int64_t>()) + "/" + std::to_string(f["max_active"].get<int64_t>())
                           : "-";
    std::printf("%-9s %10s %10s %6lld %6lld %6lld %7lld %7s %7s %9s %9s %s\n", r["label"].get<std::string>().c_str(),
                num(r["sold_out_s"], "%.2f").c_str(), num(r["last_confirm_s"], "%.2f").c_str(),
                static_cast<long long>(f["seats_sold"].get<int64_t>()), static_cast<long long>(f["seats_held"].get<int64_t>()),
                static_cast<long long>(f["double_booked"].get<int64_t>()), static_cast<long long>(f["invariant_violations"].get<int64_t>()),
                order.c_str(), peak.c_str(), num(r["wait_p99_ms"]).c_str(), num(r["run_s"]).c_str(), r["outcomes"].dump().c_str());
  }
  std::puts("");
  for (int i = 0; i < 2; i++) {
    const json& r = runs[i];
    const json& f = facts[i];
    std::string label = r["label"].get<std::string>();
    auto check = [&](bool ok, const std::string& what) {
      if (!ok) misses++;
      std::printf("%-4s  %-9s %s\n", ok ? "PASS" : "MISS", label.c_str(), what.c_str());
    };
    check(f["seats_sold"].get<int64_t>() == r["seats_total"].get<int64_t>(),
          "seats sold (SQL) = " + std::to_string(r["seats_total"].get<int64_t>()) + ": " + std::to_string(f["seats_sold"].get<int64_t>()));
    check(f["double_booked"].get<int64_t>() == 0 && f["invariant_violations"].get<int64_t>() == 0,
          "no double booking, check_invariants() empty: " + std::to_string(f["double_booked"].get<int64_t>()) + " seats in 2+ sales, " +
              std::to_string(f["invariant_violations"].get<int64_t>()) + " violations");
    check(!r["deadline_hit"].get<bool>(), "finished within the deadline");
    if (f.contains("out_of_order") && !f["out_of_order"].is_null()) {
      check(f["out_of_order"].get<int64_t>() == 0, "admissions in order: " + std::to_string(f["out_of_order"].get<int64_t>()) + " out of order");
      check(f["peak_active"].get<int64_t>() <= f["max_active"].get<int64_t>(),
            "peak active " + std::to_string(f["peak_active"].get<int64_t>()) + " <= max_active " + std::to_string(f["max_active"].get<int64_t>()));
    }
  }
  const json& b = runs[1];
  if (!a["sold_out_s"].is_null() && !b["sold_out_s"].is_null())
    std::printf("\ntime to sell out, %s / %s: %.2f s / %.2f s = %.2fx\n", b["label"].get<std::string>().c_str(),
                a["label"].get<std::string>().c_str(), b["sold_out_s"].get<double>(), a["sold_out_s"].get<double>(),
                b["sold_out_s"].get<double>() / a["sold_out_s"].get<double>());
  else if (a["sold_out_s"].is_null() != b["sold_out_s"].is_null()) {
    // one run sold out, the other had not by the end of its run: a bound
    const json& sold = a["sold_out_s"].is_null() ? b : a;
    const json& unsold = a["sold_out_s"].is_null() ? a : b;
    double bound = unsold["run_s"].get<double>() - unsold["first_request_s"].get<double>();
    double ratio = a["sold_out_s"].is_null() ? b["sold_out_s"].get<double>() / bound : bound / a["sold_out_s"].get<double>();
    std::printf("\ntime to sell out, %s / %s: %.2f s / not sold out after %.1f s (%lld of %lld seats) = %s %.2fx\n",
                b["label"].get<std::string>().c_str(), a["label"].get<std::string>().c_str(),
                b["sold_out_s"].is_null() ? bound : b["sold_out_s"].get<double>(),
                bound, static_cast<long long>(unsold["seats_confirmed"].get<int64_t>()),
                static_cast<long long>(unsold["seats_total"].get<int64_t>()), &sold == &b ? "<" : ">", ratio);
  } else
    std::printf("\ntime to sell out ratio: n/a (neither run sold out)\n");
  std::printf("%d target(s) missed\n", misses);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "--report") return report(argc, argv);
  Settings s = parse_args(argc, argv);
  if (s.print_token) {
    int64_t wall = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::printf("%s\n", sign_token(s, read_secret(s.jwt_secret_file), s.first_user, wall).c_str());
    return 0;
  }
  Storm storm(s);
  return storm.run();
}
