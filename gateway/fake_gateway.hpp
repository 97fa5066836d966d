// A fake card payment gateway with the shape of Toss Payments' v1 API, for
// testing how boxoffice charges, confirms and refunds cards when the gateway
// misbehaves. The buyer's payment window is POST /v1/payments: it creates a
// READY payment and chooses, per payment, what the merchant's confirm will do:
//   approve  DONE at once            decline  ABORTED, 403 REJECT_CARD_PAYMENT
//   slow     DONE after delay        timeout  IN_PROGRESS for the hang, then DONE
//   lose     DONE, but the connection is dropped before a byte of the answer
// and what a cancel will do (cancel_behaviour approve, lose or timeout).
// Confirm and cancel honour Idempotency-Key, so a retry after a lost answer
// gets the stored answer instead of a second charge. /control/* (no auth)
// counts confirm calls and charges, so a test can prove nothing was charged
// twice. All state is in memory, under one mutex, for the process' life.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace gateway {

enum class PaymentStatus { Ready, InProgress, Done, Canceled, Aborted, Expired };
// What a confirm (all five) or a cancel (Approve, Timeout, Lose) does.
enum class Behaviour { Approve, Decline, Slow, Timeout, Lose };

class FakeGateway {
 public:
  using Clock = std::chrono::system_clock;

  struct Options {
    std::string secret_key = "test_sk_boxoffice";
    std::chrono::milliseconds slow_delay{50};    // how long a "slow" confirm takes
    std::chrono::milliseconds hang{15000};       // how long a "timeout" confirm or cancel hangs
    std::chrono::milliseconds ready_ttl{600000}; // a READY payment not confirmed by then is EXPIRED
    int threads = 64;                            // worker threads: one per connection being served
    // Wall time of requestedAt, approvedAt and the expiry; a test can move it.
    std::function<Clock::time_point()> now = [] { return Clock::now(); };
  };

  explicit FakeGateway(Options options);

  // Registers the routes, the JSON error answers and a pool of
  // options.threads workers on the server.
  void install(httplib::Server& server);

  // Binds the server to host:port (0: any free port) and returns the port, or
  // -1. Deepens httplib 0.11.4's listen backlog of 5: a burst of connections
  // beyond it loses SYNs, which clients retry only after a second.
  static int bind(httplib::Server& server, const std::string& host, int port);

  // Wakes the slow and hanging requests and stops new ones from waiting, so
  // server.stop() does not wait out a hang; they finish as if the wait ended.
  void stop_waiting();

 private:
  // An answer before it is written: lost means the connection is dropped
  // instead (the work it reports is done all the same).
  struct Answer {
    int status = 200;
    nlohmann::json body;
    bool lost = false;
  };

  using Status = PaymentStatus;

  struct Cancel {
    std::int64_t amount = 0;
    std::string reason;
    Clock::time_point at;
  };

  struct Payment {
    std::string payment_key;
    std::string order_id;
    std::string method;
    std::int64_t total_amount = 0;
    std::int64_t balance_amount = 0;
    Status status = Status::Ready;
    Behaviour behaviour = Behaviour::Approve;
    Behaviour cancel_behaviour = Behaviour::Approve;
    Clock::time_point requested_at;
    std::optional<Clock::time_point> approved_at;
    std::vector<Cancel> cancels;
    int confirm_calls = 0;
    int charge_count = 0;  // times it became DONE: more than 1 is a double charge
  };

  // What was answered to an Idempotency-Key, and to which request.
  struct IdempotentAnswer {
    std::string request;  // method, path and canonical body
    bool finished = false;
    int status = 0;
    nlohmann::json body;
  };

  bool authorized(const httplib::Request& req) const;
  Answer idempotently(const httplib::Request& req, const std::function<Answer()>& work);

  Answer create_payment(const std::string& body);
  Answer confirm_payment(const std::string& body);
  Answer cancel_payment(const std::string& payment_key, const std::string& body);
  Answer payment_by_key(const std::string& payment_key);
  Answer payment_by_order(const std::string& order_id);
  Answer control_payment(const std::string& payment_key);
  Answer control_stats();
  void count_confirm_call(const std::string& body);

  // Under mutex_:
  Payment* find_payment(const std::string& payment_key);
  void expire_if_stale(Payment& payment);
  void charge(Payment& payment);
  void refund(Payment& payment, std::int64_t amount, const std::string& reason);
  std::optional<Answer> refuse_cancel(const Payment& payment, std::optional<std::int64_t> amount) const;
  nlohmann::json payment_json(const Payment& payment) const;
  std::string new_payment_key();

  void wait(std::chrono::milliseconds how_long);

  Options options_;
  std::string expected_credentials_;  // base64(secret_key + ":")

  std::mutex mutex_;
  std::map<std::string, Payment> payments_;         // by paymentKey
  std::map<std::string, std::string> order_index_;  // orderId -> paymentKey
  std::map<std::string, IdempotentAnswer> idempotency_keys_;
  std::mt19937_64 random_;

  // Apart from mutex_, so a waiting request never holds the state.
  std::mutex wait_mutex_;
  std::condition_variable wait_over_;
  bool waiting_stopped_ = false;
};

}  // namespace gateway
