// bench_purchase: the client of bench/payments/http-in-cluster.sh. N threads,
// each one logged-in buyer on a keep-alive connection of its own, buy seats of
// one performance for a fixed time and print one JSON line of figures.
//
//   --client shim --flow points   POST /v1/performances/{id}/holds (Bearer token)
//                                 POST /v1/reservations/{id}/payments/points (Idempotency-Key)
//   --client shim --flow card     the hold, then
//                                 POST /v1/reservations/{id}/payments/card {"method":"card"} (Idempotency-Key)
//                                 POST {gateway}/v1/payments: the buyer's payment window at the fake
//                                   gateway, behaviour "slow" (its confirm takes --delay-ms)
//                                 POST /v1/payments/{payment_id}/confirm {"payment_key": ...}
//   --client direct --flow points the same two calls without HTTP: what the shim's pool sends
//                                 for them (bench/http/direct_client.cpp), as the shim's login role,
//                                 in pipeline mode: the context statement (role boxoffice_app, the
//                                 buyer's claims), the route's prepared statement, Sync. The
//                                 statements are the shim's own (routes.cpp, pool.cpp).
//
// A cycle is one attempt: a hold refused because the seat is taken (409 TK003,
// or try_hold's NULL) ends it; otherwise it goes on to pay. A purchase is a
// cycle that paid (201 points, 200 card confirm). Latency is per cycle, from
// the hold sent to the last answer read, as pgbench times a transaction of
// bench/payments/*_purchase.sql. Errors: any other answer (status, SQL error,
// socket error); 5xx are also counted on their own.
//
// --buyers FILE: one line per buyer, "user_id access_token" (the token from
// POST /v1/login; the direct client uses only the user id). Thread i is buyer i.
#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "../latencies.hpp"
#include "pool.hpp"
#include "routes.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

struct Options {
  std::string client = "shim";  // shim | direct
  std::string flow = "points";  // points | card
  std::string url_host = "127.0.0.1";
  int url_port = 0;
  std::string conninfo;
  std::string gateway_host = "127.0.0.1";
  int gateway_port = 0;
  std::string gateway_secret_key;
  std::string behaviour = "slow";
  std::string buyers_file;
  long long performance = 0, first_seat = 0;
  int seats = 5000;
  int connections = 64;
  double seconds = 10;
  std::string label = "run";
  std::string histogram;
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "bench_purchase: %s\n"
               "usage: bench_purchase --client shim|direct --flow points|card --buyers FILE\n"
               "         --performance ID --first-seat ID [--seats 5000] [--connections 64] [--seconds 10]\n"
               "         shim: --port PORT [--host 127.0.0.1]; direct: --conninfo STR\n"
               "         card: --gateway-port PORT --gateway-secret-key KEY [--behaviour slow]\n"
               "         [--label TEXT] [--histogram FILE]\n",
               why.c_str());
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(a + " needs a value");
      return argv[++i];
    };
    if (a == "--client") o.client = value();
    else if (a == "--flow") o.flow = value();
    else if (a == "--host") o.url_host = value();
    else if (a == "--port") o.url_port = std::stoi(value());
    else if (a == "--conninfo") o.conninfo = value();
    else if (a == "--gateway-port") o.gateway_port = std::stoi(value());
    else if (a == "--gateway-secret-key") o.gateway_secret_key = value();
    else if (a == "--behaviour") o.behaviour = value();
    else if (a == "--buyers") o.buyers_file = value();
    else if (a == "--performance") o.performance = std::stoll(value());
    else if (a == "--first-seat") o.first_seat = std::stoll(value());
    else if (a == "--seats") o.seats = std::stoi(value());
    else if (a == "--connections") o.connections = std::stoi(value());
    else if (a == "--seconds") o.seconds = std::stod(value());
    else if (a == "--label") o.label = value();
    else if (a == "--histogram") o.histogram = value();
    else usage("unknown argument " + a);
  }
  if (o.client != "shim" && o.client != "direct") usage("--client must be shim or direct");
  if (o.flow != "points" && o.flow != "card") usage("--flow must be points or card");
  if (o.client == "direct" && o.flow != "points") usage("the direct client buys with points only");
  if (o.client == "shim" && o.url_port <= 0) usage("--port is required");
  if (o.client == "direct" && o.conninfo.empty()) usage("--conninfo is required");
  if (o.flow == "card" && o.gateway_port <= 0) usage("--gateway-port is required for the card flow");
  if (o.performance <= 0 || o.first_seat <= 0 || o.seats < 1 || o.connections < 1 || o.seconds <= 0)
    usage("--performance, --first-seat, --seats, --connections and --seconds must be positive");
  return o;
}

