#include "server.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <regex>
#include <utility>
#include <variant>
#include <vector>

#include <sys/socket.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "card_settlement.hpp"
#include "client_address.hpp"
#include "jwt.hpp"
#include "openapi.hpp"
#include "problem.hpp"
#include "request.hpp"
#include "routes.hpp"

namespace shim {

// What one request turned into, for the response, the access log and metrics.
struct Outcome {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::string route = "unmatched";
  std::vector<std::pair<std::string, std::string>> headers{};  // Allow, WWW-Authenticate, Retry-After
};

namespace {
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

struct CompiledRoute {
  const Route* route;
  std::regex pattern;
};

const std::vector<CompiledRoute>& compiled_routes() {
  static const std::vector<CompiledRoute> compiled = [] {
    std::vector<CompiledRoute> out;
    for (const Route& r : routes()) out.push_back({&r, std::regex(path_regex(r.path))});
    return out;
  }();
  return compiled;
}


Outcome problem(int status, const std::string& code, const std::string& message, const std::string& detail = {},
                const std::string& hint = {}, const std::string& error_id = {}) {
  return {status, problem_json(status, code, message, detail, hint, error_id), "application/problem+json"};
}

// What httplib refused before any handler ran (route_errors.cpp documents it).
Outcome unreadable_request(int status, size_t max_body_bytes) {
  switch (status) {
    case 413:
      return problem(413, "body_too_large", "request body too large",
                     "The body may have at most " + std::to_string(max_body_bytes) + " bytes.");
    case 414: return problem(414, "bad_request", "malformed HTTP request", "The request line is too long.");
    case 416: return problem(416, "bad_request", "malformed HTTP request", "The Range header cannot be read.");
    default:
      return problem(status, "bad_request", "malformed HTTP request",
                     "The request could not be read. A POST needs a Content-Length header, even for no body.",
                     "With curl, send a body: --json '{}'.");
  }
}

std::mutex log_mutex;

// One JSON line per event on stdout; never holds secrets or SQL.
void log_line(const json& line) {
  std::string text = line.dump() + "\n";
  std::lock_guard<std::mutex> lock(log_mutex);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

std::string utc_now() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  char buf[64];
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

bool is_json_content_type(const std::string& value) {
  std::string v = value.substr(0, value.find(';'));
  while (!v.empty() && v.back() == ' ') v.pop_back();
  for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return v == "application/json";
}

// The verified identity of a request. Its claims reach the database as
// request.jwt.claims, and the database takes the customer from them: no
// statement is given a user id (README: Security).
struct Caller {
  bool has_token = false;
  json claims = json::object();
  std::string role;
};

// A step of a request: what the next step goes on with, or the answer that
// ends the request here.
template <typename T>
using Step = std::variant<T, Outcome>;

Outcome with_header(Outcome o, const std::string& name, const std::string& value) {
  o.headers.emplace_back(name, value);
  return o;
}

struct MatchedRoute {
  const Route* route;
  std::string path_id;  // the {…_id} of the path, or ""
};

// A path that exists with another method is 405, else 404. HEAD is GET.
Step<MatchedRoute> match_route(const httplib::Request& req) {
  std::string allowed;
  for (const CompiledRoute& c : compiled_routes()) {
    std::smatch m;
    if (!std::regex_match(req.path, m, c.pattern)) continue;
    if (req.method == c.route->method || (req.method == "HEAD" && std::string(c.route->method) == "GET"))
      return MatchedRoute{c.route, m.size() > 1 ? m[1].str() : std::string()};
    allowed += (allowed.empty() ? "" : ", ") + std::string(c.route->method);
  }
  if (!allowed.empty())
    return with_header(problem(405, "method_not_allowed", "method not allowed",
                               req.method + " is not served here; use " + allowed + "."),
                       "Allow", allowed);
  return problem(404, "not_found", "no such route", req.path + " is not a route of this API.",
                 "GET /openapi.json lists every route.");
}

// Who is calling. A token, if sent, must be valid whatever the route; the
// route then says whether a token, or an admin's, is required.
Step<Caller> authenticate(const httplib::Request& req, const Route& route, const Settings& settings) {
  Caller caller;
  std::string authorization = req.get_header_value("Authorization");
  if (!authorization.empty()) {
    std::optional<std::string> token = bearer_token(authorization);
    if (!token || token->empty())
      return with_header(problem(401, "invalid_token", "malformed authorization header",
                                 "Send: Authorization: Bearer <token>."),
                         "WWW-Authenticate", "Bearer");
    jwt::Verified v = jwt::verify(*token, settings.jwt_secret, settings.jwt_issuer, settings.jwt_audience,
                                  std::chrono::duration_cast<std::chrono::seconds>(
                                      std::chrono::system_clock::now().time_since_epoch()).count());
    if (v.verdict != jwt::Verdict::valid)
      return with_header(problem(401, "invalid_token", jwt::describe(v.verdict), "", "Log in again at POST /v1/login."),
                         "WWW-Authenticate", "Bearer error=\"invalid_token\"");
    caller.has_token = true;
    caller.claims = v.claims;
    if (v.claims.contains("role") && v.claims["role"].is_string()) caller.role = v.claims["role"].get<std::string>();
  }
  if ((route.access == Access::user || route.access == Access::admin) && !caller.has_token)
    return with_header(problem(401, "authentication_required", "authentication required",
                               "This route needs a bearer token.", "Log in at POST /v1/login."),
                       "WWW-Authenticate", "Bearer");
  if (route.access == Access::admin && caller.role != "admin")
    return problem(403, "admin_required", "admin role required", "This route is for tokens with the admin role.");
  return caller;
}

// The client's address (client_address.hpp). A proxy may add its own
// X-Forwarded-For after the client's: all of them, in order, are one list.
std::string client_of(const httplib::Request& req, const TrustedProxies& trusted_proxies) {
  std::string forwarded;
  for (size_t i = 0, n = req.get_header_value_count("X-Forwarded-For"); i < n; i++)
    forwarded += (forwarded.empty() ? "" : ", ") + req.get_header_value("X-Forwarded-For", i);
  return client_address(req.remote_addr, forwarded, trusted_proxies);
}

// The body a route reads: a JSON object, "{}" when none was sent; "" for a
// route that reads none.
Step<std::string> read_body(const httplib::Request& req, const Route& route) {
  bool wants_body = false;
  for (Input in : route.inputs) wants_body = wants_body || in == Input::body;
  if (!wants_body) return std::string();
  if (req.body.empty()) return std::string("{}");
  if (req.has_header("Content-Type") && !is_json_content_type(req.get_header_value("Content-Type")))
    return problem(415, "unsupported_media_type", "unsupported media type", "Send the body as application/json.");
  if (!is_json_object(req.body)) return problem(400, "malformed_json", "malformed JSON", "The body must be one JSON object.");
  return req.body;
}

// The statement's parameters, in the order of the route's inputs.
std::vector<std::optional<std::string>> route_parameters(const Route& route, const httplib::Request& req,
                                                         const std::string& path_id, const std::string& body,
                                                         const std::string& client) {
  std::vector<std::optional<std::string>> params;
  for (Input in : route.inputs) {
    switch (in) {
      case Input::path_id: params.emplace_back(path_id); break;
      case Input::body: params.emplace_back(body); break;
      case Input::client: params.emplace_back(client); break;
      case Input::hold_token:
      case Input::queue_token:
      case Input::idempotency_key:
      case Input::optional_idempotency_key: {
        std::string token = req.get_header_value(in == Input::hold_token    ? "X-Hold-Token"
                                                 : in == Input::queue_token ? "X-Queue-Token"
                                                                            : "Idempotency-Key");
        params.push_back(token.empty() ? std::nullopt : std::optional<std::string>(token));
        break;
      }
      case Input::before: {
        std::string before = req.get_param_value("before");
        params.push_back(before.empty() ? std::nullopt : std::optional<std::string>(before));
        break;
      }
    }
  }
  return params;
}

// A 500 whose cause goes to the log under an id; the client gets only the id.
Outcome logged_internal_error(int status, const std::string& request_id, const Route& route, json cause,
                              const std::string& detail) {
  std::string error_id = random_hex_id();
  json line = {{"time", utc_now()}, {"level", "error"}, {"request_id", request_id}, {"error_id", error_id},
               {"route", route.path}};
  line.update(cause);
  log_line(line);
  return problem(status, status == 504 ? "timeout" : "internal_error", "something went wrong, please try again shortly",
                 detail, "Quote error_id " + error_id + " when reporting this.", error_id);
}

// What the database's result means over HTTP when it is not the route's JSON
// answer: no connection (503), a refusal, an error (its SQLSTATE's status),
// or nothing at all. nullopt: result->value is the answer.
std::optional<Outcome> database_problem(const std::optional<QueryResult>& result, const Route& route,
                                        const std::string& request_id) {
  if (!result)
    return with_header(problem(503, "database_busy", "database busy", "No database connection was free in time.",
                               "Retry shortly."),
                       "Retry-After", std::to_string(retry_after_for_status(503)));
  if (result->outcome == QueryResult::Outcome::connection_error)
    return with_header(problem(503, "database_unavailable", "database unavailable",
                               "The connection to the database failed. If it failed after the request was sent, "
                               "the request may have taken effect.",
                               "Retry shortly; after a write, look the result up before repeating it."),
                       "Retry-After", std::to_string(retry_after_for_status(503)));
  bool answered_nothing = !result->has_row || result->value == "null";
  // A refusal answered instead of raised (NULL and a NOTICE) reads like the
  // error it stands for: the database logged nothing.
  if (result->outcome == QueryResult::Outcome::ok && result->refusal && answered_nothing) {
    const QueryResult::Notice& n = *result->refusal;
    return problem(http_status_for_sqlstate(n.sqlstate), n.sqlstate, n.message, n.detail, n.hint);
  }
  if (result->outcome == QueryResult::Outcome::sql_error) {
    int status = http_status_for_sqlstate(result->sqlstate);
    Outcome o = status >= 500 ? logged_internal_error(status, request_id, route,
                                                      {{"sqlstate", result->sqlstate}, {"message", result->message}},
                                                      "Nothing was changed.")
                              : problem(status, result->sqlstate, result->message, result->detail, result->hint);
    if (int retry = retry_after_for_status(status)) o.headers.emplace_back("Retry-After", std::to_string(retry));
    if (status == 429) o.headers.emplace_back("Retry-After", std::to_string(seconds_to_wait(result->hint)));
    return o;
  }
  // Every route answers a JSON value; nothing, without a refusal to say why,
  // is never a success (a hold that held nothing must not read as 201).
  if (answered_nothing)
    return logged_internal_error(500, request_id, route, {{"message", "the database answered nothing"}}, "");
  return std::nullopt;
}

// POST /v1/login: the account the database verified, as a signed token.
Outcome issue_token(const std::string& account_json, const Settings& settings) {
  json account = json::parse(account_json);
  auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  json claims = {{"sub", std::to_string(account.at("user_id").get<int64_t>())},
                 {"role", account.at("role")},
                 {"iss", settings.jwt_issuer},
                 {"aud", settings.jwt_audience},
                 {"iat", now},
                 {"nbf", now},
                 {"exp", now + settings.token_ttl_s}};
  json answer = {{"access_token", jwt::sign(claims, settings.jwt_secret)},
                 {"token_type", "Bearer"},
                 {"expires_in", settings.token_ttl_s},
                 {"user_id", account.at("user_id")},
                 {"role", account.at("role")}};
  return {200, answer.dump()};
}

}  // namespace

std::vector<Statement> route_statements() {
  std::vector<Statement> out;
  for (const Route& r : routes())
    if (r.sql != nullptr) out.push_back({r.operation_id, r.sql, static_cast<int>(r.inputs.size())});
  return out;
}

HttpServer::HttpServer(const Settings& settings, Pool& pool, Metrics& metrics, const GatewayClient* gateway)
    : settings_(settings), pool_(pool), metrics_(metrics), gateway_(gateway), openapi_(openapi_document()),
      server_(std::make_unique<httplib::Server>()), secret_attempts_(settings.secret_attempts_per_minute),
      seat_maps_(std::chrono::milliseconds(settings.seat_map_max_age_ms),
                 [this](const std::string& part, const std::string& performance_id) {
                   // the same for every caller: asked as an anonymous buyer
                   return pool_.execute(database_role(Access::anyone), "{}",
                                        part == "layout" ? "seat_layout" : "seat_status", {performance_id});
                 }) {
  int threads = settings_.threads;
  server_->new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  server_->set_payload_max_length(settings_.max_body_bytes);
  server_->set_keep_alive_max_count(100000);
  server_->set_keep_alive_timeout(5);
  server_->set_read_timeout(10, 0);
  server_->set_write_timeout(10, 0);
  // httplib writes headers and body in two sends: without TCP_NODELAY the body
  // waits for the client's delayed ACK, about 40 ms per response.
  server_->set_tcp_nodelay(true);
  // Remember the listening socket, to widen httplib's fixed backlog of 5 in bind().
  server_->set_socket_options([this](socket_t sock) {
    httplib::default_socket_options(sock);
    listen_socket_ = sock;
  });
  auto handler = [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); };
  for (auto reg : {&httplib::Server::Get, &httplib::Server::Post, &httplib::Server::Put, &httplib::Server::Patch,
                   &httplib::Server::Delete, &httplib::Server::Options})
    (server_.get()->*reg)(".*", handler);
  // A POST, PUT or PATCH with neither Content-Length nor a chunked body would
  // have httplib read until the client closes, a read timeout later: it is
  // refused at once, as the error handler below words it (400 bad_request).
  server_->set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    bool carries_body = req.method == "POST" || req.method == "PUT" || req.method == "PATCH";
    if (!carries_body || req.has_header("Content-Length") || req.has_header("Transfer-Encoding"))
      return httplib::Server::HandlerResponse::Unhandled;
    res.status = 400;
    return httplib::Server::HandlerResponse::Handled;
  });
  // Errors httplib raises before a handler runs (body too large, bad request line).
  server_->set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    Outcome o = unreadable_request(res.status, settings_.max_body_bytes);
    std::string request_id = request_id_or_new(req.get_header_value("X-Request-Id"));
    res.set_header("X-Request-Id", request_id);
    res.set_content(o.body, o.content_type.c_str());
    log_line({{"time", utc_now()}, {"request_id", request_id}, {"method", req.method}, {"route", "unmatched"},
              {"status", res.status}});
    metrics_.observe(req.method, "unmatched", res.status, 0);
  });
}

