// HTTP integration tests: a running boxoffice-http in front of a throw-away
// PostgreSQL, described by the environment (scripts/test-suites.sh sets it):
//   BOXOFFICE_TEST_HOST, BOXOFFICE_TEST_PORT   where the shim listens
//   BOXOFFICE_TEST_JWT_SECRET                   to craft bad tokens
//   BOXOFFICE_TEST_ADMIN_EMAIL/_PASSWORD        an account with the admin role
//   BOXOFFICE_TEST_PSQL                         a psql command line for the database, as superuser
//   BOXOFFICE_TEST_DB_STOP, BOXOFFICE_TEST_DB_START  commands that stop and start the database
//   BOXOFFICE_TEST_SHIM_LOG                     the shim's log file
//   BOXOFFICE_TEST_POOL_SIZE                    the shim's pool size
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <future>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "jwt.hpp"
#include "openapi_check.hpp"

namespace {
using json = nlohmann::json;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') {
    ADD_FAILURE() << name << " is not set: run these tests through `make test`";
    return {};
  }
  return v;
}

struct Reply {
  int status = 0;
  json body;
  std::string text;
  httplib::Headers headers;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// /openapi.json, fetched once: every answer any test receives is checked against it.
const openapi_check::Contract* contract() {
  static const std::unique_ptr<openapi_check::Contract> fetched = []() -> std::unique_ptr<openapi_check::Contract> {
    httplib::Client client(env("BOXOFFICE_TEST_HOST"), std::atoi(env("BOXOFFICE_TEST_PORT").c_str()));
    httplib::Result r = client.Get("/openapi.json");
    json document = r && r->status == 200 ? json::parse(r->body, nullptr, false) : json(nullptr);
    if (!document.is_object()) {
      ADD_FAILURE() << "GET /openapi.json gave no document: answers go unchecked";
      return nullptr;
    }
    return std::make_unique<openapi_check::Contract>(std::move(document));
  }();
  return fetched.get();
}

// A failure unless the answer is one the document promises for the request.
void expect_documented(const std::string& method, const std::string& path, const httplib::Response& r) {
  const openapi_check::Contract* c = contract();
  if (c == nullptr) return;
  openapi_check::Response response{method, path, r.status, r.get_header_value("Content-Type"), r.body, {}};
  for (const auto& [name, value] : r.headers) {
    std::string lower = name;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    response.header_names.insert(lower);
  }
  if (std::optional<std::string> why = c->check(response)) {
    const size_t most = 2000;
    ADD_FAILURE() << "not what /openapi.json promises: " << *why << "\nbody: " << r.body.substr(0, most)
                  << (r.body.size() > most ? "..." : "");
  }
}

class Api {
 public:
  Api() : client_(env("BOXOFFICE_TEST_HOST"), std::atoi(env("BOXOFFICE_TEST_PORT").c_str())) {
    client_.set_read_timeout(15, 0);
  }
  Reply call(const std::string& method, const std::string& path, const std::string& body = "",
             httplib::Headers headers = {}, const std::string& content_type = "application/json") {
    httplib::Result r = [&] {
      if (method == "GET") return client_.Get(path.c_str(), headers);
      if (method == "DELETE") return client_.Delete(path.c_str(), headers);
      if (method == "PUT") return client_.Put(path.c_str(), headers, body, content_type.c_str());
      return client_.Post(path.c_str(), headers, body, content_type.c_str());
    }();
    Reply reply;
    if (!r) return reply;  // status 0: no answer
    expect_documented(method, path, *r);
    reply.status = r->status;
    reply.text = r->body;
    reply.headers = r->headers;
    reply.body = json::parse(r->body, nullptr, false);
    return reply;
  }
  Reply get(const std::string& path, const std::string& token = "") { return call("GET", path, "", auth(token)); }
  Reply post(const std::string& path, const json& body, const std::string& token = "") {
    return call("POST", path, body.dump(), auth(token));
  }
  static httplib::Headers auth(const std::string& token) {
    if (token.empty()) return {};
    return {{"Authorization", "Bearer " + token}};
  }

 private:
  httplib::Client client_;
};

std::string login(Api& api, const std::string& email, const std::string& password) {
  Reply r = api.post("/v1/login", {{"email", email}, {"password", password}});
  EXPECT_EQ(r.status, 200) << r.text;
  return r.body.value("access_token", "");
}

std::string unique(const std::string& prefix) {
  static int n = 0;
  return prefix + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()) + "-" + std::to_string(++n);
}

std::string register_and_login(Api& api, int64_t* user_id = nullptr) {
  std::string email = unique("buyer") + "@example.com";
  Reply r = api.post("/v1/users", {{"email", email}, {"name", "Buyer"}, {"password", "buyer-password"}});
  EXPECT_EQ(r.status, 201) << r.text;
  if (user_id) *user_id = r.body.value("user_id", int64_t{0});
  return login(api, email, "buyer-password");
}

int psql(const std::string& sql) {
  return std::system((env("BOXOFFICE_TEST_PSQL") + " -q -c \"" + sql + "\" >/dev/null").c_str());
}

int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

json claims(const std::string& sub, const std::string& role) {
  return {{"sub", sub}, {"role", role}, {"iss", "boxoffice"}, {"aud", "boxoffice"}, {"iat", now_s()},
          {"nbf", now_s()}, {"exp", now_s() + 600}};
}

// A published performance with 2 x 1 x 6 seats, made through the admin routes.
struct Stage {
  int64_t performance = 0;
  std::vector<int64_t> seats;
};

Stage make_stage(Api& api, const std::string& admin, int max_per_customer = 4) {
  Stage s;
  Reply v = api.post("/v1/admin/venues", {{"name", unique("Hall ")}, {"address", "Seoul"}, {"sections", {"A", "B"}},
                                          {"rows_per_section", 1}, {"seats_per_row", 6}}, admin);
  EXPECT_EQ(v.status, 201) << v.text;
  Reply c = api.post("/v1/admin/concerts", {{"title", unique("Show ")}, {"artist", "Tester"}}, admin);
  EXPECT_EQ(c.status, 201) << c.text;
  int64_t concert = c.body.value("concert_id", int64_t{0});
  std::string base = "/v1/admin/concerts/" + std::to_string(concert);
  EXPECT_EQ(api.post(base + "/tiers", {{"label", "FRONT"}, {"price", 1000}, {"first_seat", 1}, {"last_seat", 3}}, admin).status, 201);
  EXPECT_EQ(api.post(base + "/tiers", {{"label", "BACK"}, {"price", 500}, {"first_seat", 4}, {"last_seat", 6}}, admin).status, 201);
  Reply p = api.post("/v1/admin/performances",
                     {{"concert_id", concert}, {"venue_id", v.body.value("venue_id", int64_t{0})},
                      {"starts_at", "2030-01-01T19:00:00+09:00"}, {"max_seats_per_customer", max_per_customer}}, admin);
  EXPECT_EQ(p.status, 201) << p.text;
  EXPECT_EQ(api.post(base + "/publish", json::object(), admin).status, 200);
  s.performance = p.body.value("performance_id", int64_t{0});
  Reply map = api.get("/v1/performances/" + std::to_string(s.performance) + "/seats");
  EXPECT_EQ(map.status, 200);
  for (const json& seat : map.body) s.seats.push_back(seat.at("seat_id").get<int64_t>());
  return s;
}

class HttpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Api api;
    admin_ = login(api, env("BOXOFFICE_TEST_ADMIN_EMAIL"), env("BOXOFFICE_TEST_ADMIN_PASSWORD"));
  }
  Api api;
  static std::string admin_;
};
std::string HttpTest::admin_;

// The seat map after a change: the shim's cache may answer a copy up to its
// max age old (seat_map_cache.hpp), so wait that long first.
Reply fresh_seat_map(Api& api, const Stage& s) {
  std::this_thread::sleep_for(std::chrono::milliseconds(std::atoi(env("BOXOFFICE_TEST_SEAT_MAP_MAX_AGE_MS").c_str()) + 20));
  return api.get("/v1/performances/" + std::to_string(s.performance) + "/seats");
}

uint64_t seat_map_refreshes(Api& api) {
  std::string text = api.get("/metrics").text, name = "\nboxoffice_http_seat_map_refreshes_total ";
  size_t at = text.find(name);
  return at == std::string::npos ? 0 : std::stoull(text.substr(at + name.size()));
}

std::string holds_path(const Stage& s) { return "/v1/performances/" + std::to_string(s.performance) + "/holds"; }
std::string reservation_path(int64_t id, const std::string& action = "") {
  return "/v1/reservations/" + std::to_string(id) + (action.empty() ? "" : "/" + action);
}

// --- operations -----------------------------------------------------------------

