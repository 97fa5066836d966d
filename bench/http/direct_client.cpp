// bench_direct: the direct libpq baseline of the HTTP benchmark (bench/http/).
// It runs the statements boxoffice-http runs for
//   GET  /v1/performances/{id}/seats          (--workload seatmap)
//   POST /v1/performances/{id}/holds           \ (--workload cycle: a guest hold
//   POST /v1/reservations/{id}/release         /  of 1 seat, released if it succeeded)
// from N threads, each with its own connection, for a fixed time, and prints
// one JSON line of figures.
//
// --mode pipeline (default) does what the shim's pool does, statement for
// statement: in pipeline mode, the prepared context statement
//   SELECT set_config('role', $1, true), set_config('request.jwt.claims', $2, true)
// then the route's prepared statement, then Sync: one round trip, one
// implicit transaction. Connect as the shim's login role for that.
// --mode plain runs only the route's prepared statement (autocommit, one round
// trip): the cheapest way a trusted client can make the same call.
// The statements come from the shim itself: the route table (routes.cpp) by
// operation_id, and the pool's context statement, so they cannot drift apart.
#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "../latencies.hpp"
#include "pool.hpp"
#include "routes.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

// The shim's routes this client calls, by operation_id.
struct Routes {
  const shim::Route& seat_map;
  const shim::Route& hold;
  const shim::Route& release;
};

const shim::Route& route_named(const char* operation_id) {
  const shim::Route* r = shim::find_route(operation_id);
  if (r == nullptr || r->sql == nullptr) {
    std::fprintf(stderr, "bench_direct: the shim has no SQL route %s\n", operation_id);
    std::exit(2);
  }
  return *r;
}

const Routes& routes() {
  static const Routes r{route_named("seat_map"), route_named("hold"), route_named("release")};
  return r;
}

// What a guest's call carries, by where the shim takes each parameter from.
struct GuestCall {
  std::string path_id, body, hold_token, client;
};

// The statement's parameters in the route's order, as the shim's server
// passes them: a guest has no user id, an absent hold token is NULL.
std::vector<const char*> parameters(const shim::Route& route, const GuestCall& call) {
  std::vector<const char*> out;
  for (shim::Input in : route.inputs) {
    switch (in) {
      case shim::Input::path_id: out.push_back(call.path_id.c_str()); break;
      case shim::Input::body: out.push_back(call.body.empty() ? "{}" : call.body.c_str()); break;
      case shim::Input::hold_token: out.push_back(call.hold_token.empty() ? nullptr : call.hold_token.c_str()); break;
      case shim::Input::queue_token: out.push_back(nullptr); break;  // the benchmark calls no queue route
      case shim::Input::idempotency_key: out.push_back(nullptr); break;  // nor one that moves money
      case shim::Input::optional_idempotency_key: out.push_back(nullptr); break;  // a hold without a key, as a plain client sends it
      case shim::Input::before: out.push_back(nullptr); break;
      case shim::Input::client: out.push_back(call.client.c_str()); break;
    }
  }
  return out;
}

