// The fake Toss Payments gateway (gateway/fake_gateway.hpp), run in-process on
// a free port and spoken to over HTTP as the shim will.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "fake_gateway.hpp"

namespace {

using json = nlohmann::json;
using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

const milliseconds slow_delay{300};
const milliseconds hang{800};
const milliseconds ready_ttl{600000};

// base64("test_sk_boxoffice:"), worked out by hand so the fake's encoder is checked too.
const char* const merchant_authorization = "Basic dGVzdF9za19ib3hvZmZpY2U6";

struct Reply {
  int status = 0;
  json body;
};

struct RawExchange {
  std::string received;
  bool closed = false;  // the server ended the connection (rather than a timeout)
};

class FakeGatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    gateway::FakeGateway::Options options;
    options.slow_delay = slow_delay;
    options.hang = hang;
    options.ready_ttl = ready_ttl;
    options.threads = 64;
    // the gateway's wall clock, which a test moves on to expire payments
    options.now = [this] { return std::chrono::system_clock::now() + milliseconds(clock_offset_ms_.load()); };
    gateway_ = std::make_unique<gateway::FakeGateway>(options);
    gateway_->install(server_);
    port_ = gateway::FakeGateway::bind(server_, "127.0.0.1", 0);
    ASSERT_GT(port_, 0);
    serving_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() is a no-op until the server runs
    while (!server_.is_running()) std::this_thread::sleep_for(milliseconds(1));
  }

  void TearDown() override {
    gateway_->stop_waiting();
    server_.stop();
    serving_.join();
  }

  void move_clock_on(milliseconds by) { clock_offset_ms_ += by.count(); }

  // A fresh client per call: no idle keep-alive connection keeps a worker.
  httplib::Client client(milliseconds read_timeout = milliseconds(5000)) const {
    httplib::Client cli("127.0.0.1", port_);
    cli.set_read_timeout(read_timeout);
    return cli;
  }

  static httplib::Headers merchant_headers(const std::string& idempotency_key = "") {
    httplib::Headers headers = {{"Authorization", merchant_authorization}};
    if (!idempotency_key.empty()) headers.emplace("Idempotency-Key", idempotency_key);
    return headers;
  }

  static Reply reply_of(const httplib::Result& res) {
    if (!res) {
      ADD_FAILURE() << "no answer: " << httplib::to_string(res.error());
      return {};
    }
    return {res->status, json::parse(res->body, nullptr, false)};
  }

  Reply post_text(const std::string& path, const std::string& body, const std::string& idempotency_key = "") const {
    auto cli = client();
    return reply_of(cli.Post(path.c_str(), merchant_headers(idempotency_key), body, "application/json"));
  }
  Reply post(const std::string& path, const json& body, const std::string& idempotency_key = "") const {
    return post_text(path, body.dump(), idempotency_key);
  }
  Reply get(const std::string& path) const {
    auto cli = client();
    return reply_of(cli.Get(path.c_str(), merchant_headers()));
  }
  json control(const std::string& path) const {
    auto cli = client();
    Reply reply = reply_of(cli.Get(path.c_str()));
    EXPECT_EQ(reply.status, 200) << path;
    return reply.body;
  }

  std::string create(const std::string& order_id, int amount, const std::string& behaviour = "approve",
                     const std::string& cancel_behaviour = "approve") const {
    Reply created = post("/v1/payments", {{"orderId", order_id},
                                          {"amount", amount},
                                          {"behaviour", behaviour},
                                          {"cancel_behaviour", cancel_behaviour}});
    EXPECT_EQ(created.status, 200) << created.body;
    return created.body.value("paymentKey", "");
  }
  static json confirmation(const std::string& payment_key, const std::string& order_id, int amount) {
    return {{"paymentKey", payment_key}, {"orderId", order_id}, {"amount", amount}};
  }
  Reply confirm(const std::string& payment_key, const std::string& order_id, int amount,
                const std::string& idempotency_key = "") const {
    return post("/v1/payments/confirm", confirmation(payment_key, order_id, amount), idempotency_key);
  }
  Reply cancel(const std::string& payment_key, const json& body, const std::string& idempotency_key = "") const {
    return post("/v1/payments/" + payment_key + "/cancel", body, idempotency_key);
  }
  std::string status_of(const std::string& payment_key) const {
    return get("/v1/payments/" + payment_key).body.value("status", "");
  }
  bool becomes(const std::string& payment_key, const std::string& status, milliseconds within) const {
    auto give_up = SteadyClock::now() + within;
    while (SteadyClock::now() < give_up) {
      if (status_of(payment_key) == status) return true;
      std::this_thread::sleep_for(milliseconds(20));
    }
    return status_of(payment_key) == status;
  }

  // A request over a bare socket: what exactly came back, to the byte.
  RawExchange raw_exchange(const std::string& request) const {
    RawExchange exchange;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(uint16_t(port_));
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    timeval timeout{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
        send(fd, request.data(), request.size(), MSG_NOSIGNAL) == ssize_t(request.size())) {
      char buffer[4096];
      for (;;) {
        ssize_t got = recv(fd, buffer, sizeof buffer, 0);
        if (got > 0) {
          exchange.received.append(buffer, size_t(got));
          continue;
        }
        exchange.closed = got == 0 || errno == ECONNRESET;
        break;
      }
    }
    close(fd);
    return exchange;
  }
  static std::string raw_post(const std::string& path, const std::string& body) {
    return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + merchant_authorization +
           "\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }

  httplib::Server server_;
  std::unique_ptr<gateway::FakeGateway> gateway_;
  std::thread serving_;
  int port_ = 0;
  std::atomic<long long> clock_offset_ms_{0};
};