TEST_F(HttpTest, HealthReadinessMetrics) {
  EXPECT_EQ(api.get("/healthz").status, 200);
  Reply ready = api.get("/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.body.value("status", ""), "ready");
  api.get("/v1/concerts");
  Reply metrics = api.get("/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.header("Content-Type").find("text/plain"), std::string::npos);
  EXPECT_NE(metrics.text.find("boxoffice_http_requests_total{"), std::string::npos);
  EXPECT_NE(metrics.text.find("route=\"/v1/concerts\""), std::string::npos);
  EXPECT_NE(metrics.text.find("boxoffice_db_pool_size"), std::string::npos);
}

TEST_F(HttpTest, RequestIdIsEchoedAndLogged) {
  std::string id = unique("req-");
  Reply r = api.call("GET", "/v1/concerts", "", {{"X-Request-Id", id}});
  EXPECT_EQ(r.header("X-Request-Id"), id);
  Reply generated = api.get("/v1/concerts");
  EXPECT_EQ(generated.header("X-Request-Id").size(), 32u);
  Reply bad = api.call("GET", "/v1/concerts", "", {{"X-Request-Id", "has spaces and \"quotes\""}});
  EXPECT_EQ(bad.header("X-Request-Id").size(), 32u);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::ifstream log(env("BOXOFFICE_TEST_SHIM_LOG"));
  std::string line;
  bool found = false;
  while (std::getline(log, line)) {
    json entry = json::parse(line, nullptr, false);
    if (entry.is_object() && entry.value("request_id", "") == id) {
      found = true;
      EXPECT_EQ(entry.value("method", ""), "GET");
      EXPECT_EQ(entry.value("route", ""), "/v1/concerts");
      EXPECT_EQ(entry.value("status", 0), 200);
      EXPECT_TRUE(entry.contains("duration_ms"));
    }
  }
  EXPECT_TRUE(found) << "no access-log line with request id " << id;
}

// Every documented route is served, every served route is documented.
TEST_F(HttpTest, OpenApiMatchesTheServedRoutes) {
  Reply doc = api.get("/openapi.json");
  ASSERT_EQ(doc.status, 200);
  EXPECT_EQ(doc.body.value("openapi", ""), "3.0.3");
  const json& paths = doc.body.at("paths");
  ASSERT_GE(paths.size(), 25u);
  int checked = 0;
  for (auto& [path, methods] : paths.items()) {
    std::string concrete = path;
    for (size_t at; (at = concrete.find('{')) != std::string::npos;)
      concrete.replace(at, concrete.find('}', at) - at + 1, "999999");
    for (auto& [method, op] : methods.items()) {
      std::string m = method;
      for (char& ch : m) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      Reply r = api.call(m, concrete, "{}", Api::auth(admin_));
      EXPECT_NE(r.status, 0) << m << " " << concrete;
      EXPECT_NE(r.status, 405) << m << " " << concrete << " is documented but not served";
      if (r.status == 404) {
        EXPECT_NE(r.body.value("code", ""), "not_found") << m << " " << concrete;
      }
      EXPECT_TRUE(op.contains("responses") && op.contains("operationId"));
      checked++;
    }
  }
  EXPECT_GE(checked, 30);
  // and what is not documented is not served
  EXPECT_EQ(api.get("/v1/nothing-here").status, 404);
  EXPECT_EQ(api.get("/v1/nothing-here").body.value("code", ""), "not_found");
  EXPECT_FALSE(paths.contains("/v1/nothing-here"));
}

// --- errors -----------------------------------------------------------------------

TEST_F(HttpTest, UnknownRouteAndWrongMethod) {
  Reply missing = api.get("/v2/concerts");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.header("Content-Type"), "application/problem+json");
  EXPECT_EQ(missing.body.value("status", 0), 404);
  Reply wrong = api.call("DELETE", "/v1/concerts");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.header("Allow"), "GET");
  Reply put = api.call("PUT", "/v1/login", "{}");
  EXPECT_EQ(put.status, 405);
  EXPECT_EQ(put.header("Allow"), "POST");
}

TEST_F(HttpTest, MalformedBodies) {
  Reply bad = api.call("POST", "/v1/login", "{\"email\": ");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body.value("code", ""), "malformed_json");
  EXPECT_EQ(api.call("POST", "/v1/login", "[1, 2]").status, 400);
  EXPECT_EQ(api.call("POST", "/v1/login", "email=x", {}, "application/x-www-form-urlencoded").status, 415);
  Reply big = api.call("POST", "/v1/login", "{\"email\": \"" + std::string(200000, 'x') + "\"}");
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(big.header("Content-Type"), "application/problem+json");
  // a wrongly typed field fails in PostgreSQL as a data exception: 400
  Stage s = make_stage(api, admin_);
  Reply typed = api.post(holds_path(s), {{"seat_ids", {"abc"}}});
  EXPECT_EQ(typed.status, 400) << typed.text;
  EXPECT_EQ(typed.body.value("code", ""), "22P02");
}

// A POST without Content-Length is answered at once (400), not after the
// server's read timeout: raw bytes, since HTTP clients always send one.
TEST_F(HttpTest, APostWithoutContentLengthIsRefusedAtOnce) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  timeval wait{3, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(std::atoi(env("BOXOFFICE_TEST_PORT").c_str())));
  inet_pton(AF_INET, env("BOXOFFICE_TEST_HOST").c_str(), &to.sin_addr);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to), 0);
  std::string request = "POST /v1/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\r\n";
  ASSERT_EQ(send(fd, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  auto started = std::chrono::steady_clock::now();
  std::string answer;
  char buf[4096];
  // the whole answer: its head, then as many bytes as its Content-Length says
  auto complete = [&] {
    size_t head = answer.find("\r\n\r\n"), length = answer.find("Content-Length: ");
    return head != std::string::npos && length != std::string::npos &&
           answer.size() >= head + 4 + std::stoul(answer.substr(length + 16));
  };
  for (ssize_t n; !complete() && (n = recv(fd, buf, sizeof buf, 0)) > 0;) answer.append(buf, static_cast<size_t>(n));
  auto waited = std::chrono::steady_clock::now() - started;
  close(fd);
  EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;
  EXPECT_NE(answer.find("\"code\":\"bad_request\""), std::string::npos) << answer;
  EXPECT_NE(answer.find("Content-Length header"), std::string::npos) << answer;
  EXPECT_LT(waited, std::chrono::seconds(2)) << "the answer waited for the read timeout";
}

// What httplib and PostgreSQL answer before or beside a route's function: each
// must be a status and code the document lists for that route (Api::call checks).
TEST_F(HttpTest, EdgeAnswersAreDocumented) {
  Reply overflow = api.get("/v1/concerts/99999999999999999999");
  EXPECT_EQ(overflow.status, 400);
  EXPECT_EQ(overflow.body.value("code", ""), "22003");
  EXPECT_EQ(api.get("/v1/concerts?q=" + std::string(9000, 'x')).status, 414);
  Reply range = api.call("GET", "/v1/concerts", "", {{"Range", "pages=all"}});
  EXPECT_EQ(range.status, 416);
  EXPECT_EQ(range.body.value("title", ""), "Range Not Satisfiable");
  // httplib reads the body of every POST, used or not
  EXPECT_EQ(api.call("POST", "/v1/admin/sweep", std::string(100000, ' '), Api::auth(admin_)).status, 413);
  EXPECT_EQ(api.call("POST", reservation_path(1, "release"), std::string(100000, ' ')).status, 413);
  Reply gzip = api.call("POST", "/v1/guest-lookup", "{\"not\": \"gzip\"}", {{"Content-Encoding", "gzip"}});
  EXPECT_EQ(gzip.status, 400);
  EXPECT_EQ(gzip.body.value("code", ""), "bad_request");
  // a body nested past what PostgreSQL's jsonb parser takes
  Reply deep = api.call("POST", "/v1/users", "{\"email\": " + std::string(30000, '[') + std::string(30000, ']') + "}");
  EXPECT_EQ(deep.status, 400) << deep.text;
  EXPECT_EQ(deep.body.value("code", "").rfind("54", 0), 0u) << deep.text;
  EXPECT_EQ(api.post("/v1/login", {{"email", "a@example.com"}, {"password", "x"}}, "garbage").status, 401);
}

TEST_F(HttpTest, TokensAreCheckedStrictly) {
  std::string secret = env("BOXOFFICE_TEST_JWT_SECRET");
  EXPECT_EQ(api.get("/v1/me").status, 401);
  EXPECT_EQ(api.get("/v1/me").header("WWW-Authenticate").rfind("Bearer", 0), 0u);
  EXPECT_EQ(api.get("/v1/me", "garbage").status, 401);
  EXPECT_EQ(api.call("GET", "/v1/me", "", {{"Authorization", "Basic dXNlcjpwYXNz"}}).status, 401);
  json expired = claims("1", "buyer");
  expired["exp"] = now_s() - 3600;
  EXPECT_EQ(api.get("/v1/me", shim::jwt::sign(expired, secret)).status, 401);
  json early = claims("1", "buyer");
  early["nbf"] = now_s() + 3600;
  EXPECT_EQ(api.get("/v1/me", shim::jwt::sign(early, secret)).status, 401);
  json audience = claims("1", "buyer");
  audience["aud"] = "someone-else";
  EXPECT_EQ(api.get("/v1/me", shim::jwt::sign(audience, secret)).status, 401);
  EXPECT_EQ(api.get("/v1/me", shim::jwt::sign(claims("1", "buyer"), "another secret of at least 32 bytes!!")).status, 401);
  // alg "none": header {"alg":"none"} and no signature
  std::string none = shim::jwt::base64url_encode(R"({"alg":"none","typ":"JWT"})") + "." +
                     shim::jwt::base64url_encode(claims("1", "admin").dump()) + ".";
  Reply refused = api.get("/v1/admin/invariants", none);
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(refused.body.value("message", ""), "token algorithm not accepted");
  // a bad token is refused even where no token is needed
  EXPECT_EQ(api.get("/v1/concerts", "garbage").status, 401);
}

TEST_F(HttpTest, AdminRoutesAreForAdmins) {
  std::string buyer = register_and_login(api);
  EXPECT_EQ(api.post("/v1/admin/concerts", {{"title", "X"}, {"artist", "Y"}}).status, 401);
  Reply forbidden = api.post("/v1/admin/concerts", {{"title", "X"}, {"artist", "Y"}}, buyer);
  EXPECT_EQ(forbidden.status, 403);
  EXPECT_EQ(forbidden.body.value("code", ""), "admin_required");
  EXPECT_EQ(api.get("/v1/admin/invariants", buyer).status, 403);
  Reply invariants = api.get("/v1/admin/invariants", admin_);
  EXPECT_EQ(invariants.status, 200);
  EXPECT_TRUE(invariants.body.is_array());
}

TEST_F(HttpTest, ADemotedAdminIsRefusedAtOnce) {
  std::string email = unique("admin2") + "@example.com";
  Reply reg = api.post("/v1/users", {{"email", email}, {"name", "Second Admin"}, {"password", "admin2-password"}});
  ASSERT_EQ(reg.status, 201);
  std::string user = std::to_string(reg.body.value("user_id", int64_t{0}));
  ASSERT_EQ(api.post("/v1/admin/users/" + user + "/role", {{"role", "admin"}}, admin_).status, 200);
  std::string token = login(api, email, "admin2-password");
  EXPECT_EQ(api.get("/v1/admin/invariants", token).status, 200);
  ASSERT_EQ(api.post("/v1/admin/users/" + user + "/role", {{"role", "buyer"}}, admin_).status, 200);
  Reply refused = api.get("/v1/admin/invariants", token);  // the token still says "admin"
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.body.value("code", ""), "42501");
  // a forged admin claim for a buyer is refused the same way
  EXPECT_EQ(api.get("/v1/admin/invariants", shim::jwt::sign(claims(user, "admin"), env("BOXOFFICE_TEST_JWT_SECRET"))).status, 403);
}