struct Options {
  std::string conninfo;
  std::string workload = "cycle";  // seatmap | cycle
  std::string mode = "pipeline";   // pipeline | plain
  std::string role = "boxoffice_app";
  int connections = 64;
  double seconds = 15;
  long long first_performance = 0;
  int performances = 1;
  long long first_seat = 0;         // seat id of the first seat of first_performance
  int seats_per_performance = 320;  // seat ids are contiguous per performance
  int statement_timeout_ms = 5000;  // as the shim's default
  std::string label;                // copied into the output
  std::string histogram;            // if set: write "microseconds count" lines here
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "bench_direct: %s\n"
               "usage: bench_direct --conninfo STR --workload seatmap|cycle --first-performance ID\n"
               "         [--performances N] [--first-seat ID] [--seats-per-performance 320]\n"
               "         [--connections 64] [--seconds 15] [--mode pipeline|plain] [--role boxoffice_app]\n"
               "         [--statement-timeout-ms 5000] [--label TEXT] [--histogram FILE]\n",
               why);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage((a + " needs a value").c_str());
      return argv[++i];
    };
    if (a == "--conninfo") o.conninfo = value();
    else if (a == "--workload") o.workload = value();
    else if (a == "--mode") o.mode = value();
    else if (a == "--role") o.role = value();
    else if (a == "--connections") o.connections = std::stoi(value());
    else if (a == "--seconds") o.seconds = std::stod(value());
    else if (a == "--first-performance") o.first_performance = std::stoll(value());
    else if (a == "--performances") o.performances = std::stoi(value());
    else if (a == "--first-seat") o.first_seat = std::stoll(value());
    else if (a == "--seats-per-performance") o.seats_per_performance = std::stoi(value());
    else if (a == "--statement-timeout-ms") o.statement_timeout_ms = std::stoi(value());
    else if (a == "--label") o.label = value();
    else if (a == "--histogram") o.histogram = value();
    else if (a == "--help") usage("help");
    else usage(("unknown argument " + a).c_str());
  }
  if (o.workload != "seatmap" && o.workload != "cycle") usage("--workload must be seatmap or cycle");
  if (o.mode != "pipeline" && o.mode != "plain") usage("--mode must be pipeline or plain");
  if (o.connections < 1 || o.seconds <= 0 || o.performances < 1 || o.seats_per_performance < 1)
    usage("--connections, --seconds, --performances and --seats-per-performance must be positive");
  if (o.first_performance <= 0) usage("--first-performance is required");
  if (o.workload == "cycle" && o.first_seat <= 0) usage("--first-seat is required for the cycle");
  return o;
}

// What one call came back with.
struct Reply {
  enum class Kind { ok, sql_error, connection_error } kind = Kind::ok;
  std::string sqlstate, message;
  std::string value;  // first column of the first row
  bool has_row = false;
};

void ignore_notice(void*, const char*) {}

class Session {
 public:
  Session(const Options& o) : o_(o) {}
  ~Session() {
    if (pg_) PQfinish(pg_);
  }

  bool connect(std::string* error) {
    if (pg_) PQfinish(pg_);
    pg_ = PQconnectdb(o_.conninfo.c_str());
    if (!pg_ || PQstatus(pg_) != CONNECTION_OK) {
      *error = pg_ ? PQerrorMessage(pg_) : "out of memory";
      return false;
    }
    PQsetNoticeProcessor(pg_, ignore_notice, nullptr);
    std::string set = "SET statement_timeout = " + std::to_string(o_.statement_timeout_ms);
    if (!command(PQexec(pg_, set.c_str()), error)) return false;
    const shim::Statement& context = shim::context_statement();
    if (o_.mode == "pipeline" && !prepare(context.name.c_str(), context.sql.c_str(), context.params, error))
      return false;
    for (const shim::Route* r : {&routes().seat_map, &routes().hold, &routes().release})
      if (!prepare(r->operation_id, r->sql, static_cast<int>(r->inputs.size()), error)) return false;
    return true;
  }

  // One call: the route's statement, in one round trip.
  Reply call(const shim::Route& route, const std::vector<const char*>& values) {
    int n = static_cast<int>(values.size());
    return o_.mode == "pipeline" ? pipelined(route.operation_id, n, values.data())
                                 : plain(route.operation_id, n, values.data());
  }

 private:
  bool prepare(const char* name, const char* sql, int params, std::string* error) {
    return command(PQprepare(pg_, name, sql, params, nullptr), error);
  }