struct Buyer {
  std::string user_id, token;
};

std::vector<Buyer> read_buyers(const std::string& file) {
  std::vector<Buyer> out;
  std::ifstream in(file);
  Buyer b;
  while (in >> b.user_id >> b.token) out.push_back(b);
  return out;
}

struct Tally {
  uint64_t cycles = 0, purchases = 0, refused = 0, errors = 0, s5xx = 0;
  std::vector<uint32_t> latencies_us;
  std::string first_error;
  Clock::time_point finished;
};

// One step's answer: ok, refused (the seat is taken), or an error.
enum class Step { ok, refused, error };

// --- through the shim ---------------------------------------------------------

class ShimBuyer {
 public:
  ShimBuyer(const Options& o, const Buyer& b, Tally* t)
      : o_(o), t_(t), shim_(o.url_host, o.url_port), gateway_(o.gateway_host, o.gateway_port > 0 ? o.gateway_port : 1) {
    for (httplib::Client* c : {&shim_, &gateway_}) {
      c->set_keep_alive(true);
      c->set_tcp_nodelay(true);
      c->set_connection_timeout(5, 0);
      c->set_read_timeout(15, 0);
      c->set_write_timeout(5, 0);
    }
    auth_ = {{"Authorization", "Bearer " + b.token}};
    gateway_.set_basic_auth(o.gateway_secret_key.c_str(), "");
  }

  // One cycle: hold a seat, then pay for it.
  Step cycle(long long seat) {
    json hold;
    Step s = post(shim_, "/v1/performances/" + std::to_string(o_.performance) + "/holds", auth_,
                  "{\"seat_ids\":[" + std::to_string(seat) + "]}", 201, "hold", &hold, true);
    if (s != Step::ok) return s;
    const std::string rid = std::to_string(hold.value("reservation_id", int64_t{0}));
    httplib::Headers keyed = auth_;
    keyed.emplace("Idempotency-Key", "bench-" + o_.label + "-" + rid);
    if (o_.flow == "points")
      return post(shim_, "/v1/reservations/" + rid + "/payments/points", keyed, "{}", 201, "pay_with_points", nullptr);

    json receipt;
    s = post(shim_, "/v1/reservations/" + rid + "/payments/card", keyed, "{\"method\":\"card\"}", 201,
             "start_card_payment", &receipt);
    if (s != Step::ok) return s;
    // the buyer's payment window, at the gateway: what its widget does in the browser
    json window_body = {{"orderId", receipt.value("order_id", "")}, {"amount", receipt.value("amount", int64_t{0})},
                        {"method", "CARD"}, {"behaviour", o_.behaviour}};
    json window;
    s = post(gateway_, "/v1/payments", {}, window_body.dump(), 200, "gateway window", &window);
    if (s != Step::ok) return s;
    json confirm = {{"payment_key", window.value("paymentKey", "")}};
    json outcome;
    s = post(shim_, "/v1/payments/" + std::to_string(receipt.value("payment_id", int64_t{0})) + "/confirm", auth_,
             confirm.dump(), 200, "confirm_card_payment", &outcome);
    if (s == Step::ok && outcome.value("status", "") != "approved") return error("confirm_card_payment: " + outcome.dump());
    return s;
  }

 private:
  Step error(const std::string& what) {
    ++t_->errors;
    if (t_->first_error.empty()) t_->first_error = what;
    return Step::error;
  }

  Step post(httplib::Client& c, const std::string& path, const httplib::Headers& headers, const std::string& body,
            int expected, const char* what, json* answer, bool may_refuse = false) {
    httplib::Result r = c.Post(path.c_str(), headers, body, "application/json");
    if (!r) return error(std::string(what) + ": " + httplib::to_string(r.error()));
    if (r->status == expected) {
      if (answer) {
        *answer = json::parse(r->body, nullptr, false);
        if (!answer->is_object()) return error(std::string(what) + ": unreadable answer " + r->body);
      }
      return Step::ok;
    }
    if (may_refuse && r->status == 409 && r->body.find("\"TK003\"") != std::string::npos) return Step::refused;
    if (r->status >= 500) ++t_->s5xx;
    return error(std::string(what) + ": " + std::to_string(r->status) + " " + r->body.substr(0, 300));
  }

  const Options& o_;
  Tally* t_;
  httplib::Client shim_, gateway_;
  httplib::Headers auth_;
};