TEST_F(HttpTest, UnexpectedErrorsHaveAnIdAndLeakNoSql) {
  ASSERT_EQ(psql("ALTER FUNCTION boxoffice.concerts() RENAME TO concerts_renamed_by_test"), 0);
  Reply r = api.get("/v1/concerts");
  ASSERT_EQ(psql("ALTER FUNCTION boxoffice.concerts_renamed_by_test() RENAME TO concerts"), 0);
  EXPECT_EQ(r.status, 500);
  std::string error_id = r.body.value("error_id", "");
  EXPECT_EQ(error_id.size(), 32u);
  EXPECT_EQ(r.text.find("concerts"), std::string::npos) << "the body leaks SQL: " << r.text;
  EXPECT_EQ(r.text.find("SELECT"), std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::ifstream log(env("BOXOFFICE_TEST_SHIM_LOG"));
  std::stringstream all;
  all << log.rdbuf();
  EXPECT_NE(all.str().find(error_id), std::string::npos) << "error id not in the log";
  EXPECT_EQ(api.get("/v1/concerts").status, 200);
}

// --- the buyer's flows --------------------------------------------------------------

TEST_F(HttpTest, UserBuysAndCancels) {
  Stage s = make_stage(api, admin_);
  std::string token = register_and_login(api);
  Reply me = api.get("/v1/me", token);
  EXPECT_EQ(me.status, 200);
  EXPECT_EQ(me.body.value("role", ""), "buyer");

  Reply concerts = api.get("/v1/concerts");
  EXPECT_EQ(concerts.status, 200);
  Reply perf = api.get("/v1/performances/" + std::to_string(s.performance));
  EXPECT_EQ(perf.status, 200);
  EXPECT_EQ(perf.body.value("total", 0), 12);
  EXPECT_EQ(perf.body.at("tiers").size(), 2u);
  EXPECT_EQ(s.seats.size(), 12u);

  Reply hold = api.post(holds_path(s), {{"seat_ids", {s.seats[0], s.seats[1]}}}, token);
  ASSERT_EQ(hold.status, 201) << hold.text;
  EXPECT_EQ(hold.body.value("status", ""), "hold");
  EXPECT_EQ(hold.body.value("total_amount", 0), 2000);
  EXPECT_EQ(hold.body.value("hold_token", "").size(), 32u);
  int64_t id = hold.body.value("reservation_id", int64_t{0});

  Reply taken = api.post(holds_path(s), {{"seat_ids", {s.seats[1], s.seats[2]}}});
  EXPECT_EQ(taken.status, 409);
  EXPECT_EQ(taken.body.value("code", ""), "TK003");
  EXPECT_EQ(taken.body.value("message", ""), "some of the seats you selected were just taken");
  EXPECT_FALSE(taken.body.value("detail", "").empty());

  Reply confirmed = api.post(reservation_path(id, "confirm"), json::object(), token);
  EXPECT_EQ(confirmed.status, 200) << confirmed.text;
  EXPECT_EQ(confirmed.body.value("status", ""), "confirmed");
  EXPECT_EQ(confirmed.body.value("reservation_number", "").rfind("BX-", 0), 0u);
  EXPECT_EQ(api.post(reservation_path(id, "confirm"), json::object(), token).body.value("reservation_number", ""),
            confirmed.body.value("reservation_number", ""));

  Reply mine = api.get("/v1/reservations", token);
  EXPECT_EQ(mine.status, 200);
  ASSERT_EQ(mine.body.size(), 1u);
  EXPECT_EQ(api.get(reservation_path(id), token).body.value("status", ""), "confirmed");
  EXPECT_EQ(api.post(reservation_path(id, "release"), json::object(), token).status, 409);

  Reply cancelled = api.post(reservation_path(id, "cancel"), json::object(), token);
  EXPECT_EQ(cancelled.status, 200);
  EXPECT_EQ(cancelled.body.value("status", ""), "cancelled");
  EXPECT_EQ(api.post(reservation_path(id, "cancel"), json::object(), token).body.value("status", ""), "cancelled");
  Reply map = fresh_seat_map(api, s);
  for (const json& seat : map.body) EXPECT_EQ(seat.value("status", ""), "available");

  // limits and bad input map to their statuses
  EXPECT_EQ(api.post(holds_path(s), {{"seat_ids", json::array()}}, token).status, 422);
  EXPECT_EQ(api.post(holds_path(s), {{"seat_ids", {s.seats[0], s.seats[0]}}}, token).status, 422);
  EXPECT_EQ(api.post("/v1/performances/999999/holds", {{"seat_ids", {1}}}, token).status, 404);
  EXPECT_EQ(api.post(holds_path(s), {{"seat_ids", {s.seats[0], s.seats[1], s.seats[2], s.seats[3], s.seats[4]}}}, token).status,
            422);
}

TEST_F(HttpTest, NobodyReachesAnotherCustomersReservation) {
  Stage s = make_stage(api, admin_);
  std::string a = register_and_login(api), b = register_and_login(api);
  Reply hold = api.post(holds_path(s), {{"seat_ids", {s.seats[3]}}}, a);
  ASSERT_EQ(hold.status, 201);
  int64_t id = hold.body.value("reservation_id", int64_t{0});
  for (const char* action : {"", "confirm", "cancel", "release"}) {
    Reply r = std::string(action).empty() ? api.get(reservation_path(id), b)
                                           : api.post(reservation_path(id, action), json::object(), b);
    EXPECT_EQ(r.status, 404) << action;
    EXPECT_EQ(r.body.value("code", ""), "TK009") << action;
  }
  EXPECT_EQ(api.get(reservation_path(id)).status, 404);  // no token, no hold token
  EXPECT_EQ(api.get("/v1/reservations", b).body.size(), 0u);
  EXPECT_EQ(api.get(reservation_path(id), a).status, 200);
}

TEST_F(HttpTest, GuestHoldsConfirmsAndLooksUp) {
  Stage s = make_stage(api, admin_);
  Reply hold = api.post(holds_path(s), {{"seat_ids", {s.seats[6], s.seats[7]}}});
  ASSERT_EQ(hold.status, 201) << hold.text;
  std::string token = hold.body.value("hold_token", "");
  int64_t id = hold.body.value("reservation_id", int64_t{0});
  httplib::Headers with_token = {{"X-Hold-Token", token}};
  EXPECT_EQ(api.call("GET", reservation_path(id), "", with_token).status, 200);
  EXPECT_EQ(api.call("GET", reservation_path(id), "", {{"X-Hold-Token", "wrong"}}).status, 404);

  Reply missing = api.call("POST", reservation_path(id, "confirm"), "{}", with_token);
  EXPECT_EQ(missing.status, 422);
  EXPECT_EQ(missing.body.value("code", ""), "TK021");
  Reply phone = api.call("POST", reservation_path(id, "confirm"),
                         json{{"buyer_name", "Guest"}, {"buyer_phone", "123"}, {"guest_pin", "1234"}}.dump(), with_token);
  EXPECT_EQ(phone.status, 422);
  EXPECT_EQ(phone.body.value("code", ""), "TK013");
  std::string number = "010" + std::to_string(10000000 + now_s() % 89999999);
  Reply ok = api.call("POST", reservation_path(id, "confirm"),
                      json{{"buyer_name", "Guest"}, {"buyer_phone", number}, {"guest_pin", "2468"}}.dump(), with_token);
  EXPECT_EQ(ok.status, 200) << ok.text;
  EXPECT_EQ(ok.body.value("status", ""), "confirmed");

  Reply found = api.post("/v1/guest-lookup", {{"phone", number}, {"pin", "2468"}});
  EXPECT_EQ(found.status, 200);
  EXPECT_EQ(found.body.size(), 1u);
  Reply none = api.post("/v1/guest-lookup", {{"phone", number}, {"pin", "1111"}});
  EXPECT_EQ(none.status, 404);
  EXPECT_EQ(none.body.value("code", ""), "TK012");
  EXPECT_EQ(api.post("/v1/guest-lookup", {{"phone", number}, {"pin", "12"}}).status, 422);

  Reply cancelled = api.call("POST", reservation_path(id, "cancel"), "", with_token);
  EXPECT_EQ(cancelled.status, 200);
  EXPECT_EQ(cancelled.body.value("status", ""), "cancelled");
}

TEST_F(HttpTest, AccountsAndLogin) {
  std::string email = unique("acct") + "@example.com";
  EXPECT_EQ(api.post("/v1/users", {{"email", email}, {"name", "A"}, {"password", "long-enough"}}).status, 201);
  Reply again = api.post("/v1/users", {{"email", email}, {"name", "A"}, {"password", "long-enough"}});
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.body.value("code", ""), "TK016");
  EXPECT_EQ(api.post("/v1/users", {{"email", "nope"}, {"name", "A"}, {"password", "long-enough"}}).status, 422);
  Reply wrong = api.post("/v1/login", {{"email", email}, {"password", "not-it"}});
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.body.value("code", ""), "TK015");
  Reply ok = api.post("/v1/login", {{"email", email}, {"password", "long-enough"}});
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body.value("token_type", ""), "Bearer");
  EXPECT_EQ(ok.body.value("role", ""), "buyer");
  shim::jwt::Verified v = shim::jwt::verify(ok.body.value("access_token", ""), env("BOXOFFICE_TEST_JWT_SECRET"),
                                            "boxoffice", "boxoffice", now_s());
  EXPECT_EQ(v.verdict, shim::jwt::Verdict::valid);
  EXPECT_EQ(v.claims.value("sub", ""), std::to_string(ok.body.value("user_id", int64_t{0})));
}