  bool command(PGresult* r, std::string* error) {
    bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) *error = r ? PQresultErrorMessage(r) : PQerrorMessage(pg_);
    PQclear(r);
    return ok;
  }

  static void take(PGresult* r, Reply* out) {
    out->has_row = PQntuples(r) > 0;
    if (out->has_row) out->value = (PQnfields(r) == 0 || PQgetisnull(r, 0, 0)) ? "null" : PQgetvalue(r, 0, 0);
  }

  static void error_of(PGresult* r, Reply* out) {
    const char* s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    const char* m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    out->kind = s ? Reply::Kind::sql_error : Reply::Kind::connection_error;
    out->sqlstate = s ? s : "";
    out->message = m ? m : PQresultErrorMessage(r);
  }

  Reply plain(const char* statement, int n, const char* const* values) {
    Reply out;
    PGresult* r = PQexecPrepared(pg_, statement, n, values, nullptr, nullptr, 0);
    if (r && PQresultStatus(r) == PGRES_TUPLES_OK) take(r, &out);
    else if (r) error_of(r, &out);
    else {
      out.kind = Reply::Kind::connection_error;
      out.message = PQerrorMessage(pg_);
    }
    PQclear(r);
    if (PQstatus(pg_) != CONNECTION_OK) out.kind = Reply::Kind::connection_error;
    return out;
  }

  // As shim::Pool::execute: context statement, route statement, Sync.
  Reply pipelined(const char* statement, int n, const char* const* values) {
    Reply out;
    const char* context[2] = {o_.role.c_str(), "{}"};
    if (PQenterPipelineMode(pg_) != 1 ||
        PQsendQueryPrepared(pg_, shim::context_statement().name.c_str(), 2, context, nullptr, nullptr, 0) != 1 ||
        PQsendQueryPrepared(pg_, statement, n, values, nullptr, nullptr, 0) != 1 || PQpipelineSync(pg_) != 1) {
      out.kind = Reply::Kind::connection_error;
      out.message = PQerrorMessage(pg_);
      return out;
    }
    int index = 0, nulls = 0;
    bool failed = false, synced = false;
    while (true) {
      PGresult* r = PQgetResult(pg_);
      if (!r) {
        if (PQstatus(pg_) == CONNECTION_BAD || ++nulls > 1) break;
        ++index;
        continue;
      }
      nulls = 0;
      ExecStatusType st = PQresultStatus(r);
      if (st == PGRES_PIPELINE_SYNC) {
        PQclear(r);
        synced = true;
        break;
      }
      if (st == PGRES_FATAL_ERROR && !failed) {
        failed = true;
        error_of(r, &out);
      } else if (index == 1 && !failed && st == PGRES_TUPLES_OK) {
        take(r, &out);
      }
      PQclear(r);
    }
    if (!synced || PQexitPipelineMode(pg_) != 1 || PQstatus(pg_) != CONNECTION_OK) {
      out.kind = Reply::Kind::connection_error;
      if (out.message.empty()) out.message = PQerrorMessage(pg_);
    }
    return out;
  }

  const Options& o_;
  PGconn* pg_ = nullptr;
};

struct Tally {
  uint64_t requests = 0, ok = 0, refused = 0, errors = 0, cycles = 0;
  std::vector<uint32_t> latencies_us;
  std::string first_error;
  Clock::time_point finished;
};