HttpServer::~HttpServer() = default;

int HttpServer::bind() {
  int port = settings_.port == 0 ? server_->bind_to_any_port(settings_.listen_host)
                                 : (server_->bind_to_port(settings_.listen_host, settings_.port) ? settings_.port : -1);
  // A second listen() on a listening socket sets a new backlog (Linux): with 5,
  // a burst of new connections loses handshakes and waits a second to retry.
  if (port > 0 && listen_socket_ >= 0) ::listen(listen_socket_, SOMAXCONN);
  return port;
}

void HttpServer::serve() { server_->listen_after_bind(); }

void HttpServer::stop() { server_->stop(); }

void HttpServer::handle(const httplib::Request& req, httplib::Response& res) {
  auto started = Clock::now();
  struct InFlight {  // the gauge comes down however the request ends
    Metrics& m;
    explicit InFlight(Metrics& metrics) : m(metrics) { m.begin_request(); }
    ~InFlight() { m.end_request(); }
  } in_flight(metrics_);
  std::string request_id = request_id_or_new(req.get_header_value("X-Request-Id"));
  Outcome out;
  try {
    out = route_request(req, request_id);
  } catch (const std::exception& e) {  // never let httplib answer (it would leak e.what())
    std::string error_id = random_hex_id();
    log_line({{"time", utc_now()}, {"level", "error"}, {"request_id", request_id}, {"error_id", error_id},
              {"path", req.path}, {"exception", e.what()}});
    out = problem(500, "internal_error", "something went wrong, please try again shortly", "",
                  "Quote error_id " + error_id + " when reporting this.", error_id);
  }

  res.status = out.status;
  for (const auto& [name, value] : out.headers) res.set_header(name, value);
  res.set_header("X-Request-Id", request_id);
  if (req.method != "HEAD" && out.status != 304) res.set_content(out.body, out.content_type.c_str());
  double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  metrics_.observe(req.method, out.route, out.status, seconds);
  log_line({{"time", utc_now()}, {"request_id", request_id}, {"method", req.method}, {"route", out.route},
            {"status", out.status}, {"duration_ms", std::round(seconds * 1e5) / 100}});
}