void expect_error(const Reply& reply, int status, const std::string& code) {
  EXPECT_EQ(reply.status, status) << reply.body;
  EXPECT_EQ(reply.body.value("code", ""), code) << reply.body;
  EXPECT_TRUE(reply.body.contains("message") && reply.body["message"].is_string()) << reply.body;
}

long long millis_since(SteadyClock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(SteadyClock::now() - start).count();
}

// --- Plumbing

TEST_F(FakeGatewayTest, HealthzAnswersOk) {
  auto cli = client();
  auto res = cli.Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "ok");
}

TEST_F(FakeGatewayTest, UnknownRoutesAnswerJsonErrors) {
  auto cli = client();
  Reply reply = reply_of(cli.Get("/v2/nothing", merchant_headers()));
  expect_error(reply, 404, "NOT_FOUND");
}

TEST_F(FakeGatewayTest, EveryMerchantCallNeedsTheSecretKey) {
  std::string key = create("order-auth-1", 1000);
  const std::vector<httplib::Headers> wrong = {
      {},
      {{"Authorization", "Basic " + std::string("d3Jvbmc6")}},  // "wrong:"
      {{"Authorization", "Bearer dGVzdF9za19ib3hvZmZpY2U6"}},
      {{"Authorization", "Basic dGVzdF9za19ib3hvZmZpY2U"}},     // without the ':'
  };
  for (const auto& headers : wrong) {
    auto cli = client();
    expect_error(reply_of(cli.Post("/v1/payments", headers, R"({"orderId":"order-auth-2","amount":1})",
                                   "application/json")),
                 401, "UNAUTHORIZED_KEY");
    expect_error(reply_of(cli.Post("/v1/payments/confirm", headers, confirmation(key, "order-auth-1", 1000).dump(),
                                   "application/json")),
                 401, "UNAUTHORIZED_KEY");
    expect_error(reply_of(cli.Get(("/v1/payments/" + key).c_str(), headers)), 401, "UNAUTHORIZED_KEY");
    expect_error(reply_of(cli.Get("/v1/payments/orders/order-auth-1", headers)), 401, "UNAUTHORIZED_KEY");
    expect_error(reply_of(cli.Post(("/v1/payments/" + key + "/cancel").c_str(), headers,
                                   R"({"cancelReason":"x"})", "application/json")),
                 401, "UNAUTHORIZED_KEY");
  }
  // nothing happened, and the scheme's case does not matter
  json payment = control("/control/payments/" + key);
  EXPECT_EQ(payment["status"], "READY");
  EXPECT_EQ(payment["confirmCalls"], 0);
  EXPECT_EQ(control("/control/stats")["payments"], 1);
  auto cli = client();
  auto res = cli.Get(("/v1/payments/" + key).c_str(), {{"Authorization", "basic dGVzdF9za19ib3hvZmZpY2U6"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

// --- Creating (the buyer's payment window)

TEST_F(FakeGatewayTest, CreatingAPaymentMakesItReady) {
  Reply created = post("/v1/payments", {{"orderId", "order-create-1"}, {"amount", 15000}});
  ASSERT_EQ(created.status, 200) << created.body;
  const json& payment = created.body;
  EXPECT_TRUE(std::regex_match(payment["paymentKey"].get<std::string>(), std::regex("tgen_[A-Za-z0-9]{20}")));
  EXPECT_EQ(payment["orderId"], "order-create-1");
  EXPECT_EQ(payment["status"], "READY");
  EXPECT_EQ(payment["method"], "CARD");
  EXPECT_EQ(payment["totalAmount"], 15000);
  EXPECT_EQ(payment["balanceAmount"], 15000);
  EXPECT_TRUE(std::regex_match(payment["requestedAt"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
  EXPECT_TRUE(payment["approvedAt"].is_null());
  EXPECT_TRUE(payment["cancels"].is_null());

  Reply kakao = post("/v1/payments", {{"orderId", "order-create-2"}, {"amount", 1}, {"method", "KAKAO_PAY"}});
  ASSERT_EQ(kakao.status, 200);
  EXPECT_EQ(kakao.body["method"], "KAKAO_PAY");
  EXPECT_NE(kakao.body["paymentKey"], payment["paymentKey"]);

  // the same payment by key and by order
  EXPECT_EQ(get("/v1/payments/" + payment["paymentKey"].get<std::string>()).body, payment);
  EXPECT_EQ(get("/v1/payments/orders/order-create-1").body, payment);
}

TEST_F(FakeGatewayTest, CreatingRejectsBadInput) {
  const std::vector<std::string> bad = {
      R"(not json)",
      R"([1,2])",
      R"({"amount":100})",
      R"({"orderId":"short","amount":100})",
      R"({"orderId":")" + std::string(65, 'a') + R"(","amount":100})",
      R"({"orderId":"order with spaces","amount":100})",
      R"({"orderId":"order.dot.1","amount":100})",
      R"({"orderId":12345678,"amount":100})",
      R"({"orderId":"order-bad-1"})",
      R"({"orderId":"order-bad-1","amount":0})",
      R"({"orderId":"order-bad-1","amount":-5})",
      R"({"orderId":"order-bad-1","amount":1.5})",
      R"({"orderId":"order-bad-1","amount":"100"})",
      R"({"orderId":"order-bad-1","amount":100,"method":"CASH"})",
      R"({"orderId":"order-bad-1","amount":100,"behaviour":"explode"})",
      R"({"orderId":"order-bad-1","amount":100,"cancel_behaviour":"decline"})",
  };
  for (const std::string& body : bad) expect_error(post_text("/v1/payments", body), 400, "INVALID_REQUEST");
  EXPECT_EQ(control("/control/stats")["payments"], 0);
  // the edges of what is allowed
  EXPECT_EQ(post("/v1/payments", {{"orderId", "abc_-9"}, {"amount", 1}}).status, 200);
  EXPECT_EQ(post("/v1/payments", {{"orderId", std::string(64, 'Z')}, {"amount", 1}}).status, 200);
}

TEST_F(FakeGatewayTest, ADuplicatedOrderIdIsRefused) {
  create("order-dup-1", 1000);
  expect_error(post("/v1/payments", {{"orderId", "order-dup-1"}, {"amount", 2000}}), 400, "DUPLICATED_ORDER_ID");
  EXPECT_EQ(get("/v1/payments/orders/order-dup-1").body["totalAmount"], 1000);
}

TEST_F(FakeGatewayTest, LookUpsOfUnknownPaymentsAre404) {
  expect_error(get("/v1/payments/tgen_nosuchpayment000000"), 404, "NOT_FOUND_PAYMENT");
  expect_error(get("/v1/payments/orders/order-missing"), 404, "NOT_FOUND_PAYMENT");
  auto cli = client();
  expect_error(reply_of(cli.Get("/control/payments/tgen_nosuchpayment000000")), 404, "NOT_FOUND_PAYMENT");
}

// --- Confirming

TEST_F(FakeGatewayTest, AnApprovedConfirmIsDone) {
  std::string key = create("order-approve-1", 5000);
  Reply confirmed = confirm(key, "order-approve-1", 5000);
  ASSERT_EQ(confirmed.status, 200) << confirmed.body;
  EXPECT_EQ(confirmed.body["status"], "DONE");
  EXPECT_TRUE(confirmed.body["approvedAt"].is_string());
  EXPECT_GE(confirmed.body["approvedAt"].get<std::string>(), confirmed.body["requestedAt"].get<std::string>());
  EXPECT_EQ(get("/v1/payments/" + key).body, confirmed.body);
  json payment = control("/control/payments/" + key);
  EXPECT_EQ(payment["confirmCalls"], 1);
  EXPECT_EQ(payment["chargeCount"], 1);
}

TEST_F(FakeGatewayTest, AConfirmMustNameThePaymentsOrderAndAmount) {
  std::string key = create("order-check-1", 5000);
  expect_error(confirm("tgen_nosuchpayment000000", "order-check-1", 5000), 404, "NOT_FOUND_PAYMENT");
  Reply wrong_order = confirm(key, "order-check-2", 5000);
  expect_error(wrong_order, 400, "INVALID_REQUEST");
  EXPECT_NE(wrong_order.body["message"].get<std::string>().find("orderId"), std::string::npos);
  Reply wrong_amount = confirm(key, "order-check-1", 4999);
  expect_error(wrong_amount, 400, "INVALID_REQUEST");
  EXPECT_NE(wrong_amount.body["message"].get<std::string>().find("amount"), std::string::npos);
  expect_error(post_text("/v1/payments/confirm", R"({"paymentKey":")" + key + R"(","orderId":"order-check-1"})"),
               400, "INVALID_REQUEST");
  expect_error(post_text("/v1/payments/confirm", "{"), 400, "INVALID_REQUEST");

  json payment = control("/control/payments/" + key);
  EXPECT_EQ(payment["status"], "READY");  // nothing changed
  EXPECT_EQ(payment["chargeCount"], 0);
  EXPECT_EQ(payment["confirmCalls"], 3);  // every call naming the payment counts
  EXPECT_EQ(confirm(key, "order-check-1", 5000).status, 200);
}

TEST_F(FakeGatewayTest, ASecondConfirmIsAlreadyProcessed) {
  std::string key = create("order-twice-1", 5000);
  ASSERT_EQ(confirm(key, "order-twice-1", 5000).status, 200);
  expect_error(confirm(key, "order-twice-1", 5000), 400, "ALREADY_PROCESSED_PAYMENT");
  json payment = control("/control/payments/" + key);
  EXPECT_EQ(payment["confirmCalls"], 2);
  EXPECT_EQ(payment["chargeCount"], 1);
}

TEST_F(FakeGatewayTest, ADeclinedPaymentIsAbortedAndStaysDeclined) {
  std::string key = create("order-decline-1", 5000, "decline");
  Reply declined = confirm(key, "order-decline-1", 5000);
  expect_error(declined, 403, "REJECT_CARD_PAYMENT");
  EXPECT_EQ(status_of(key), "ABORTED");
  expect_error(confirm(key, "order-decline-1", 5000), 403, "REJECT_CARD_PAYMENT");
  EXPECT_EQ(control("/control/payments/" + key)["chargeCount"], 0);
}

TEST_F(FakeGatewayTest, AnUnconfirmedPaymentExpires) {
  std::string key = create("order-expire-1", 5000);
  std::string confirmed_in_time = create("order-expire-2", 5000);
  move_clock_on(ready_ttl - milliseconds(1000));
  EXPECT_EQ(status_of(key), "READY");
  ASSERT_EQ(confirm(confirmed_in_time, "order-expire-2", 5000).status, 200);
  move_clock_on(milliseconds(1000));
  EXPECT_EQ(status_of(key), "EXPIRED");
  EXPECT_EQ(get("/v1/payments/orders/order-expire-1").body["status"], "EXPIRED");
  expect_error(confirm(key, "order-expire-1", 5000), 400, "NOT_FOUND_PAYMENT_SESSION");
  EXPECT_EQ(status_of(confirmed_in_time), "DONE");  // only READY payments expire
  EXPECT_EQ(control("/control/stats")["expired"], 1);
}

TEST_F(FakeGatewayTest, ASlowConfirmTakesTheDelay) {
  std::string key = create("order-slow-1", 5000, "slow");
  auto start = SteadyClock::now();
  Reply confirmed = confirm(key, "order-slow-1", 5000);
  EXPECT_GE(millis_since(start), slow_delay.count());
  ASSERT_EQ(confirmed.status, 200);
  EXPECT_EQ(confirmed.body["status"], "DONE");
}

TEST_F(FakeGatewayTest, SixtyFourSlowConfirmsDoNotQueue) {
  const int buyers = 64;
  std::vector<std::string> keys;
  for (int i = 0; i < buyers; ++i) keys.push_back(create("order-crowd-" + std::to_string(i), 1000 + i, "slow"));
  std::vector<int> statuses(buyers, 0);
  std::vector<std::thread> threads;
  auto start = SteadyClock::now();
  for (int i = 0; i < buyers; ++i)
    threads.emplace_back([&, i] { statuses[i] = confirm(keys[i], "order-crowd-" + std::to_string(i), 1000 + i).status; });
  for (auto& thread : threads) thread.join();
  // httplib's default pool (8 workers here) takes 8 delays; a backlog of 5
  // drops SYNs, retried after a second
  EXPECT_LT(millis_since(start), 3 * slow_delay.count());
  for (int status : statuses) EXPECT_EQ(status, 200);
  json stats = control("/control/stats");
  EXPECT_EQ(stats["done"], buyers);
  EXPECT_EQ(stats["confirm_calls"], buyers);
}

TEST_F(FakeGatewayTest, ATimedOutConfirmIsInProgressThenDone) {
  std::string key = create("order-timeout-1", 5000, "timeout");
  auto impatient = client(milliseconds(200));
  auto start = SteadyClock::now();
  auto res = impatient.Post("/v1/payments/confirm", merchant_headers(),
                            confirmation(key, "order-timeout-1", 5000).dump(), "application/json");
  EXPECT_FALSE(res);
  EXPECT_EQ(res.error(), httplib::Error::Read);
  EXPECT_LT(millis_since(start), hang.count());
  // during the hang
  EXPECT_EQ(status_of(key), "IN_PROGRESS");
  expect_error(confirm(key, "order-timeout-1", 5000), 400, "ALREADY_PROCESSED_PAYMENT");
  expect_error(cancel(key, {{"cancelReason", "too early"}}), 403, "NOT_CANCELABLE_PAYMENT");
  EXPECT_EQ(control("/control/stats")["in_progress"], 1);
  // after it
  EXPECT_TRUE(becomes(key, "DONE", hang + milliseconds(2000)));
  json payment = control("/control/payments/" + key);
  EXPECT_EQ(payment["chargeCount"], 1);
  EXPECT_EQ(payment["confirmCalls"], 2);
}

TEST_F(FakeGatewayTest, APatientClientGetsTheLateAnswer) {
  std::string key = create("order-timeout-2", 5000, "timeout");
  auto start = SteadyClock::now();
  Reply confirmed = confirm(key, "order-timeout-2", 5000);
  EXPECT_GE(millis_since(start), hang.count());
  ASSERT_EQ(confirmed.status, 200);
  EXPECT_EQ(confirmed.body["status"], "DONE");
}

TEST_F(FakeGatewayTest, ALostConfirmChargesButAnswersNothing) {
  std::string key = create("order-lose-1", 5000, "lose");
  auto cli = client();
  auto res = cli.Post("/v1/payments/confirm", merchant_headers(), confirmation(key, "order-lose-1", 5000).dump(),
                      "application/json");
  EXPECT_FALSE(res);
  EXPECT_EQ(res.error(), httplib::Error::Read);
  EXPECT_EQ(status_of(key), "DONE");
  json payment = control("/control/payments/" + key);
  EXPECT_EQ(payment["chargeCount"], 1);
  EXPECT_EQ(payment["confirmCalls"], 1);
  // a retry without a key learns only that it was processed
  expect_error(confirm(key, "order-lose-1", 5000), 400, "ALREADY_PROCESSED_PAYMENT");
  EXPECT_EQ(control("/control/payments/" + key)["chargeCount"], 1);
}

TEST_F(FakeGatewayTest, ALostAnswerIsNotOneByte) {
  std::string key = create("order-lose-2", 5000, "lose");
  RawExchange exchange =
      raw_exchange(raw_post("/v1/payments/confirm", confirmation(key, "order-lose-2", 5000).dump()));
  EXPECT_TRUE(exchange.closed);
  EXPECT_EQ(exchange.received, "");
  EXPECT_EQ(status_of(key), "DONE");
  // the same exchange with an answer, to show the socket helper reads one
  std::string other = create("order-lose-3", 5000);
  RawExchange answered = raw_exchange(raw_post("/v1/payments/confirm", confirmation(other, "order-lose-3", 5000).dump()));
  EXPECT_TRUE(answered.closed);
  EXPECT_EQ(answered.received.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << answered.received;
}

// --- Idempotency-Key

TEST_F(FakeGatewayTest, ARetryWithTheIdempotencyKeyGetsTheLostAnswer) {
  std::string key = create("order-lose-4", 5000, "lose");
  auto cli = client();
  auto res = cli.Post("/v1/payments/confirm", merchant_headers("retry-key-1"),
                      confirmation(key, "order-lose-4", 5000).dump(), "application/json");
  EXPECT_FALSE(res);
  Reply retried = confirm(key, "order-lose-4", 5000, "retry-key-1");
  ASSERT_EQ(retried.status, 200) << retried.body;
  EXPECT_EQ(retried.body["status"], "DONE");
  EXPECT_EQ(retried.body["paymentKey"], key);
  json payment = control("/control/payments/" + key);
  EXPECT_EQ(payment["confirmCalls"], 2);
  EXPECT_EQ(payment["chargeCount"], 1);
}

TEST_F(FakeGatewayTest, TheSameKeyAndBodyReplayTheStoredAnswer) {
  std::string key = create("order-idem-1", 5000);
  Reply first = confirm(key, "order-idem-1", 5000, "idem-1");
  ASSERT_EQ(first.status, 200);
  Reply again = confirm(key, "order-idem-1", 5000, "idem-1");
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body, first.body);
  // the same JSON written otherwise is the same request
  Reply reordered = post_text("/v1/payments/confirm",
                              R"({ "amount": 5000, "orderId": "order-idem-1", "paymentKey": ")" + key + R"(" })",
                              "idem-1");
  EXPECT_EQ(reordered.status, 200);
  EXPECT_EQ(control("/control/payments/" + key)["chargeCount"], 1);
  // an error is stored as well
  std::string declined = create("order-idem-2", 700, "decline");
  expect_error(confirm(declined, "order-idem-2", 700, "idem-2"), 403, "REJECT_CARD_PAYMENT");
  Reply declined_again = confirm(declined, "order-idem-2", 700, "idem-2");
  expect_error(declined_again, 403, "REJECT_CARD_PAYMENT");
}

TEST_F(FakeGatewayTest, TheSameKeyWithAnotherRequestIsRefused) {
  std::string key = create("order-idem-3", 5000);
  std::string other = create("order-idem-4", 6000);
  ASSERT_EQ(confirm(key, "order-idem-3", 5000, "idem-3").status, 200);
  expect_error(confirm(other, "order-idem-4", 6000, "idem-3"), 422, "IDEMPOTENCY_KEY_REUSED");
  expect_error(cancel(key, {{"cancelReason", "changed my mind"}}, "idem-3"), 422, "IDEMPOTENCY_KEY_REUSED");
  EXPECT_EQ(status_of(other), "READY");
  EXPECT_EQ(status_of(key), "DONE");
  expect_error(confirm(other, "order-idem-4", 6000, std::string(301, 'k')), 400, "INVALID_REQUEST");
}

TEST_F(FakeGatewayTest, TheSameKeyWhileTheFirstRequestHangsIsProcessing) {
  std::string key = create("order-idem-5", 5000, "timeout");
  Reply first;
  std::thread hanging([&] { first = confirm(key, "order-idem-5", 5000, "idem-5"); });
  EXPECT_TRUE(becomes(key, "IN_PROGRESS", milliseconds(2000)));
  expect_error(confirm(key, "order-idem-5", 5000, "idem-5"), 409, "IDEMPOTENT_REQUEST_PROCESSING");
  hanging.join();
  EXPECT_EQ(first.status, 200);
  Reply replayed = confirm(key, "order-idem-5", 5000, "idem-5");
  EXPECT_EQ(replayed.status, 200);
  EXPECT_EQ(replayed.body, first.body);
  EXPECT_EQ(control("/control/payments/" + key)["chargeCount"], 1);
}

// --- Cancelling

TEST_F(FakeGatewayTest, AFullCancelRefundsTheBalance) {
  std::string key = create("order-cancel-1", 5000);
  ASSERT_EQ(confirm(key, "order-cancel-1", 5000).status, 200);
  Reply canceled = cancel(key, {{"cancelReason", "the concert was called off"}});
  ASSERT_EQ(canceled.status, 200) << canceled.body;
  EXPECT_EQ(canceled.body["status"], "CANCELED");
  EXPECT_EQ(canceled.body["balanceAmount"], 0);
  ASSERT_EQ(canceled.body["cancels"].size(), 1u);
  const json& entry = canceled.body["cancels"][0];
  EXPECT_EQ(entry["cancelAmount"], 5000);
  EXPECT_EQ(entry["cancelReason"], "the concert was called off");
  EXPECT_TRUE(std::regex_match(entry["canceledAt"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
  expect_error(cancel(key, {{"cancelReason", "again"}}), 400, "ALREADY_CANCELED_PAYMENT");
  expect_error(confirm(key, "order-cancel-1", 5000), 400, "ALREADY_PROCESSED_PAYMENT");
  json stats = control("/control/stats");
  EXPECT_EQ(stats["canceled"], 1);
  EXPECT_EQ(stats["refunded_total"], 5000);
  EXPECT_EQ(stats["charged_total"], 5000);
}

TEST_F(FakeGatewayTest, PartialCancelsUntilTheBalanceIsGone) {
  std::string key = create("order-cancel-2", 1000);
  ASSERT_EQ(confirm(key, "order-cancel-2", 1000).status, 200);
  Reply part = cancel(key, {{"cancelReason", "one seat"}, {"cancelAmount", 300}});
  ASSERT_EQ(part.status, 200);
  EXPECT_EQ(part.body["status"], "DONE");
  EXPECT_EQ(part.body["balanceAmount"], 700);
  expect_error(cancel(key, {{"cancelReason", "too much"}, {"cancelAmount", 800}}), 400, "NOT_CANCELABLE_AMOUNT");
  Reply rest = cancel(key, {{"cancelReason", "the rest"}, {"cancelAmount", 700}});
  ASSERT_EQ(rest.status, 200);
  EXPECT_EQ(rest.body["status"], "CANCELED");
  EXPECT_EQ(rest.body["balanceAmount"], 0);
  EXPECT_EQ(rest.body["cancels"].size(), 2u);
  EXPECT_EQ(control("/control/stats")["refunded_total"], 1000);
}

TEST_F(FakeGatewayTest, OnlyADonePaymentCanBeCancelled) {
  std::string ready = create("order-cancel-3", 1000);
  std::string aborted = create("order-cancel-4", 1000, "decline");
  std::string expired = create("order-cancel-5", 1000);
  std::string done = create("order-cancel-6", 1000);
  confirm(aborted, "order-cancel-4", 1000);
  ASSERT_EQ(confirm(done, "order-cancel-6", 1000).status, 200);
  move_clock_on(ready_ttl);
  const json reason = {{"cancelReason", "no"}};
  expect_error(cancel(create("order-cancel-7", 1000), reason), 403, "NOT_CANCELABLE_PAYMENT");
  expect_error(cancel(aborted, reason), 403, "NOT_CANCELABLE_PAYMENT");
  expect_error(cancel(expired, reason), 403, "NOT_CANCELABLE_PAYMENT");
  expect_error(cancel(ready, reason), 403, "NOT_CANCELABLE_PAYMENT");  // expired by now too
  expect_error(cancel("tgen_nosuchpayment000000", reason), 404, "NOT_FOUND_PAYMENT");
  expect_error(cancel(done, json::object()), 400, "INVALID_REQUEST");
  expect_error(cancel(done, {{"cancelReason", ""}}), 400, "INVALID_REQUEST");
  expect_error(cancel(done, {{"cancelReason", "zero"}, {"cancelAmount", 0}}), 400, "INVALID_REQUEST");
  expect_error(cancel(done, {{"cancelReason", "float"}, {"cancelAmount", 1.5}}), 400, "INVALID_REQUEST");
  EXPECT_EQ(status_of(done), "DONE");
  EXPECT_EQ(control("/control/stats")["refunded_total"], 0);
}

TEST_F(FakeGatewayTest, ALostCancelRefundsButAnswersNothing) {
  std::string key = create("order-cancel-9", 3000, "approve", "lose");
  ASSERT_EQ(confirm(key, "order-cancel-9", 3000).status, 200);
  auto cli = client();
  auto res = cli.Post(("/v1/payments/" + key + "/cancel").c_str(), merchant_headers("cancel-key-1"),
                      R"({"cancelReason":"lost"})", "application/json");
  EXPECT_FALSE(res);
  EXPECT_EQ(res.error(), httplib::Error::Read);
  EXPECT_EQ(status_of(key), "CANCELED");
  Reply retried = cancel(key, {{"cancelReason", "lost"}}, "cancel-key-1");
  ASSERT_EQ(retried.status, 200);
  EXPECT_EQ(retried.body["status"], "CANCELED");
  expect_error(cancel(key, {{"cancelReason", "lost"}}), 400, "ALREADY_CANCELED_PAYMENT");
  EXPECT_EQ(control("/control/stats")["refunded_total"], 3000);
}

TEST_F(FakeGatewayTest, AHangingCancelRefundsAfterTheHang) {
  std::string key = create("order-cancel-10", 3000, "approve", "timeout");
  ASSERT_EQ(confirm(key, "order-cancel-10", 3000).status, 200);
  auto impatient = client(milliseconds(200));
  auto res = impatient.Post(("/v1/payments/" + key + "/cancel").c_str(), merchant_headers(),
                            R"({"cancelReason":"slow bank"})", "application/json");
  EXPECT_FALSE(res);
  EXPECT_EQ(status_of(key), "DONE");
  EXPECT_TRUE(becomes(key, "CANCELED", hang + milliseconds(2000)));
  EXPECT_EQ(get("/v1/payments/" + key).body["cancels"].size(), 1u);
}

// --- Control

TEST_F(FakeGatewayTest, StatsCountEveryPaymentAndWon) {
  std::string done = create("order-stats-1", 1000);
  std::string canceled = create("order-stats-2", 2000);
  std::string partly = create("order-stats-3", 4000);
  std::string aborted = create("order-stats-4", 8000, "decline");
  create("order-stats-5", 16000);
  for (auto [key, order, amount] : {std::tuple{done, "order-stats-1", 1000}, std::tuple{canceled, "order-stats-2", 2000},
                                    std::tuple{partly, "order-stats-3", 4000}, std::tuple{aborted, "order-stats-4", 8000}})
    confirm(key, order, amount);
  confirm(done, "order-stats-1", 1000);  // refused, but a call
  cancel(canceled, {{"cancelReason", "all"}});
  cancel(partly, {{"cancelReason", "some"}, {"cancelAmount", 1500}});
  json stats = control("/control/stats");
  EXPECT_EQ(stats["payments"], 5);
  EXPECT_EQ(stats["ready"], 1);
  EXPECT_EQ(stats["done"], 2);
  EXPECT_EQ(stats["canceled"], 1);
  EXPECT_EQ(stats["aborted"], 1);
  EXPECT_EQ(stats["expired"], 0);
  EXPECT_EQ(stats["confirm_calls"], 5);
  EXPECT_EQ(stats["charged_total"], 1000 + 2000 + 4000);
  EXPECT_EQ(stats["refunded_total"], 2000 + 1500);
}

}  // namespace