// --- direct libpq, as the shim's pool sends it ---------------------------------

void ignore_notice(void*, const char*) {}

class DirectBuyer {
 public:
  DirectBuyer(const Options& o, const Buyer& b, Tally* t)
      : o_(o), t_(t), hold_(route("hold")), pay_(route("pay_with_points")) {
    claims_ = json{{"sub", b.user_id}, {"role", "buyer"}}.dump();
  }
  ~DirectBuyer() {
    if (pg_) PQfinish(pg_);
  }

  bool connect() {
    if (pg_) PQfinish(pg_);
    pg_ = PQconnectdb(o_.conninfo.c_str());
    if (!pg_ || PQstatus(pg_) != CONNECTION_OK) return fail_connect(pg_ ? PQerrorMessage(pg_) : "out of memory");
    PQsetNoticeProcessor(pg_, ignore_notice, nullptr);
    if (!command(PQexec(pg_, "SET statement_timeout = 5000"))) return false;  // the shim's default
    const shim::Statement& context = shim::context_statement();
    if (!command(PQprepare(pg_, context.name.c_str(), context.sql.c_str(), context.params, nullptr))) return false;
    for (const shim::Route* r : {&hold_, &pay_})
      if (!command(PQprepare(pg_, r->operation_id, r->sql, static_cast<int>(r->inputs.size()), nullptr))) return false;
    return true;
  }

  Step cycle(long long seat) {
    const std::string pid = std::to_string(o_.performance), body = "{\"seat_ids\":[" + std::to_string(seat) + "]}";
    std::string value;
    Step s = call(hold_, {pid, body, "", "127.0.0.1"}, "hold", &value);
    if (s != Step::ok) return s;
    if (value == "null") return Step::refused;  // try_hold: the seat is taken
    json hold = json::parse(value, nullptr, false);
    if (!hold.is_object()) return error("hold: unreadable " + value);
    const std::string rid = std::to_string(hold.value("reservation_id", int64_t{0}));
    s = call(pay_, {rid, "", "bench-" + o_.label + "-" + rid, "127.0.0.1"}, "pay_with_points", &value);
    if (s == Step::ok && value == "null") return error("pay_with_points: no receipt");
    return s;
  }

 private:
  static const shim::Route& route(const char* operation_id) {
    const shim::Route* r = shim::find_route(operation_id);
    if (!r || !r->sql) usage(std::string("the shim has no SQL route ") + operation_id);
    return *r;
  }

  bool fail_connect(const std::string& why) {
    error("connect: " + why);
    return false;
  }
  bool command(PGresult* r) {
    bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) fail_connect(r ? PQresultErrorMessage(r) : PQerrorMessage(pg_));
    PQclear(r);
    return ok;
  }
  Step error(const std::string& what) {
    ++t_->errors;
    if (t_->first_error.empty()) t_->first_error = what;
    return Step::error;
  }

  // The route's parameters as the shim's server passes them (route_parameters in server.cpp).
  struct Call {
    std::string path_id, body, idempotency_key, client;
  };
  Step call(const shim::Route& route, const Call& c, const char* what, std::string* value) {
    std::vector<const char*> values;
    for (shim::Input in : route.inputs) {
      switch (in) {
        case shim::Input::path_id: values.push_back(c.path_id.c_str()); break;
        case shim::Input::body: values.push_back(c.body.empty() ? "{}" : c.body.c_str()); break;
        case shim::Input::client: values.push_back(c.client.c_str()); break;
        case shim::Input::idempotency_key:  // no header: NULL, as the shim passes it
          values.push_back(c.idempotency_key.empty() ? nullptr : c.idempotency_key.c_str());
          break;
        default: values.push_back(nullptr); break;
      }
    }
    const char* context[2] = {"boxoffice_app", claims_.c_str()};
    if (PQenterPipelineMode(pg_) != 1 ||
        PQsendQueryPrepared(pg_, shim::context_statement().name.c_str(), 2, context, nullptr, nullptr, 0) != 1 ||
        PQsendQueryPrepared(pg_, route.operation_id, static_cast<int>(values.size()), values.data(), nullptr, nullptr,
                            0) != 1 ||
        PQpipelineSync(pg_) != 1)
      return broken(what);
    int index = 0, nulls = 0;
    bool synced = false;
    std::string failure;
    *value = "null";
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
      if (st == PGRES_FATAL_ERROR && failure.empty()) {
        const char* code = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        failure = std::string(code ? code : "") + " " + PQresultErrorMessage(r);
      } else if (index == 1 && st == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0)) {
        *value = PQgetvalue(r, 0, 0);
      }
      PQclear(r);
    }
    if (!synced || PQexitPipelineMode(pg_) != 1 || PQstatus(pg_) != CONNECTION_OK) return broken(what);
    if (!failure.empty()) return error(std::string(what) + ": " + failure);
    return Step::ok;
  }
  Step broken(const char* what) {
    Step s = error(std::string(what) + ": connection: " + PQerrorMessage(pg_));
    connect();
    return s;
  }

  const Options& o_;
  Tally* t_;
  const shim::Route& hold_;
  const shim::Route& pay_;
  std::string claims_;
  PGconn* pg_ = nullptr;
};