Outcome HttpServer::route_request(const httplib::Request& req, const std::string& request_id) {
  Step<MatchedRoute> matched = match_route(req);
  if (auto* stop = std::get_if<Outcome>(&matched)) return *stop;  // route "unmatched"
  const MatchedRoute& m = std::get<MatchedRoute>(matched);
  Outcome out = answer_route(req, *m.route, m.path_id, request_id);
  out.route = m.route->path;
  return out;
}

// A matched route, step by step: who calls, then (for the database's routes)
// the attempt budget, the body, the statement and what its result means.
Outcome HttpServer::answer_route(const httplib::Request& req, const Route& route, const std::string& path_id,
                                 const std::string& request_id) {
  Step<Caller> authenticated = authenticate(req, route, settings_);
  if (auto* stop = std::get_if<Outcome>(&authenticated)) return *stop;
  const Caller& caller = std::get<Caller>(authenticated);
  if (std::optional<Outcome> own = serve_own_route(route.kind)) return *own;
  if (route.cached != Cached::no) return serve_seat_map(req, route, path_id, request_id);

  std::string client = client_of(req, settings_.trusted_proxies);
  if (std::optional<Outcome> stop = ration_secret_attempts(route, client)) return *stop;
  Step<std::string> read = read_body(req, route);
  if (auto* stop = std::get_if<Outcome>(&read)) return *stop;
  const std::string& body = std::get<std::string>(read);
  if (route.kind == Kind::card_confirm && gateway_ == nullptr)  // before the payment key is recorded
    return problem(503, "payments_unavailable", "payments unavailable",
                   "This server has no payment gateway: card payments cannot be confirmed here.",
                   "Pay with points, or ask the operator to configure --gateway-url.");

  std::string poll_key = poll_key_of(caller.claims, req.get_header_value("X-Queue-Token"));
  if (std::optional<Outcome> stop = pace_polls(route, poll_key)) return *stop;

  std::optional<QueryResult> result =
      pool_.execute(database_role(route.access), caller.claims.dump(), route.operation_id,
                    route_parameters(route, req, path_id, body, client));
  if (std::optional<Outcome> stop = database_problem(result, route, request_id)) return *stop;
  if (route.kind == Kind::login) return issue_token(result->value, settings_);
  if (route.kind == Kind::card_confirm) return confirm_card(route, caller.claims, path_id, body, result->value, request_id);
  Outcome out{route.success_status, result->value};
  if (std::string(route.answer) == "QueueTicket") {
    // The ticket says when to ask again: as Retry-After, and as the earliest
    // poll this caller's token is answered at (its own token: the answer's).
    json ticket = json::parse(result->value, nullptr, false);
    int poll_after = 0;
    if (ticket.is_object() && ticket.contains("poll_after_seconds") && ticket["poll_after_seconds"].is_number_integer())
      poll_after = ticket["poll_after_seconds"].get<int>();
    if (poll_after > 0) out.headers.emplace_back("Retry-After", std::to_string(poll_after));
    if (ticket.is_object() && ticket.contains("token") && ticket["token"].is_string())
      queue_polls_.told(poll_key_of(caller.claims, ticket["token"].get<std::string>()), poll_after);
  }
  return out;
}

