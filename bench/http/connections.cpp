// bench_connections: a crowd of keep-alive clients, as browsers make them
// (bench/http/connections.sh). Opens --connections TCP connections to one
// HTTP server, spread over --ramp-ms, and on each one sends a GET right after
// connecting and again every --interval-ms (+-25%, so the polls do not march
// in step) until it has had --requests answers, then closes it. Every
// connection stays open, idle between its polls, for the whole run: that is
// what a polling crowd does to a server.
//
// It counts, per connection, whether it connected (refused, timed out, other
// error) and got all its answers; per request, the status class, the latency
// from the send to the last byte of the answer, and what went wrong instead:
// no answer within --timeout-ms (the connection is then given up, as a browser
// would give up the page), a reset, or the server closing the connection.
// With --linger-ms a connection that has all its answers stays open, idle,
// until that long after the start (a page left open), unless the server
// closes it first (counted, not a failure).
// Prints a few lines for people, then one JSON line ("BENCH_JSON {...}").
//
// Event-driven (epoll), --threads threads with their own share of the
// connections: the client itself must not need a thread per connection.
// 127.0.0.1 only matters to the script; this program takes --host.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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
#include <queue>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  int port = 8080;
  int connections = 10000;
  int requests = 5;
  int interval_ms = 2000;
  int timeout_ms = 5000;
  int ramp_ms = 1000;
  int threads = 2;
  bool forwarded_for = false;  // each connection names a client of its own in X-Forwarded-For
  int linger_ms = 0;  // after its last answer a connection stays open, idle, until this long after the start
  std::string path = "/healthz";
  std::vector<std::string> headers;
  std::string label;
};

// What one thread saw; the threads' counts are added at the end.
struct Stats {
  long connect_attempts = 0, connected = 0, connect_refused = 0, connect_timeouts = 0, connect_errors = 0;
  long completed = 0;  // connections that got all their answers
  long sent = 0, answered = 0, s2xx = 0, s4xx = 0, s5xx = 0, s_other = 0;
  long timeouts = 0, resets = 0, closed_by_server = 0, bad_answers = 0;
  long never_answered = 0;  // connections that connected but got no answer at all
  long idle_closed = 0;     // lingering connections (all answers in) the server closed while they were idle
  std::vector<uint32_t> latency_us, first_us, poll_us, connect_us;  // all answers; the first of a connection; the others
  void add(const Stats& o) {
    connect_attempts += o.connect_attempts; connected += o.connected; connect_refused += o.connect_refused;
    connect_timeouts += o.connect_timeouts; connect_errors += o.connect_errors; completed += o.completed;
    sent += o.sent; answered += o.answered; s2xx += o.s2xx; s4xx += o.s4xx; s5xx += o.s5xx; s_other += o.s_other;
    timeouts += o.timeouts; resets += o.resets; closed_by_server += o.closed_by_server; bad_answers += o.bad_answers;
    never_answered += o.never_answered; idle_closed += o.idle_closed;
    latency_us.insert(latency_us.end(), o.latency_us.begin(), o.latency_us.end());
    first_us.insert(first_us.end(), o.first_us.begin(), o.first_us.end());
    poll_us.insert(poll_us.end(), o.poll_us.begin(), o.poll_us.end());
    connect_us.insert(connect_us.end(), o.connect_us.begin(), o.connect_us.end());
  }
};

enum class State { not_started, connecting, idle, waiting_answer, done, failed };

struct Conn {
  int fd = -1;
  State state = State::not_started;
  unsigned generation = 0;  // bumped on every change of state: older timers are stale
  int answers = 0;
  bool lingering = false;  // has all its answers, stays open until linger_ms
  Clock::time_point started;  // of the connect, then of the request in flight
  std::string in;
};

enum class Timer { start, send, deadline, close };
struct Due {
  Clock::time_point at;
  int conn;
  unsigned generation;
  Timer what;
  bool operator>(const Due& o) const { return at > o.at; }
};

