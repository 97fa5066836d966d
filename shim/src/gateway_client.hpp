// The card payment gateway, as boxoffice-http calls it: Toss Payments' v1
// API (confirm, look up by order id, cancel), over HTTPS (or plain HTTP to a
// local gateway) with Basic authentication by the secret key. Every call that moves money carries an
// Idempotency-Key derived from the order, so a retry (the buyer's, the
// reconciliation's, after a crash) is answered, never charged twice.
// Calls run outside any database transaction and hold no connection.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace httplib {
class Client;
}

namespace shim {

// What one call to the gateway came to.
struct GatewayAnswer {
  bool answered = false;  // false: no HTTP answer (refused, timed out, cut off): the outcome is unknown
  int status = 0;
  nlohmann::json body;    // the Payment object, or {"code", "message"}
  std::string error;      // when not answered: why, for the log
};

// The gateway's word on a payment, as the database settles it.
struct GatewayVerdict {
  enum class Kind { approved, declined, unknown } kind = Kind::unknown;
  int64_t amount = 0;        // approved: what the gateway charged (totalAmount)
  std::string payment_key;   // approved: the gateway's key
  std::string failure;       // declined: code and message, for the buyer and the DBA
};

class GatewayClient {
 public:
  // base_url: https://host[:port] (or http:// for a local gateway); ca_file: the
  // PEM authorities an https gateway is checked against (empty: the system's).
  GatewayClient(std::string base_url, const std::string& secret_key, int timeout_ms, std::string ca_file = {});

  GatewayAnswer confirm(const std::string& payment_key, const std::string& order_id, int64_t amount) const;
  GatewayAnswer lookup(const std::string& order_id) const;
  GatewayAnswer cancel(const std::string& payment_key, const std::string& order_id, const std::string& reason) const;

 private:
  GatewayAnswer post(const std::string& path, const nlohmann::json& body, const std::string& idempotency_key) const;
  std::unique_ptr<httplib::Client> connect() const;
  std::string base_;  // scheme://host[:port]
  std::string ca_file_;
  std::string authorization_;
  int timeout_ms_;
};

// A confirm's answer: DONE is approved; a refusal (4xx with a code) is
// declined; anything else (no answer, 5xx, a state not final) is unknown.
GatewayVerdict verdict_of_confirm(const GatewayAnswer& answer);
// A look-up's answer: DONE (and a payment cancelled after it was charged) is
// approved; ABORTED, EXPIRED and no such order (the gateway never took a
// payment for it) are declined; READY, IN_PROGRESS and no answer are unknown
// (asked again next time).
GatewayVerdict verdict_of_lookup(const GatewayAnswer& answer);
// A cancel's answer: true when the payment is refunded (now or before).
bool is_refunded(const GatewayAnswer& answer);

}  // namespace shim
