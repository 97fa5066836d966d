// The card payment gateway, as boxoffice-http calls it: Toss Payments' v1
// API (confirm, look up by order id, cancel), over plain HTTP with Basic
// authentication by the secret key. Every call that moves money carries an
// Idempotency-Key derived from the order, so a retry (the buyer's, the
// reconciliation's, after a crash) is answered, never charged twice.
// Calls run outside any database transaction and hold no connection.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

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
  GatewayClient(std::string base_url, const std::string& secret_key, int timeout_ms);

  GatewayAnswer confirm(const std::string& payment_key, const std::string& order_id, int64_t amount) const;
  GatewayAnswer lookup(const std::string& order_id) const;
  GatewayAnswer cancel(const std::string& payment_key, const std::string& order_id, const std::string& reason) const;

 private:
  GatewayAnswer post(const std::string& path, const nlohmann::json& body, const std::string& idempotency_key) const;
  std::string host_;
  int port_ = 80;
  std::string authorization_;
  int timeout_ms_;
};

// A confirm's answer: DONE is approved; a refusal (4xx with a code) is
// declined; anything else (no answer, 5xx, a state not final) is unknown.
GatewayVerdict verdict_of_confirm(const GatewayAnswer& answer);
// A look-up's answer: DONE (and a payment cancelled after it was charged) is
// approved, ABORTED and EXPIRED are declined; READY, IN_PROGRESS, no such
// order and no answer are unknown (asked again next time).
GatewayVerdict verdict_of_lookup(const GatewayAnswer& answer);
// A cancel's answer: true when the payment is refunded (now or before).
bool is_refunded(const GatewayAnswer& answer);

}  // namespace shim