// POST /v1/payments/{id}/confirm, after begin_card_confirm recorded the payment
// key (committed): the gateway's confirm, outside any transaction and with no
// connection held, then its verdict settled, then the outcome as the buyer
// sees it. The gateway charges an order once (its Idempotency-Key is the
// order id), so a retry of this request, or the reconciliation, is safe.
Outcome HttpServer::confirm_card(const Route& route, const json& claims, const std::string& payment_id,
                                 const std::string& body, const std::string& receipt_json, const std::string& request_id) {
  json receipt = json::parse(receipt_json);
  if (receipt.value("status", "") == "pending") {
    std::string order_id = receipt.value("order_id", "");
    std::string payment_key = json::parse(body).value("payment_key", "");
    GatewayAnswer answer = gateway_->confirm(payment_key, order_id, receipt.value("amount", int64_t{0}));
    GatewayVerdict verdict = verdict_of_confirm(answer);
    if (verdict.kind == GatewayVerdict::Kind::unknown && answer.answered)  // e.g. charged before: ask how
      verdict = verdict_of_lookup(gateway_->lookup(order_id));
    if (verdict.kind == GatewayVerdict::Kind::unknown)
      log_line({{"time", utc_now()}, {"level", "warning"}, {"request_id", request_id}, {"order_id", order_id},
                {"gateway", answer.answered ? json(answer.status) : json(answer.error)},
                {"message", "no verdict from the gateway: the payment stays pending for the reconciliation"}});
    std::optional<QueryResult> settled = settle_payment(pool_, order_id, verdict);
    if (settled) {
      if (std::optional<Outcome> stop = database_problem(settled, route, request_id)) return *stop;
      // approved too late to sell: give the money back now rather than at the next reconciliation
      if (json::parse(settled->value).value("status", "") == "refund_pending" &&
          is_refunded(gateway_->cancel(verdict.payment_key.empty() ? payment_key : verdict.payment_key, order_id,
                                       "approved after the hold ended")))
        settle_refund(pool_, order_id);
    }
  }
  std::optional<QueryResult> outcome =
      pool_.execute(database_role(route.access), claims.dump(), "card_payment_outcome", {payment_id});
  if (std::optional<Outcome> stop = database_problem(outcome, route, request_id)) return *stop;
  bool pending = json::parse(outcome->value).value("status", "") == "pending";
  return {pending ? 202 : route.success_status, outcome->value};
}

