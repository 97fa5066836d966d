#include "gateway_client.hpp"

#include <memory>
#include <stdexcept>

#include <httplib.h>

namespace shim {

GatewayClient::GatewayClient(std::string base_url, const std::string& secret_key, int timeout_ms, std::string ca_file)
    : ca_file_(std::move(ca_file)), timeout_ms_(timeout_ms) {
  // scheme://host[:port][/]: settings.cpp has checked the scheme
  size_t host_at = base_url.find("://") + 3;
  size_t slash = base_url.find('/', host_at);
  base_ = slash == std::string::npos ? base_url : base_url.substr(0, slash);
  authorization_ = secret_key;
}

namespace {

GatewayAnswer answer_of(const httplib::Result& r) {
  GatewayAnswer a;
  if (!r) {
    a.error = httplib::to_string(r.error());
    return a;
  }
  a.answered = true;
  a.status = r->status;
  a.body = nlohmann::json::parse(r->body, nullptr, false);
  if (a.body.is_discarded()) a.body = nlohmann::json::object();
  return a;
}

std::string code_and_message(const nlohmann::json& body) {
  return body.value("code", std::string("UNKNOWN")) + ": " + body.value("message", std::string());
}

}  // namespace

// One connection's client: https checks the gateway's certificate (against
// --gateway-ca-file, or the system's authorities) and its name.
std::unique_ptr<httplib::Client> GatewayClient::connect() const {
  auto client = std::make_unique<httplib::Client>(base_);
  if (!ca_file_.empty()) client->set_ca_cert_path(ca_file_.c_str());
  client->enable_server_certificate_verification(true);
  client->set_basic_auth(authorization_.c_str(), "");
  client->set_connection_timeout(0, timeout_ms_ * 1000);
  client->set_read_timeout(timeout_ms_ / 1000, (timeout_ms_ % 1000) * 1000);
  client->set_write_timeout(timeout_ms_ / 1000, (timeout_ms_ % 1000) * 1000);
  return client;
}

GatewayAnswer GatewayClient::post(const std::string& path, const nlohmann::json& body,
                                  const std::string& idempotency_key) const {
  httplib::Headers headers{{"Idempotency-Key", idempotency_key}};
  return answer_of(connect()->Post(path.c_str(), headers, body.dump(), "application/json"));
}

GatewayAnswer GatewayClient::confirm(const std::string& payment_key, const std::string& order_id, int64_t amount) const {
  // one key per order: whoever confirms it again gets the first answer
  return post("/v1/payments/confirm", {{"paymentKey", payment_key}, {"orderId", order_id}, {"amount", amount}}, order_id);
}

GatewayAnswer GatewayClient::cancel(const std::string& payment_key, const std::string& order_id,
                                    const std::string& reason) const {
  return post("/v1/payments/" + payment_key + "/cancel", {{"cancelReason", reason}}, order_id + "-refund");
}

GatewayAnswer GatewayClient::lookup(const std::string& order_id) const {
  return answer_of(connect()->Get(("/v1/payments/orders/" + order_id).c_str()));
}

GatewayVerdict verdict_of_confirm(const GatewayAnswer& a) {
  GatewayVerdict v;
  if (!a.answered || a.status >= 500) return v;
  if (a.status == 200 && a.body.value("status", "") == "DONE") {
    v.kind = GatewayVerdict::Kind::approved;
    v.amount = a.body.value("totalAmount", int64_t{-1});
    v.payment_key = a.body.value("paymentKey", "");
    return v;
  }
  // Charged already (a confirm without our key got there first): the look-up says how.
  if (a.status >= 400 && a.body.value("code", "") == "ALREADY_PROCESSED_PAYMENT") return v;
  if (a.status >= 400 && a.status < 500 && a.status != 401 && a.status != 429) {
    v.kind = GatewayVerdict::Kind::declined;
    v.failure = code_and_message(a.body);
  }
  return v;  // 401 (our key is wrong), 429: unknown, settled later
}

GatewayVerdict verdict_of_lookup(const GatewayAnswer& a) {
  GatewayVerdict v;
  if (!a.answered) return v;
  if (a.status == 404 && a.body.value("code", "") == "NOT_FOUND_PAYMENT") {
    v.kind = GatewayVerdict::Kind::declined;  // the gateway never took a payment for this order
    v.failure = "NOT_FOUND_PAYMENT: the gateway has no payment for this order";
    return v;
  }
  if (a.status != 200) return v;
  std::string status = a.body.value("status", "");
  if (status == "DONE" || status == "CANCELED" || status == "PARTIAL_CANCELED") {
    // charged; a cancel we made ourselves is settle_card_refund's business
    v.kind = GatewayVerdict::Kind::approved;
    v.amount = a.body.value("totalAmount", int64_t{-1});
    v.payment_key = a.body.value("paymentKey", "");
  } else if (status == "ABORTED" || status == "EXPIRED") {
    v.kind = GatewayVerdict::Kind::declined;
    v.failure = status + ": the gateway did not charge the payment";
  }
  return v;
}

bool is_refunded(const GatewayAnswer& a) {
  if (!a.answered) return false;
  if (a.status == 200) return a.body.value("status", "") == "CANCELED";
  return a.status == 400 && a.body.value("code", "") == "ALREADY_CANCELED_PAYMENT";
}

}  // namespace shim