uint32_t micros(Clock::duration d) {
  return static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(d).count());
}

// The length of a complete answer at the start of `in`, 0 if it is not
// complete yet, -1 if it cannot be read. Sets *status.
long complete_answer(const std::string& in, int* status) {
  size_t end = in.find("\r\n\r\n");
  if (end == std::string::npos) return in.size() > 65536 ? -1 : 0;
  if (in.compare(0, 9, "HTTP/1.1 ") != 0 && in.compare(0, 9, "HTTP/1.0 ") != 0) return -1;
  *status = std::atoi(in.c_str() + 9);
  std::string head = in.substr(0, end);
  for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t body = end + 4;
  size_t cl = head.find("\r\ncontent-length:");
  if (cl != std::string::npos) {
    long length = std::atol(head.c_str() + cl + 17);
    return in.size() >= body + static_cast<size_t>(length) ? static_cast<long>(body + length) : 0;
  }
  if (head.find("\r\ntransfer-encoding: chunked") != std::string::npos) {
    size_t at = body;
    while (true) {
      size_t line = in.find("\r\n", at);
      if (line == std::string::npos) return 0;
      long size = std::strtol(in.c_str() + at, nullptr, 16);
      if (size == 0) return in.size() >= line + 4 ? static_cast<long>(line + 4) : 0;  // no trailers
      at = line + 2 + size + 2;
      if (in.size() < at) return 0;
    }
  }
  return static_cast<long>(body);  // no body (204, 304) or one we cannot size
}