void worker(const Options& o, int index, std::atomic<int>& connected, std::atomic<bool>& go, Clock::time_point* start,
            Tally* t) {
  Session session(o);
  std::string error;
  bool up = session.connect(&error);
  if (!up) t->first_error = "connect: " + error;
  ++connected;
  while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
  const Clock::time_point deadline = *start + std::chrono::duration_cast<Clock::duration>(
                                                   std::chrono::duration<double>(o.seconds));
  std::mt19937_64 rng(0x9e3779b97f4a7c15ULL * (index + 1) + std::random_device{}());
  std::uniform_int_distribution<int> perf(0, o.performances - 1);
  std::uniform_int_distribution<int> seat(0, o.seats_per_performance - 1);
  t->latencies_us.reserve(1 << 16);

  auto note_error = [&](const Reply& r, const char* what) {
    ++t->errors;
    if (t->first_error.empty()) t->first_error = std::string(what) + ": " + r.sqlstate + " " + r.message;
  };
  // Times one call and counts it; reconnects after a broken connection.
  auto timed = [&](const shim::Route& route, const GuestCall& call) {
    const std::vector<const char*> values = parameters(route, call);
    auto t0 = Clock::now();
    Reply r = session.call(route, values);
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
    t->latencies_us.push_back(static_cast<uint32_t>(std::min<int64_t>(us, UINT32_MAX)));
    ++t->requests;
    if (r.kind == Reply::Kind::connection_error) {
      std::string e;
      up = session.connect(&e);
    }
    return r;
  };

  while (Clock::now() < deadline) {
    if (!up) {  // could not connect: try again shortly, counting an error
      ++t->errors;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      up = session.connect(&error);
      continue;
    }
    const long long p = o.first_performance + perf(rng);
    const std::string pid = std::to_string(p);
    if (o.workload == "seatmap") {
      Reply r = timed(routes().seat_map, GuestCall{pid, "", "", ""});
      if (r.kind == Reply::Kind::ok && r.has_row && r.value.size() > 2) ++t->ok;
      else note_error(r, "seat_map");
      continue;
    }
    // cycle: a guest hold of one random seat of a random performance
    const long long s = o.first_seat + (p - o.first_performance) * o.seats_per_performance + seat(rng);
    const std::string body = "{\"seat_ids\":[" + std::to_string(s) + "]}";
    // a fan of the crowd: a client address of its own, as the shim's guest key
    const std::string client = "10." + std::to_string(seat(rng) % 250) + "." + std::to_string(seat(rng) % 250) + "." +
                               std::to_string(seat(rng) % 250);
    Reply h = timed(routes().hold, GuestCall{pid, body, "", client});
    if (h.kind == Reply::Kind::ok && (!h.has_row || h.value == "null")) {  // refused: try_hold answered NULL
      ++t->refused;
      continue;
    }
    if (h.kind != Reply::Kind::ok || !h.has_row) {
      note_error(h, "hold");
      continue;
    }
    std::string rid, token;
    try {
      json b = json::parse(h.value);
      rid = std::to_string(b.at("reservation_id").get<long long>());
      token = b.at("hold_token").get<std::string>();
    } catch (const std::exception& e) {
      Reply bad;
      bad.message = std::string("unreadable hold result: ") + e.what();
      note_error(bad, "hold");
      continue;
    }
    ++t->ok;
    Reply r = timed(routes().release, GuestCall{rid, "", token, client});
    if (r.kind == Reply::Kind::ok && r.has_row) {
      ++t->ok;
      ++t->cycles;
    } else {
      note_error(r, "release");
    }
  }
  t->finished = Clock::now();
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  std::vector<Tally> tallies(o.connections);
  std::vector<std::thread> threads;
  std::atomic<int> connected{0};
  std::atomic<bool> go{false};
  Clock::time_point start;
  for (int i = 0; i < o.connections; ++i)
    threads.emplace_back(worker, std::cref(o), i, std::ref(connected), std::ref(go), &start, &tallies[i]);
  // Connecting (64 backends forking on a busy machine) is not measured.
  while (connected.load() < o.connections) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  start = Clock::now();
  go.store(true, std::memory_order_release);
  for (auto& t : threads) t.join();

  Tally all;
  Clock::time_point end = start;
  size_t n = 0;
  for (const Tally& t : tallies) n += t.latencies_us.size();
  all.latencies_us.reserve(n);
  for (Tally& t : tallies) {
    all.requests += t.requests;
    all.ok += t.ok;
    all.refused += t.refused;
    all.errors += t.errors;
    all.cycles += t.cycles;
    all.latencies_us.insert(all.latencies_us.end(), t.latencies_us.begin(), t.latencies_us.end());
    if (all.first_error.empty()) all.first_error = t.first_error;
    end = std::max(end, t.finished);
  }
  std::sort(all.latencies_us.begin(), all.latencies_us.end());
  const double elapsed = std::chrono::duration<double>(end - start).count();
  // The latency distribution, as wrk's scripts write theirs (bench/http/common.lua),
  // so that in-cluster.sh can merge the rounds of a run exactly.
  if (!o.histogram.empty()) {
    if (!bench::write_histogram(o.histogram, all.latencies_us)) usage(("cannot write " + o.histogram).c_str());
  }
  json out = {{"client", "direct"},
              {"label", o.label},
              {"mode", o.mode},
              {"workload", o.workload},
              {"connections", o.connections},
              {"seconds", bench::round2(elapsed)},
              {"requests", all.requests},
              {"ok", all.ok},
              {"refused", all.refused},
              {"errors", all.errors},
              {"cycles", all.cycles},
              {"requests_per_s", bench::round2(elapsed > 0 ? all.requests / elapsed : 0)},
              {"cycles_per_s", bench::round2(elapsed > 0 ? all.cycles / elapsed : 0)},
              {"p50_ms", bench::round2(bench::percentile_ms(all.latencies_us, 0.50))},
              {"p99_ms", bench::round2(bench::percentile_ms(all.latencies_us, 0.99))},
              {"first_error", all.first_error}};
  std::printf("%s\n", out.dump().c_str());
  return all.errors == 0 ? 0 : 1;
}