// The poll limiter's key: the token's user and the queue token.
std::string HttpServer::poll_key_of(const json& claims, const std::string& queue_token) {
  std::string sub = claims.contains("sub") && claims["sub"].is_string() ? claims["sub"].get<std::string>() : "";
  return sub + "\n" + queue_token;
}

// A poll sooner than the last answer said: 429, and the database never hears of it.
std::optional<Outcome> HttpServer::pace_polls(const Route& route, const std::string& key) {
  int retry_after = 0;
  if (!route.paces_polls || queue_polls_.allow(key, &retry_after)) return std::nullopt;
  return with_header(problem(429, "poll_too_soon", "polled too soon",
                             "The last answer said to ask again after poll_after_seconds.",
                             "Wait " + std::to_string(retry_after) + " seconds."),
                     "Retry-After", std::to_string(retry_after));
}

// The seat map or one of its parts, from the cache; 304 when the client's copy is current.
Outcome HttpServer::serve_seat_map(const httplib::Request& req, const Route& route, const std::string& performance_id,
                                   const std::string& request_id) {
  SeatMapCache::Answer answer = seat_maps_.get(performance_id);
  if (!answer.snapshot) {
    if (std::optional<Outcome> stop = database_problem(answer.failure, route, request_id)) return *stop;
    return logged_internal_error(500, request_id, route, {{"message", "the seat map cache answered nothing"}}, "");
  }
  const SeatMapCache::Snapshot& s = *answer.snapshot;
  const std::string& body = route.cached == Cached::seat_layout ? s.layout
                            : route.cached == Cached::seat_statuses ? s.statuses : s.seats;
  const std::string& etag = route.cached == Cached::seat_layout ? s.layout_etag
                            : route.cached == Cached::seat_statuses ? s.statuses_etag : s.seats_etag;
  // no-cache: a client or proxy may keep it, and asks again with If-None-Match
  Outcome out = etag_matches(req.get_header_value("If-None-Match"), etag) ? Outcome{304, ""}
                                                                          : Outcome{route.success_status, body};
  out.headers.emplace_back("ETag", etag);
  out.headers.emplace_back("Cache-Control", "no-cache");
  return out;
}