void run_thread(const Options& o, int first, int count, Clock::time_point t0, unsigned seed, Stats* out) {
  Stats s;
  std::vector<Conn> conns(count);
  std::priority_queue<Due, std::vector<Due>, std::greater<Due>> timers;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> jitter(0.75, 1.25);
  int ep = epoll_create1(0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(o.port));
  inet_pton(AF_INET, o.host.c_str(), &addr.sin_addr);
  std::string common = "GET " + o.path + " HTTP/1.1\r\nHost: " + o.host + ":" + std::to_string(o.port) + "\r\n";
  for (const std::string& h : o.headers) common += h + "\r\n";
  // Connection i of the crowd is client 10.x.y.z, x.y.z = i (a front that
  // trusts this client's address takes it for the real one).
  auto request_of = [&](int i) {
    if (!o.forwarded_for) return common + "\r\n";
    long n = first + i;
    return common + "X-Forwarded-For: 10." + std::to_string((n >> 16) & 255) + "." + std::to_string((n >> 8) & 255) +
           "." + std::to_string(n & 255) + "\r\n\r\n";
  };
  const auto timeout = std::chrono::milliseconds(o.timeout_ms);

  // Connection i of the whole crowd starts at ramp * i / connections.
  for (int i = 0; i < count; ++i) {
    long global = first + i;
    auto at = t0 + std::chrono::microseconds(static_cast<long long>(o.ramp_ms) * 1000 * global / o.connections);
    timers.push({at, i, 0, Timer::start});
  }
  int live = count;

  auto finish = [&](int i, State how) {
    Conn& c = conns[i];
    if (c.fd >= 0) {
      epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
      close(c.fd);
      c.fd = -1;
    }
    if (how == State::failed && c.state != State::connecting && c.answers == 0) ++s.never_answered;
    c.state = how;
    ++c.generation;
    --live;
  };
  auto send_request = [&](int i) {
    Conn& c = conns[i];
    const std::string request = request_of(i);
    ssize_t n = send(c.fd, request.data(), request.size(), MSG_NOSIGNAL);
    ++s.sent;
    if (n != static_cast<ssize_t>(request.size())) {  // a fresh small request always fits, unless the peer is gone
      ++s.resets;
      finish(i, State::failed);
      return;
    }
    c.state = State::waiting_answer;
    c.started = Clock::now();
    ++c.generation;
    timers.push({c.started + timeout, i, c.generation, Timer::deadline});
  };
  auto on_connected = [&](int i) {
    Conn& c = conns[i];
    int error = 0;
    socklen_t len = sizeof error;
    getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &len);
    if (error != 0) {
      if (error == ECONNREFUSED) ++s.connect_refused; else ++s.connect_errors;
      finish(i, State::failed);
      return;
    }
    ++s.connected;
    s.connect_us.push_back(micros(Clock::now() - c.started));
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u32 = static_cast<uint32_t>(i);
    epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
    send_request(i);  // a browser asks as soon as it is connected
  };
  auto on_readable = [&](int i) {
    Conn& c = conns[i];
    char buffer[16384];
    bool eof = false, reset = false;
    while (true) {
      ssize_t n = recv(c.fd, buffer, sizeof buffer, 0);
      if (n > 0) { c.in.append(buffer, static_cast<size_t>(n)); continue; }
      if (n == 0) eof = true;
      else if (errno != EAGAIN && errno != EWOULDBLOCK) reset = true;
      break;
    }
    if (c.state == State::waiting_answer) {
      int status = 0;
      long length = complete_answer(c.in, &status);
      if (length < 0) { ++s.bad_answers; finish(i, State::failed); return; }
      if (length > 0) {
        uint32_t us = micros(Clock::now() - c.started);
        s.latency_us.push_back(us);
        (c.answers == 0 ? s.first_us : s.poll_us).push_back(us);
        ++s.answered;
        if (status >= 200 && status < 300) ++s.s2xx;
        else if (status >= 400 && status < 500) ++s.s4xx;
        else if (status >= 500) ++s.s5xx;
        else ++s.s_other;
        c.in.erase(0, static_cast<size_t>(length));
        ++c.answers;
        if (c.answers >= o.requests) {
          ++s.completed;
          auto until = t0 + std::chrono::milliseconds(o.linger_ms);
          if (Clock::now() >= until) { finish(i, State::done); return; }
          c.state = State::idle;
          c.lingering = true;
          ++c.generation;
          timers.push({until, i, c.generation, Timer::close});
          return;
        }
        c.state = State::idle;
        ++c.generation;
        auto next = std::chrono::microseconds(static_cast<long long>(o.interval_ms * 1000 * jitter(rng)));
        timers.push({Clock::now() + next, i, c.generation, Timer::send});
      }
    }
    if ((reset || eof) && c.lingering) { ++s.idle_closed; finish(i, State::done); }
    else if (reset) { ++s.resets; finish(i, State::failed); }
    else if (eof) { ++s.closed_by_server; finish(i, State::failed); }
  };

  std::vector<epoll_event> events(1024);
  while (live > 0) {
    auto now = Clock::now();
    while (!timers.empty() && timers.top().at <= now) {
      Due d = timers.top();
      timers.pop();
      Conn& c = conns[d.conn];
      if (d.generation != c.generation) continue;  // stale
      if (d.what == Timer::start && c.state == State::not_started) {
        ++s.connect_attempts;
        c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (c.fd < 0) { ++s.connect_errors; finish(d.conn, State::failed); continue; }
        int one = 1;
        setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c.started = Clock::now();
        int r = connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        if (r < 0 && errno != EINPROGRESS) {
          if (errno == ECONNREFUSED) ++s.connect_refused; else ++s.connect_errors;
          finish(d.conn, State::failed);
          continue;
        }
        c.state = State::connecting;
        ++c.generation;
        epoll_event ev{};
        ev.events = EPOLLOUT;
        ev.data.u32 = static_cast<uint32_t>(d.conn);
        epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
        timers.push({c.started + timeout, d.conn, c.generation, Timer::deadline});
      } else if (d.what == Timer::close && c.lingering && c.state == State::idle) {
        finish(d.conn, State::done);
      } else if (d.what == Timer::send && c.state == State::idle) {
        send_request(d.conn);
      } else if (d.what == Timer::deadline) {
        if (c.state == State::connecting) { ++s.connect_timeouts; finish(d.conn, State::failed); }
        else if (c.state == State::waiting_answer) { ++s.timeouts; finish(d.conn, State::failed); }
      }
    }
    int wait_ms = 50;
    if (!timers.empty()) {
      auto until = std::chrono::duration_cast<std::chrono::milliseconds>(timers.top().at - Clock::now()).count();
      wait_ms = static_cast<int>(std::clamp<long long>(until + 1, 0, 50));
    }
    int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), wait_ms);
    for (int k = 0; k < n; ++k) {
      int i = static_cast<int>(events[k].data.u32);
      Conn& c = conns[i];
      if (c.state == State::connecting) on_connected(i);
      else if (c.state == State::waiting_answer || c.state == State::idle) on_readable(i);
    }
  }
  close(ep);
  *out = std::move(s);
}