template <typename B>
void run(const Options& o, B& buyer, int index, std::atomic<bool>& go, const Clock::time_point* start, Tally* t) {
  while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
  const Clock::time_point deadline =
      *start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));
  // Each buyer walks seats of its own (index, index + connections, ...), as
  // the pgbench scripts do: purchases, not collisions; done, it waits.
  long long next = index;
  t->latencies_us.reserve(1 << 14);
  while (Clock::now() < deadline) {
    if (next >= o.seats) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    auto t0 = Clock::now();
    Step s = buyer.cycle(o.first_seat + next);
    next += o.connections;
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
    t->latencies_us.push_back(static_cast<uint32_t>(std::min<int64_t>(us, UINT32_MAX)));
    ++t->cycles;
    if (s == Step::ok) ++t->purchases;
    else if (s == Step::refused) ++t->refused;
    else std::this_thread::sleep_for(std::chrono::milliseconds(10));  // an error: do not spin on it
  }
  t->finished = Clock::now();
}

void worker(const Options& o, const Buyer& b, int index, std::atomic<int>& ready, std::atomic<bool>& go,
            const Clock::time_point* start, Tally* t) {
  if (o.client == "shim") {
    ShimBuyer buyer(o, b, t);
    ++ready;
    run(o, buyer, index, go, start, t);
  } else {
    DirectBuyer buyer(o, b, t);
    buyer.connect();  // connecting is not measured; a failure is counted and retried per call
    ++ready;
    run(o, buyer, index, go, start, t);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  std::vector<Buyer> buyers = read_buyers(o.buyers_file);
  if (static_cast<int>(buyers.size()) < o.connections)
    usage("--buyers has " + std::to_string(buyers.size()) + " buyers, fewer than --connections");
  std::vector<Tally> tallies(o.connections);
  std::vector<std::thread> threads;
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  Clock::time_point start;
  for (int i = 0; i < o.connections; ++i)
    threads.emplace_back(worker, std::cref(o), std::cref(buyers[i]), i, std::ref(ready), std::ref(go), &start,
                         &tallies[i]);
  while (ready.load() < o.connections) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  start = Clock::now();
  go.store(true, std::memory_order_release);
  for (auto& t : threads) t.join();

  Tally all;
  Clock::time_point end = start;
  for (Tally& t : tallies) {
    all.cycles += t.cycles;
    all.purchases += t.purchases;
    all.refused += t.refused;
    all.errors += t.errors;
    all.s5xx += t.s5xx;
    all.latencies_us.insert(all.latencies_us.end(), t.latencies_us.begin(), t.latencies_us.end());
    if (all.first_error.empty()) all.first_error = t.first_error;
    end = std::max(end, t.finished);
  }
  std::sort(all.latencies_us.begin(), all.latencies_us.end());
  const double elapsed = std::chrono::duration<double>(end - start).count();
  // "microseconds count" per line, as bench/http writes its distributions, so rounds merge exactly
  if (!o.histogram.empty()) {
    if (!bench::write_histogram(o.histogram, all.latencies_us)) usage("cannot write " + o.histogram);
  }
  json out = {{"client", o.client},
              {"flow", o.flow},
              {"label", o.label},
              {"connections", o.connections},
              {"seconds", bench::round2(elapsed)},
              {"cycles", all.cycles},
              {"purchases", all.purchases},
              {"refused", all.refused},
              {"errors", all.errors},
              {"s5xx", all.s5xx},
              {"purchases_per_s", bench::round2(elapsed > 0 ? all.purchases / elapsed : 0)},
              {"p50_ms", bench::round2(bench::percentile_ms(all.latencies_us, 0.50))},
              {"p99_ms", bench::round2(bench::percentile_ms(all.latencies_us, 0.99))},
              {"first_error", all.first_error}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