// The routes the shim answers itself; nullopt for a route the database answers.
std::optional<Outcome> HttpServer::serve_own_route(Kind kind) {
  switch (kind) {
    case Kind::healthz: return Outcome{200, R"({"status":"ok"})"};
    case Kind::readyz:
      if (pool_.ping()) return Outcome{200, R"({"status":"ready"})"};
      return with_header(problem(503, "database_unavailable", "database unavailable", "The database does not answer."),
                         "Retry-After", "1");
    case Kind::metrics: return Outcome{200, metrics_.render(pool_.stats(), seat_maps_.refreshes()), "text/plain; version=0.0.4"};
    case Kind::openapi: return Outcome{200, openapi_};
    case Kind::sql:
    case Kind::login:
    case Kind::card_confirm: break;
  }
  return std::nullopt;
}

// Guessing a password or a 4-digit PIN takes many tries: each client gets a
// few per minute at each route that checks one (429 after that).
std::optional<Outcome> HttpServer::ration_secret_attempts(const Route& route, const std::string& client) {
  int retry_after = 0;
  if (!route.checks_secret || secret_attempts_.allow(std::string(route.operation_id) + ":" + client, &retry_after))
    return std::nullopt;
  return with_header(problem(429, "too_many_attempts", "too many attempts",
                             "This address has used its " + std::to_string(settings_.secret_attempts_per_minute) +
                                 " attempts per minute at this route.",
                             "Wait " + std::to_string(retry_after) + " seconds."),
                     "Retry-After", std::to_string(retry_after));
}

}  // namespace shim