double percentile(std::vector<uint32_t>& v, double p) {  // nearest rank, ms
  if (v.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * v.size()));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1] / 1000.0;
}

[[noreturn]] void usage(const char* error) {
  std::fprintf(stderr,
               "bench_connections: %s\nusage: bench_connections [--host H] [--port P] [--connections N] [--requests K]\n"
               "  [--interval-ms MS] [--timeout-ms MS] [--ramp-ms MS] [--threads T] [--path PATH] [--header 'K: V']...\n"
               "  [--linger-ms MS] [--forwarded-for on|off] [--label TEXT]\n",
               error);
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) usage(("missing value of " + a).c_str());
    std::string v = argv[++i];
    auto number = [&](int min) {
      char* end = nullptr;
      long n = std::strtol(v.c_str(), &end, 10);
      if (*end != '\0' || n < min || n > 10000000) usage(("bad value of " + a).c_str());
      return static_cast<int>(n);
    };
    if (a == "--forwarded-for") { o.forwarded_for = v == "on"; continue; }
    if (a == "--host") o.host = v;
    else if (a == "--port") o.port = number(1);
    else if (a == "--connections") o.connections = number(1);
    else if (a == "--requests") o.requests = number(1);
    else if (a == "--interval-ms") o.interval_ms = number(0);
    else if (a == "--timeout-ms") o.timeout_ms = number(1);
    else if (a == "--ramp-ms") o.ramp_ms = number(0);
    else if (a == "--threads") o.threads = number(1);
    else if (a == "--linger-ms") o.linger_ms = number(0);
    else if (a == "--path") o.path = v;
    else if (a == "--header") o.headers.push_back(v);
    else if (a == "--label") o.label = v;
    else usage(("unknown option " + a).c_str());
  }
  sockaddr_in probe{};
  if (inet_pton(AF_INET, o.host.c_str(), &probe.sin_addr) != 1) usage("--host must be an IPv4 address");

  auto t0 = Clock::now() + std::chrono::milliseconds(50);
  std::vector<Stats> per(o.threads);
  std::vector<std::thread> threads;
  int share = o.connections / o.threads, first = 0;
  for (int t = 0; t < o.threads; ++t) {
    int count = share + (t < o.connections % o.threads ? 1 : 0);
    threads.emplace_back(run_thread, std::cref(o), first, count, t0, 7919u * (t + 1), &per[t]);
    first += count;
  }
  for (auto& t : threads) t.join();
  double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  Stats s;
  for (const Stats& p : per) s.add(p);
  std::sort(s.latency_us.begin(), s.latency_us.end());
  std::sort(s.connect_us.begin(), s.connect_us.end());
  std::sort(s.first_us.begin(), s.first_us.end());
  std::sort(s.poll_us.begin(), s.poll_us.end());
  long failed = o.connections - s.completed;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  double cpu = usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;

  std::printf("%s: %d connections x %d GET %s every %d ms (+-25%%), timeout %d ms, in %.1f s\n",
              o.label.empty() ? "bench_connections" : o.label.c_str(), o.connections, o.requests, o.path.c_str(),
              o.interval_ms, o.timeout_ms, seconds);
  std::printf("  connections: %ld connected, %ld got all %d answers, %ld did not (refused %ld, connect timeouts %ld,"
              " connect errors %ld, never answered %ld)\n",
              s.connected, s.completed, o.requests, failed, s.connect_refused, s.connect_timeouts, s.connect_errors,
              s.never_answered);
  if (o.linger_ms > 0)
    std::printf("  kept open, idle, after the last answer until %d ms after the start: the server closed %ld of them before\n",
                o.linger_ms, s.idle_closed);
  std::printf("  requests: %ld sent, %ld answered (2xx %ld, 4xx %ld, 5xx %ld), %ld timeouts, %ld resets,"
              " %ld closed by the server, %.0f answers/s\n",
              s.sent, s.answered, s.s2xx, s.s4xx, s.s5xx, s.timeouts, s.resets, s.closed_by_server,
              s.answered / seconds);
  std::printf("  latency of the answers: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms; connect p50 %.2f ms, p99 %.2f ms\n",
              percentile(s.latency_us, 50), percentile(s.latency_us, 90), percentile(s.latency_us, 99),
              percentile(s.latency_us, 100), percentile(s.connect_us, 50), percentile(s.connect_us, 99));
  std::printf("    first answer of a connection (the crowd arriving): p50 %.2f ms, p99 %.2f ms; later polls: p50 %.2f ms, p99 %.2f ms\n",
              percentile(s.first_us, 50), percentile(s.first_us, 99), percentile(s.poll_us, 50), percentile(s.poll_us, 99));
  std::printf(
      "BENCH_JSON {\"label\":\"%s\",\"path\":\"%s\",\"connections\":%d,\"requests_per_connection\":%d,"
      "\"interval_ms\":%d,\"timeout_ms\":%d,\"seconds\":%.2f,\"connected\":%ld,\"completed\":%ld,\"failed\":%ld,"
      "\"connect_refused\":%ld,\"connect_timeouts\":%ld,\"connect_errors\":%ld,\"never_answered\":%ld,"
      "\"sent\":%ld,\"answered\":%ld,\"s2xx\":%ld,\"s4xx\":%ld,\"s5xx\":%ld,\"timeouts\":%ld,\"resets\":%ld,"
      "\"closed_by_server\":%ld,\"idle_closed\":%ld,\"bad_answers\":%ld,\"answers_per_s\":%.1f,\"p50_ms\":%.2f,\"p90_ms\":%.2f,"
      "\"p99_ms\":%.2f,\"max_ms\":%.2f,\"connect_p50_ms\":%.2f,\"connect_p99_ms\":%.2f,"
      "\"first_p50_ms\":%.2f,\"first_p99_ms\":%.2f,\"poll_p50_ms\":%.2f,\"poll_p99_ms\":%.2f,\"client_cpu_s\":%.2f}\n",
      o.label.c_str(), o.path.c_str(), o.connections, o.requests, o.interval_ms, o.timeout_ms, seconds, s.connected,
      s.completed, failed, s.connect_refused, s.connect_timeouts, s.connect_errors, s.never_answered, s.sent,
      s.answered, s.s2xx, s.s4xx, s.s5xx, s.timeouts, s.resets, s.closed_by_server, s.idle_closed, s.bad_answers,
      s.answered / seconds, percentile(s.latency_us, 50), percentile(s.latency_us, 90), percentile(s.latency_us, 99),
      percentile(s.latency_us, 100), percentile(s.connect_us, 50), percentile(s.connect_us, 99),
      percentile(s.first_us, 50), percentile(s.first_us, 99), percentile(s.poll_us, 50), percentile(s.poll_us, 99), cpu);
  return 0;
}