TEST_F(HttpTest, CatalogAdministration) {
  Stage s = make_stage(api, admin_);
  std::string p = "/v1/admin/performances/" + std::to_string(s.performance);
  EXPECT_EQ(api.post(p + "/rules", {{"max_seats_per_hold", 2}}, admin_).status, 200);
  EXPECT_EQ(api.get("/v1/performances/" + std::to_string(s.performance)).body.value("max_seats_per_hold", 0), 2);
  EXPECT_EQ(api.post(p + "/rules", {{"max_seats_per_hold", 0}}, admin_).status, 422);
  EXPECT_EQ(api.post(p + "/sales-window", {{"sales_opens_at", "2029-01-01T00:00:00Z"}, {"sales_closes_at", "2029-06-01T00:00:00Z"}},
                     admin_).status, 200);
  Reply closed = api.post(holds_path(s), {{"seat_ids", {s.seats[0]}}});
  EXPECT_EQ(closed.status, 409);
  EXPECT_EQ(closed.body.value("code", ""), "TK002");
  EXPECT_EQ(api.post(p + "/cancel", json::object(), admin_).status, 200);
  EXPECT_EQ(api.call("DELETE", p, "", Api::auth(admin_)).status, 200);
  EXPECT_EQ(api.get("/v1/performances/" + std::to_string(s.performance)).status, 404);
  Reply sweep = api.post("/v1/admin/sweep", json::object(), admin_);
  EXPECT_EQ(sweep.status, 200);
  EXPECT_TRUE(sweep.body.contains("expired_holds"));
}

// --- the seat map under a crowd -------------------------------------------------------

TEST_F(HttpTest, SeatMapIsCachedWithETagsAndNeverOlderThanItsMaxAge) {
  Stage s = make_stage(api, admin_);
  std::string base = "/v1/performances/" + std::to_string(s.performance);
  Reply map = fresh_seat_map(api, s);
  ASSERT_EQ(map.status, 200);
  EXPECT_EQ(map.body.size(), s.seats.size());
  std::string etag = map.header("ETag");
  EXPECT_EQ(etag.front(), '"');
  EXPECT_EQ(map.header("Cache-Control"), "no-cache");

  // the copy a client has is current: 304, no body, the same ETag
  Reply same = api.call("GET", base + "/seats", "", {{"If-None-Match", "\"other\", " + etag}});
  EXPECT_EQ(same.status, 304);
  EXPECT_EQ(same.text, "");
  EXPECT_EQ(same.header("ETag"), etag);

  // the two parts: the layout is the map without statuses, nothing is held or sold yet
  Reply layout = api.get(base + "/seat-layout");
  ASSERT_EQ(layout.status, 200);
  ASSERT_EQ(layout.body.size(), map.body.size());
  for (size_t i = 0; i < layout.body.size(); i++) {
    json seat = map.body[i];
    seat.erase("status");
    EXPECT_EQ(layout.body[i], seat);
  }
  EXPECT_EQ(api.call("GET", base + "/seat-layout", "", {{"If-None-Match", layout.header("ETag")}}).status, 304);
  Reply statuses = api.get(base + "/seat-status");
  EXPECT_EQ(statuses.body, json::parse(R"({"held": [], "sold": []})"));

  // a crowd asking at once costs the database one refresh, not one each
  uint64_t before = seat_map_refreshes(api);
  std::vector<std::future<int>> crowd;
  for (int i = 0; i < 24; i++)
    crowd.push_back(std::async(std::launch::async, [&base] { Api a; return a.get(base + "/seats").status; }));
  for (auto& f : crowd) EXPECT_EQ(f.get(), 200);
  EXPECT_LE(seat_map_refreshes(api) - before, 2u);

  // a hold shows within the max age, under a new ETag
  std::string token = register_and_login(api);
  ASSERT_EQ(api.post(holds_path(s), {{"seat_ids", {s.seats[0], s.seats[1]}}}, token).status, 201);
  std::this_thread::sleep_for(std::chrono::milliseconds(std::atoi(env("BOXOFFICE_TEST_SEAT_MAP_MAX_AGE_MS").c_str()) + 20));
  Reply after = api.call("GET", base + "/seats", "", {{"If-None-Match", etag}});
  ASSERT_EQ(after.status, 200);
  EXPECT_NE(after.header("ETag"), etag);
  EXPECT_EQ(after.body[0].value("status", ""), "held");
  EXPECT_EQ(after.body[1].value("status", ""), "held");
  EXPECT_EQ(after.body[2].value("status", ""), "available");
  EXPECT_EQ(api.get(base + "/seat-status").body["held"], json::array({s.seats[0], s.seats[1]}));

  // a performance the database does not show is 404, never cached
  for (const char* part : {"/seats", "/seat-layout", "/seat-status"}) {
    Reply missing = api.get(std::string("/v1/performances/999999") + part);
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(missing.body.value("code", ""), "TK001");
  }
}

// --- the database going away ---------------------------------------------------------

TEST_F(HttpTest, PoolExhaustionAnswers503WithRetryAfter) {
  int pool = std::atoi(env("BOXOFFICE_TEST_POOL_SIZE").c_str());
  Stage s = make_stage(api, admin_);
  // (the performance, not its seat map: the map's cache asks the database once for everyone)
  std::string seats = "/v1/performances/" + std::to_string(s.performance);
  // A DBA's lock makes every read of the seats wait, so the pool's connections stay busy.
  auto locker = std::async(std::launch::async, [] {
    return psql("BEGIN; LOCK TABLE boxoffice.seats IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(1.5); COMMIT;");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::vector<std::future<Reply>> calls;
  for (int i = 0; i < pool + 4; i++)
    calls.push_back(std::async(std::launch::async, [&seats] { Api a; return a.get(seats); }));
  int busy = 0, answered = 0;
  for (auto& f : calls) {
    Reply r = f.get();
    if (r.status == 503) {
      busy++;
      EXPECT_EQ(r.header("Retry-After"), "1");
      EXPECT_EQ(r.body.value("code", ""), "database_busy");
    } else {
      answered++;
    }
  }
  EXPECT_EQ(locker.get(), 0);
  EXPECT_GE(busy, 1) << "no request was turned away while the pool was exhausted";
  EXPECT_GE(answered, 1);
  EXPECT_EQ(api.get("/v1/concerts").status, 200);
}

TEST_F(HttpTest, DatabaseRestartIsSurvived) {
  ASSERT_EQ(api.get("/v1/concerts").status, 200);
  ASSERT_EQ(std::system(env("BOXOFFICE_TEST_DB_STOP").c_str()), 0);
  Reply down = api.get("/v1/concerts");
  EXPECT_EQ(down.status, 503) << down.text;
  EXPECT_EQ(down.header("Retry-After"), "1");
  EXPECT_EQ(api.get("/readyz").status, 503);
  EXPECT_EQ(api.get("/healthz").status, 200);
  ASSERT_EQ(std::system(env("BOXOFFICE_TEST_DB_START").c_str()), 0);
  int status = 0;
  for (int i = 0; i < 50 && status != 200; i++) {
    status = api.get("/v1/concerts").status;
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(status, 200);
  EXPECT_EQ(api.get("/readyz").status, 200);
  // every pooled connection recovers, not just one
  for (int i = 0; i < 20; i++) EXPECT_EQ(api.get("/v1/concerts").status, 200);
}

// --- what an attacker tried (issue 8) ------------------------------------------------

// One anonymous client held 24 seats in 6 guest holds: now the limit per
// customer applies to each client address (here the shim trusts 127.0.0.1 as
// a proxy, so X-Forwarded-For names other clients).
TEST_F(HttpTest, OneGuestClientCannotHoldTheHouse) {
  Stage s = make_stage(api, admin_, 4);
  EXPECT_EQ(api.post(holds_path(s), {{"seat_ids", {s.seats[0], s.seats[1]}}}).status, 201);
  EXPECT_EQ(api.post(holds_path(s), {{"seat_ids", {s.seats[2], s.seats[3]}}}).status, 201);
  Reply over = api.post(holds_path(s), {{"seat_ids", {s.seats[4]}}});
  EXPECT_EQ(over.status, 409) << over.text;
  EXPECT_EQ(over.body.value("code", ""), "TK008");
  auto from = [&](const std::string& client, std::vector<int64_t> seats) {
    return api.call("POST", holds_path(s), json{{"seat_ids", seats}}.dump(), {{"X-Forwarded-For", client}});
  };
  EXPECT_EQ(from("203.0.113.7", {s.seats[4], s.seats[5], s.seats[6], s.seats[7]}).status, 201);
  EXPECT_EQ(from("203.0.113.7", {s.seats[8]}).status, 409);
  // what a client writes on the left of the header is not believed, nor a
  // header of its own before the one the proxy added
  EXPECT_EQ(from("198.51.100.99, 203.0.113.7", {s.seats[8]}).status, 409);
  EXPECT_EQ(api.call("POST", holds_path(s), json{{"seat_ids", {s.seats[8]}}}.dump(),
                     {{"X-Forwarded-For", "198.51.100.98"}, {"X-Forwarded-For", "203.0.113.7"}}).status,
            409);
  EXPECT_EQ(from("198.51.100.1", {s.seats[8]}).status, 201);
}

// A refusal is an answer, not an error: refused holds write nothing to the
// server log, and the answer still names the taken seats.
TEST_F(HttpTest, RefusedHoldsWriteNothingToTheServerLog) {
  Stage s = make_stage(api, admin_);
  std::string buyer = register_and_login(api), other = register_and_login(api);
  ASSERT_EQ(api.post(holds_path(s), {{"seat_ids", {s.seats[0]}}}, buyer).status, 201);
  auto our_lines = [&] {
    std::ifstream log(env("BOXOFFICE_TEST_PG_LOG"));
    int n = 0;
    for (std::string line; std::getline(log, line);)
      if (line.find("@boxoffice_http ") != std::string::npos) n++;
    return n;
  };
  // the count sees what the database logs: an error of the request does log
  int before = our_lines();
  EXPECT_EQ(api.post(holds_path(s), {{"seat_ids", json::array()}}).status, 422);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_GT(our_lines(), before) << "no lines of the shim's database in " << env("BOXOFFICE_TEST_PG_LOG");
  before = our_lines();
  for (int i = 0; i < 100; i++) {
    Reply r = api.post(holds_path(s), {{"seat_ids", {s.seats[0], s.seats[1]}}}, i % 2 ? other : "");
    EXPECT_EQ(r.status, 409) << r.text;
    EXPECT_EQ(r.body.value("code", ""), "TK003");
    EXPECT_NE(r.body.value("detail", "").find("Not available: A-1-1 ("), std::string::npos) << r.text;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(our_lines(), before) << "refused holds wrote to " << env("BOXOFFICE_TEST_PG_LOG");
}

// 5 wrong PINs for one phone number lock it for 15 minutes: 429 with Retry-After.
TEST_F(HttpTest, WrongPinsLockAPhoneNumber) {
  for (int i = 0; i < 5; i++)
    EXPECT_EQ(api.post("/v1/guest-lookup", {{"phone", "010-4444-0001"}, {"pin", std::to_string(2000 + i)}}).status, 404);
  Reply locked = api.post("/v1/guest-lookup", {{"phone", "010-4444-0001"}, {"pin", "2005"}});
  EXPECT_EQ(locked.status, 429) << locked.text;
  EXPECT_EQ(locked.body.value("code", ""), "TK022");
  int wait = std::atoi(locked.header("Retry-After").c_str());
  EXPECT_GE(wait, 890);
  EXPECT_LE(wait, 900);
}

// After a performance is cancelled, an existing hold cannot be confirmed.
TEST_F(HttpTest, NoSaleOnceSalesStop) {
  Stage s = make_stage(api, admin_);
  std::string token = register_and_login(api);
  Reply hold = api.post(holds_path(s), {{"seat_ids", {s.seats[0]}}}, token);
  ASSERT_EQ(hold.status, 201) << hold.text;
  int64_t id = hold.body.value("reservation_id", int64_t{0});
  EXPECT_EQ(api.post("/v1/admin/performances/" + std::to_string(s.performance) + "/cancel", json::object(), admin_).status, 200);
  Reply late = api.post(reservation_path(id, "confirm"), json::object(), token);
  EXPECT_EQ(late.status, 409) << late.text;
  EXPECT_EQ(late.body.value("code", ""), "TK002");
  EXPECT_EQ(api.post(reservation_path(id, "release"), json::object(), token).status, 200);
}

// A sold ticket does not read as if it expired; hints speak of what to do,
// never of SQL functions.
TEST_F(HttpTest, AnswersSpeakHttp) {
  Stage s = make_stage(api, admin_);
  std::string token = register_and_login(api);
  Reply hold = api.post(holds_path(s), {{"seat_ids", {s.seats[0]}}}, token);
  ASSERT_EQ(hold.status, 201) << hold.text;
  EXPECT_TRUE(hold.body.at("expires_at").is_string());
  int64_t id = hold.body.value("reservation_id", int64_t{0});
  Reply sold = api.post(reservation_path(id, "confirm"), json::object(), token);
  EXPECT_TRUE(sold.body.at("expires_at").is_null()) << sold.text;
  EXPECT_TRUE(api.get(reservation_path(id), token).body.at("expires_at").is_null());
  std::vector<Reply> errors = {
      api.post(holds_path(s), {{"seat_ids", {s.seats[0]}}}),                                   // taken
      api.post(holds_path(s), {{"seat_ids", json::array()}}),                                // none
      api.post(holds_path(s), {{"seat_ids", {999999}}}),                                       // not here
      api.post("/v1/performances/999999/holds", {{"seat_ids", {1}}}),                          // no performance
      api.post(reservation_path(id, "release"), json::object(), token),                        // sold
      api.get(reservation_path(999999), token),                                                // not found
      api.post("/v1/login", {{"email", "nobody@example.com"}, {"password", "whatever-pass"}}),  // credentials
  };
  for (const Reply& e : errors) {
    EXPECT_GE(e.status, 400) << e.text;
    std::string hint = e.body.value("hint", "");
    EXPECT_EQ(hint.find("boxoffice."), std::string::npos) << e.text;
    EXPECT_EQ(hint.find("()"), std::string::npos) << e.text;
  }
}

// --- secrets are guessed by scripts: attempts are rationed per client -------------

TEST_F(HttpTest, GuestLookupAttemptsAreRationed) {
  int budget = std::atoi(env("BOXOFFICE_TEST_SECRET_ATTEMPTS").c_str());
  int refused_at = 0;
  std::string retry_after;
  for (int i = 1; i <= budget + 1 && refused_at == 0; i++) {
    // a phone number each, so that the database's own lockout (5 wrong PINs
    // per phone) does not answer first
    Reply r = api.post("/v1/guest-lookup", {{"phone", "010-0000-" + std::to_string(1000 + i)}, {"pin", "1000"}});
    if (r.status == 429) {
      refused_at = i;
      retry_after = r.header("Retry-After");
      EXPECT_EQ(r.body.value("code", ""), "too_many_attempts");
    } else {
      EXPECT_EQ(r.status, 404) << r.text;  // no such reservation, until the budget is gone
    }
  }
  EXPECT_GT(refused_at, 1) << "the first attempts must be answered";
  EXPECT_LE(refused_at, budget + 1);
  EXPECT_GE(std::atoi(retry_after.c_str()), 1);
  // the login route has its own budget
  EXPECT_EQ(api.post("/v1/login", {{"email", "nobody@example.com"}, {"password", "whatever-pass"}}).status, 401);
}

// The waiting room: one active turn at a time (max_active 1), tokens, polls
// paced by poll_after_seconds (429 from the shim when too soon), the gate on holds.
TEST_F(HttpTest, WaitingRoomAdmitsInTurnAndPacesPolls) {
  Stage s = make_stage(api, admin_);
  ASSERT_EQ(psql("SELECT boxoffice.set_queue(" + std::to_string(s.performance) + ", max_active => 1)"), 0);
  std::string queue = "/v1/performances/" + std::to_string(s.performance) + "/queue";
  auto with = [](const std::string& token, const std::string& queue_token) {
    httplib::Headers h = Api::auth(token);
    if (!queue_token.empty()) h.emplace("X-Queue-Token", queue_token);
    return h;
  };
  std::string first = register_and_login(api), second = register_and_login(api);

  Reply info = api.get(queue);
  EXPECT_EQ(info.status, 200) << info.text;
  EXPECT_EQ(info.body.value("enabled", false), true);
  EXPECT_EQ(info.body.value("max_active", 0), 1);

  // set_queue advanced the line just now; the next advance comes after boxoffice.queue_pause (100 ms)
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  Reply a = api.post(queue, json::object(), first);
  ASSERT_EQ(a.status, 200) << a.text;
  EXPECT_EQ(a.body.value("state", ""), "active");
  EXPECT_TRUE(a.body.at("poll_after_seconds").is_null());
  EXPECT_EQ(a.header("Retry-After"), "");
  Reply again = api.post(queue, json::object(), first);
  ASSERT_EQ(again.status, 200) << again.text;
  EXPECT_EQ(again.body.value("token", ""), a.body.value("token", "x"));
  EXPECT_EQ(again.body.value("state", ""), "active");
  std::string token_a = a.body.value("token", "");

  Reply b = api.post(queue, json::object(), second);
  ASSERT_EQ(b.status, 200) << b.text;
  EXPECT_EQ(b.body.value("state", ""), "waiting");
  EXPECT_EQ(b.body.value("position", int64_t{0}), 1);
  ASSERT_TRUE(b.body.at("poll_after_seconds").is_number_integer()) << b.text;
  EXPECT_EQ(b.header("Retry-After"), std::to_string(b.body.at("poll_after_seconds").get<int>()));
  std::string token_b = b.body.value("token", "");

  // asked again at once: the shim answers, the database is not asked
  Reply soon = api.call("GET", "/v1/queue", "", with(second, token_b));
  EXPECT_EQ(soon.status, 429) << soon.text;
  EXPECT_EQ(soon.body.value("code", ""), "poll_too_soon");
  EXPECT_GE(std::atoi(soon.header("Retry-After").c_str()), 1);

  Reply foreign = api.call("GET", "/v1/queue", "", with(second, token_a));
  EXPECT_EQ(foreign.status, 404) << foreign.text;
  EXPECT_EQ(foreign.body.value("code", ""), "TK024");
  EXPECT_EQ(api.call("GET", "/v1/queue", "", with("", token_b)).status, 401);
  EXPECT_EQ(api.post(queue, json::object()).status, 401);

  Reply gated = api.post(holds_path(s), {{"seat_ids", {s.seats[0]}}}, second);
  EXPECT_EQ(gated.status, 403) << gated.text;
  EXPECT_EQ(gated.body.value("code", ""), "TK025");

  Reply left = api.call("DELETE", "/v1/queue", "", with(first, token_a));
  EXPECT_EQ(left.status, 200) << left.text;
  EXPECT_EQ(left.body.value("state", ""), "left");

  std::this_thread::sleep_for(std::chrono::seconds(std::atoi(b.header("Retry-After").c_str())));
  Reply turn = api.call("GET", "/v1/queue", "", with(second, token_b));
  EXPECT_EQ(turn.status, 200) << turn.text;
  EXPECT_EQ(turn.body.value("state", ""), "active");
  EXPECT_TRUE(turn.body.at("active_until").is_string());
  Reply held = api.post(holds_path(s), {{"seat_ids", {s.seats[0]}}}, second);
  EXPECT_EQ(held.status, 201) << held.text;
}

}  // namespace

// --- payments -------------------------------------------------------------------

// A call that moves money, with its Idempotency-Key (none when key is empty).
Reply keyed(Api& api, const std::string& path, const json& body, const std::string& token, const std::string& key) {
  httplib::Headers headers = Api::auth(token);
  if (!key.empty()) headers.emplace("Idempotency-Key", key);
  return api.call("POST", path, body.dump(), headers);
}

// The 503 case of issue 11: a guest whose hold answer is lost sends the hold
// again with its key and gets the same hold, token and all.
TEST_F(HttpTest, AGuestsLostHoldAnswerComesBackWithItsKey) {
  Stage s = make_stage(api, admin_);
  std::string key = unique("guest-hold-key-");
  httplib::Headers headers = {{"Idempotency-Key", key}};
  std::string body = json{{"seat_ids", {s.seats[8], s.seats[9]}}}.dump();
  Reply first = api.call("POST", holds_path(s), body, headers);
  ASSERT_EQ(first.status, 201) << first.text;
  Reply again = api.call("POST", holds_path(s), body, headers);
  ASSERT_EQ(again.status, 201) << again.text;
  EXPECT_EQ(again.body.value("reservation_id", int64_t{0}), first.body.value("reservation_id", int64_t{-1}));
  EXPECT_EQ(again.body.value("hold_token", ""), first.body.value("hold_token", "-"));

  Reply other = api.call("POST", holds_path(s), json{{"seat_ids", {s.seats[10]}}}.dump(), headers);
  EXPECT_EQ(other.status, 422) << other.text;
  EXPECT_EQ(other.body.value("code", ""), "TK032");
  Reply short_key = api.call("POST", holds_path(s), json{{"seat_ids", {s.seats[10]}}}.dump(), {{"Idempotency-Key", "k1"}});
  EXPECT_EQ(short_key.status, 400) << short_key.text;
  EXPECT_EQ(short_key.body.value("code", ""), "TK031");
  // no key: holds work as they always did
  Reply plain = api.post(holds_path(s), {{"seat_ids", {s.seats[10]}}});
  EXPECT_EQ(plain.status, 201) << plain.text;

  // cancelling with a key: the same answer for its retries, the key names one call
  int64_t id = first.body.value("reservation_id", int64_t{0});
  httplib::Headers cancel_headers = {{"X-Hold-Token", first.body.value("hold_token", "")}, {"Idempotency-Key", key + "-c"}};
  Reply cancelled = api.call("POST", reservation_path(id, "cancel"), "", cancel_headers);
  EXPECT_EQ(cancelled.status, 200) << cancelled.text;
  EXPECT_EQ(cancelled.body.value("status", ""), "cancelled");
  Reply retried = api.call("POST", reservation_path(id, "cancel"), "", cancel_headers);
  EXPECT_EQ(retried.status, 200);
  EXPECT_EQ(retried.body, cancelled.body);
  int64_t plain_id = plain.body.value("reservation_id", int64_t{0});
  Reply reused = api.call("POST", reservation_path(plain_id, "cancel"), "",
                          {{"X-Hold-Token", plain.body.value("hold_token", "")}, {"Idempotency-Key", key + "-c"}});
  EXPECT_EQ(reused.status, 200) << "another token holder's key space: " << reused.text;
}

TEST_F(HttpTest, PointsPayForAHoldExactlyOnceAndComeBackOnCancel) {
  Stage s = make_stage(api, admin_);
  std::string perf = "/v1/admin/performances/" + std::to_string(s.performance);
  Reply terms = api.post(perf + "/payment-terms", {{"payment_required", true}}, admin_);
  ASSERT_EQ(terms.status, 200) << terms.text;
  EXPECT_TRUE(terms.body.value("payment_required", false));
  EXPECT_EQ(terms.body.value("cancel_cutoff_seconds", -1), 0);
  EXPECT_EQ(api.post(perf + "/payment-terms", {{"payment_required", true}}, register_and_login(api)).status, 403);

  std::string token = register_and_login(api), other = register_and_login(api);
  EXPECT_EQ(api.get("/v1/wallet").status, 401);
  Reply empty = api.get("/v1/wallet", token);
  EXPECT_EQ(empty.status, 200) << empty.text;
  EXPECT_EQ(empty.body.value("balance", -1), 0);

  Reply hold = api.post(holds_path(s), {{"seat_ids", {s.seats[0], s.seats[1]}}}, token);
  ASSERT_EQ(hold.status, 201) << hold.text;
  int64_t id = hold.body.value("reservation_id", int64_t{0});
  Reply unpaid = api.post(reservation_path(id, "confirm"), json::object(), token);
  EXPECT_EQ(unpaid.status, 402) << unpaid.text;
  EXPECT_EQ(unpaid.body.value("code", ""), "TK034");

  // charges: a key is required, replays answer the same, another payload is refused
  std::string k1 = unique("charge-"), k2 = unique("charge-");
  Reply nokey = keyed(api, "/v1/wallet/charges", {{"amount", 1500}}, token, "");
  EXPECT_EQ(nokey.status, 400) << nokey.text;
  EXPECT_EQ(nokey.body.value("code", ""), "TK031");
  Reply charged = keyed(api, "/v1/wallet/charges", {{"amount", 1500}}, token, k1);
  ASSERT_EQ(charged.status, 201) << charged.text;
  EXPECT_EQ(charged.body.value("balance_after", 0), 1500);
  Reply again = keyed(api, "/v1/wallet/charges", {{"amount", 1500}}, token, k1);
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(again.body.value("entry_id", 0), charged.body.value("entry_id", -1));
  Reply reused = keyed(api, "/v1/wallet/charges", {{"amount", 2000}}, token, k1);
  EXPECT_EQ(reused.status, 422) << reused.text;
  EXPECT_EQ(reused.body.value("code", ""), "TK032");
  EXPECT_EQ(keyed(api, "/v1/wallet/charges", {{"amount", 0}}, token, k2).body.value("code", ""), "TK030");
  EXPECT_EQ(api.get("/v1/wallet", token).body.value("balance", 0), 1500);

  // paying: too few points change nothing; after a charge the same key pays, once
  std::string pay = reservation_path(id, "payments/points"), p1 = unique("pay-");
  Reply poor = keyed(api, pay, json::object(), token, p1);
  EXPECT_EQ(poor.status, 402) << poor.text;
  EXPECT_EQ(poor.body.value("code", ""), "TK029");
  EXPECT_EQ(api.get(reservation_path(id), token).body.value("status", ""), "hold");
  EXPECT_EQ(keyed(api, "/v1/wallet/charges", {{"amount", 1000}}, token, k2).status, 201);
  Reply paid = keyed(api, pay, json::object(), token, p1);
  ASSERT_EQ(paid.status, 201) << paid.text;
  EXPECT_EQ(paid.body.value("status", ""), "approved");
  EXPECT_EQ(paid.body.value("reservation_status", ""), "confirmed");
  EXPECT_EQ(paid.body.value("amount", 0), 2000);
  EXPECT_EQ(paid.body.value("points_balance", -1), 500);
  EXPECT_EQ(keyed(api, pay, json::object(), token, p1).body.value("payment_id", 0), paid.body.value("payment_id", -1));
  Reply twice = keyed(api, pay, json::object(), token, unique("pay-"));
  EXPECT_EQ(twice.status, 409) << twice.text;
  EXPECT_EQ(twice.body.value("code", ""), "TK035");
  EXPECT_EQ(keyed(api, pay, json::object(), other, unique("pay-")).status, 404);
  EXPECT_EQ(api.get(reservation_path(id, "payments"), other).status, 404);
  EXPECT_EQ(api.get(reservation_path(id), token).body.value("status", ""), "confirmed");

  Reply entries = api.get("/v1/wallet/entries", token);
  ASSERT_EQ(entries.status, 200) << entries.text;
  ASSERT_EQ(entries.body.size(), 3u);
  EXPECT_EQ(entries.body[0].value("kind", ""), "payment");
  EXPECT_EQ(entries.body[0].value("amount", 0), -2000);
  EXPECT_EQ(entries.body[0].value("reservation_id", int64_t{0}), id);
  // the next page: what comes before the newest entry
  int64_t newest = entries.body[0].value("entry_id", int64_t{0});
  Reply older = api.get("/v1/wallet/entries?before=" + std::to_string(newest), token);
  ASSERT_EQ(older.status, 200) << older.text;
  ASSERT_EQ(older.body.size(), 2u);
  EXPECT_EQ(older.body[0].value("entry_id", int64_t{0}), entries.body[1].value("entry_id", int64_t{-1}));
  EXPECT_EQ(api.get("/v1/wallet/entries?before=soon", token).status, 400);

  // cancelling the sale refunds it at once
  EXPECT_EQ(api.post(reservation_path(id, "cancel"), json::object(), token).body.value("status", ""), "cancelled");
  EXPECT_EQ(api.get("/v1/wallet", token).body.value("balance", 0), 2500);
  Reply payments = api.get(reservation_path(id, "payments"), token);
  ASSERT_EQ(payments.status, 200) << payments.text;
  ASSERT_EQ(payments.body.size(), 1u);
  EXPECT_EQ(payments.body[0].value("status", ""), "refunded");
  EXPECT_EQ(api.get("/v1/wallet/entries", token).body[0].value("kind", ""), "refund");
  Reply invariants = api.get("/v1/admin/invariants", admin_);
  EXPECT_EQ(invariants.status, 200);
  EXPECT_EQ(invariants.body.size(), 0u) << invariants.text;
}

// --- card payments through the fake gateway (gateway/) -------------------------

// The buyer's payment window: what the gateway's widget does in the browser.
class Gateway {
 public:
  // https, checked against the certificate test/http/run.sh made for it
  Gateway() : client_("https://127.0.0.1:" + env("BOXOFFICE_TEST_GATEWAY_PORT")) {
    client_.set_ca_cert_path(env("BOXOFFICE_TEST_GATEWAY_CA_FILE").c_str());
    client_.enable_server_certificate_verification(true);
    client_.set_basic_auth(env("BOXOFFICE_TEST_GATEWAY_SECRET_KEY").c_str(), "");
    client_.set_read_timeout(15, 0);
  }
  // A READY payment for the order, answering its confirm as `behaviour` says; its paymentKey.
  std::string window(const json& receipt, const std::string& behaviour, const std::string& cancel_behaviour = "approve") {
    json body = {{"orderId", receipt.value("order_id", "")}, {"amount", receipt.value("amount", int64_t{0})},
                 {"method", "CARD"}, {"behaviour", behaviour}, {"cancel_behaviour", cancel_behaviour}};
    httplib::Result r = client_.Post("/v1/payments", body.dump(), "application/json");
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
    return r ? json::parse(r->body, nullptr, false).value("paymentKey", "") : "";
  }
  json payment(const std::string& payment_key) {
    httplib::Result r = client_.Get(("/control/payments/" + payment_key).c_str());
    return r && r->status == 200 ? json::parse(r->body, nullptr, false) : json::object();
  }

 private:
  httplib::Client client_;
};

struct CardSale {
  int64_t reservation = 0, payment = 0;
  json receipt;
};

// A hold of one seat and a card payment started for it.
CardSale start_card_sale(Api& api, const Stage& s, const std::string& token, int64_t seat) {
  CardSale sale;
  Reply hold = api.post(holds_path(s), {{"seat_ids", {seat}}}, token);
  EXPECT_EQ(hold.status, 201) << hold.text;
  sale.reservation = hold.body.value("reservation_id", int64_t{0});
  Reply started = keyed(api, reservation_path(sale.reservation, "payments/card"), {{"method", "card"}}, token, unique("card-"));
  EXPECT_EQ(started.status, 201) << started.text;
  sale.receipt = started.body;
  sale.payment = started.body.value("payment_id", int64_t{0});
  return sale;
}

Reply confirm_card(Api& api, const CardSale& sale, const std::string& key, const std::string& token) {
  return api.post("/v1/payments/" + std::to_string(sale.payment) + "/confirm", {{"payment_key", key}}, token);
}

// The payment as its buyer lists it, once its status is `status` (the
// reconciliation runs every few hundred milliseconds), or after `seconds`.
json payment_when(Api& api, const CardSale& sale, const std::string& token, const std::string& status, int seconds) {
  json last;
  for (int i = 0; i < seconds * 10; i++) {
    Reply r = api.get(reservation_path(sale.reservation, "payments"), token);
    for (const json& p : r.body)
      if (p.value("payment_id", int64_t{0}) == sale.payment) last = p;
    if (last.value("status", "") == status) return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return last;
}

Stage pay_first_stage(Api& api, const std::string& admin) {
  Stage s = make_stage(api, admin);
  Reply terms = api.post("/v1/admin/performances/" + std::to_string(s.performance) + "/payment-terms",
                         {{"payment_required", true}}, admin);
  EXPECT_EQ(terms.status, 200) << terms.text;
  return s;
}

void expect_books_balance(Api& api, const std::string& admin) {
  Reply invariants = api.get("/v1/admin/invariants", admin);
  EXPECT_EQ(invariants.status, 200);
  EXPECT_EQ(invariants.body.size(), 0u) << invariants.text;
}

TEST_F(HttpTest, CardApprovedSellsOnceAndACancelIsRefundedThroughTheGateway) {
  Stage s = pay_first_stage(api, admin_);
  Gateway gateway;
  std::string token = register_and_login(api), other = register_and_login(api);
  CardSale sale = start_card_sale(api, s, token, s.seats[0]);
  EXPECT_EQ(sale.receipt.value("status", ""), "pending");
  EXPECT_EQ(sale.receipt.value("amount", 0), 1000);
  EXPECT_EQ(keyed(api, reservation_path(sale.reservation, "payments/card"), {{"method", "cash"}}, token, unique("card-")).status, 422);
  std::string key = gateway.window(sale.receipt, "approve");
  EXPECT_EQ(confirm_card(api, sale, key, other).status, 404);  // not yours
  Reply paid = confirm_card(api, sale, key, token);
  ASSERT_EQ(paid.status, 200) << paid.text;
  EXPECT_EQ(paid.body.value("status", ""), "approved");
  EXPECT_EQ(paid.body.value("reservation_status", ""), "confirmed");
  // the buyer's retry: the same answer, and the gateway charged once
  Reply again = confirm_card(api, sale, key, token);
  EXPECT_EQ(again.status, 200) << again.text;
  EXPECT_EQ(again.body.value("payment_id", 0), paid.body.value("payment_id", -1));
  json at_gateway = gateway.payment(key);
  EXPECT_EQ(at_gateway.value("chargeCount", -1), 1) << at_gateway.dump();
  EXPECT_EQ(at_gateway.value("status", ""), "DONE");

  // cancelling: the seat is free at once; the reconciliation refunds through the gateway
  EXPECT_EQ(api.post(reservation_path(sale.reservation, "cancel"), json::object(), token).body.value("status", ""), "cancelled");
  Reply taken = api.post(holds_path(s), {{"seat_ids", {s.seats[0]}}}, other);
  EXPECT_EQ(taken.status, 201) << taken.text;
  json refunded = payment_when(api, sale, token, "refunded", 10);
  EXPECT_EQ(refunded.value("status", ""), "refunded") << refunded.dump();
  EXPECT_EQ(refunded.value("refund_reason", ""), "cancelled");
  EXPECT_EQ(gateway.payment(key).value("status", ""), "CANCELED");
  expect_books_balance(api, admin_);
}

TEST_F(HttpTest, CardDeclinedKeepsTheHoldAndAnotherPaymentMayFollow) {
  Stage s = pay_first_stage(api, admin_);
  Gateway gateway;
  std::string token = register_and_login(api);
  CardSale sale = start_card_sale(api, s, token, s.seats[1]);
  Reply declined = confirm_card(api, sale, gateway.window(sale.receipt, "decline"), token);
  EXPECT_EQ(declined.status, 402) << declined.text;
  EXPECT_EQ(declined.body.value("code", ""), "TK040");
  EXPECT_EQ(api.get(reservation_path(sale.reservation), token).body.value("status", ""), "hold");
  Reply retry = keyed(api, reservation_path(sale.reservation, "payments/card"), {{"method", "toss"}}, token, unique("card-"));
  ASSERT_EQ(retry.status, 201) << retry.text;
  CardSale second{sale.reservation, retry.body.value("payment_id", int64_t{0}), retry.body};
  Reply paid = confirm_card(api, second, gateway.window(second.receipt, "slow"), token);  // answers in --delay-ms
  EXPECT_EQ(paid.status, 200) << paid.text;
  EXPECT_EQ(paid.body.value("reservation_status", ""), "confirmed");
  expect_books_balance(api, admin_);
}

TEST_F(HttpTest, CardTimeoutAndLostAnswerStayPendingUntilTheReconciliationSettlesThem) {
  Stage s = pay_first_stage(api, admin_);
  Gateway gateway;
  std::string token = register_and_login(api);
  for (const char* behaviour : {"timeout", "lose"}) {
    CardSale sale = start_card_sale(api, s, token, behaviour == std::string("timeout") ? s.seats[2] : s.seats[3]);
    std::string key = gateway.window(sale.receipt, behaviour);
    Reply waiting = confirm_card(api, sale, key, token);
    EXPECT_EQ(waiting.status, 202) << behaviour << " " << waiting.text;
    EXPECT_EQ(waiting.body.value("status", ""), "pending") << behaviour;
    // no second payment while the outcome is unknown: the card may have been charged
    Reply meanwhile = keyed(api, reservation_path(sale.reservation, "payments/card"), {{"method", "card"}}, token, unique("card-"));
    EXPECT_EQ(meanwhile.status, 409) << meanwhile.text;
    EXPECT_EQ(meanwhile.body.value("code", ""), "TK038");
    json settled = payment_when(api, sale, token, "approved", 15);
    EXPECT_EQ(settled.value("status", ""), "approved") << behaviour << " " << settled.dump();
    EXPECT_EQ(settled.value("reservation_status", ""), "confirmed") << behaviour;
    EXPECT_EQ(gateway.payment(key).value("chargeCount", -1), 1) << behaviour;
  }
  expect_books_balance(api, admin_);
}

TEST_F(HttpTest, CardApprovedAfterTheHoldEndedSellsIfTheSeatIsFreeElseIsRefunded) {
  Stage s = pay_first_stage(api, admin_);
  std::string rules = "/v1/admin/performances/" + std::to_string(s.performance) + "/rules";
  ASSERT_EQ(api.post(rules, {{"hold_lifetime_seconds", 1}}, admin_).status, 200);
  Gateway gateway;
  std::string token = register_and_login(api), rival = register_and_login(api);
  // the gateway answers after the hold has run out (timeout: it hangs past the shim's wait)
  CardSale free_seat = start_card_sale(api, s, token, s.seats[4]);
  CardSale resold = start_card_sale(api, s, token, s.seats[5]);
  std::string free_key = gateway.window(free_seat.receipt, "timeout");
  std::string resold_key = gateway.window(resold.receipt, "timeout");
  std::thread first([&] { confirm_card(api, free_seat, free_key, token); });
  Api api2;
  Reply late = confirm_card(api2, resold, resold_key, token);
  first.join();
  EXPECT_EQ(late.status, 202) << late.text;
  ASSERT_EQ(api.post(rules, {{"hold_lifetime_seconds", 300}}, admin_).status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // past the 1-second hold, whatever the timing
  Reply taken = api.post(holds_path(s), {{"seat_ids", {s.seats[5]}}}, rival);  // the hold has run out: the seat is free
  ASSERT_EQ(taken.status, 201) << taken.text;

  json sold = payment_when(api, free_seat, token, "approved", 15);
  EXPECT_EQ(sold.value("reservation_status", ""), "confirmed") << sold.dump();
  json back = payment_when(api, resold, token, "refunded", 15);
  EXPECT_EQ(back.value("status", ""), "refunded") << back.dump();
  EXPECT_NE(back.value("refund_reason", "").find("approved but not sold"), std::string::npos) << back.dump();
  EXPECT_EQ(gateway.payment(resold_key).value("status", ""), "CANCELED");
  EXPECT_EQ(api.get(reservation_path(taken.body.value("reservation_id", int64_t{0})), rival).body.value("status", ""), "hold");
  expect_books_balance(api, admin_);
}

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
