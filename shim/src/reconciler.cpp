#include "reconciler.hpp"

#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

#include "card_settlement.hpp"

namespace shim {

Reconciler::Reconciler(Pool& pool, const GatewayClient& gateway, std::chrono::milliseconds interval, int settle_after_s)
    : pool_(pool), gateway_(gateway), interval_(interval), settle_after_s_(settle_after_s) {}

Reconciler::~Reconciler() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Reconciler::start() {
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
      lock.unlock();
      run_once();
      lock.lock();
    }
  });
}

namespace {

std::string utc_timestamp(std::chrono::system_clock::time_point t) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count() % 1000000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long>(micros));
  return text;
}

bool settled(const std::optional<QueryResult>& r) { return r && r->outcome == QueryResult::Outcome::ok && r->has_row; }

std::string status_of(const std::optional<QueryResult>& r) {
  nlohmann::json receipt = nlohmann::json::parse(r->value, nullptr, false);
  return receipt.is_object() ? receipt.value("status", "") : "";
}

}  // namespace

Reconciler::Counts Reconciler::run_once() {
  Counts n;
  auto started = std::chrono::system_clock::now();
  std::optional<QueryResult> due = pool_.execute(kPaymentsRole, "", "card_payments_to_settle",
                                                 {std::to_string(settle_after_s_), "100"});
  if (!settled(due)) return n;  // no database now: the next run asks again
  nlohmann::json payments = nlohmann::json::parse(due->value, nullptr, false);
  if (!payments.is_array()) return n;
  for (const nlohmann::json& p : payments) {
    n.checked++;
    std::string order_id = p.value("order_id", "");
    if (p.value("status", "") == "refund_pending") {
      GatewayAnswer answer = gateway_.cancel(p.value("payment_key", ""), order_id, "refund by boxoffice");
      if (!is_refunded(answer)) {
        n.errors++;
        continue;
      }
      if (settled(settle_refund(pool_, order_id))) n.refunded++;
      else n.errors++;
      continue;
    }
    GatewayVerdict verdict = verdict_of_lookup(gateway_.lookup(order_id));
    if (verdict.kind == GatewayVerdict::Kind::unknown) {
      n.still_pending++;
      continue;
    }
    std::optional<QueryResult> result = settle_payment(pool_, order_id, verdict);
    if (!settled(result)) {
      n.errors++;
      continue;
    }
    std::string status = status_of(result);
    if (status == "approved") n.approved++;
    else if (status == "failed") n.failed++;
    else if (status == "refund_pending") n.approved++;  // charged, sold out: its refund is the next run's
  }
  if (n.checked > 0)
    pool_.execute(kPaymentsRole, "", "record_reconciliation",
                  {utc_timestamp(started), std::to_string(n.checked), std::to_string(n.approved), std::to_string(n.failed),
                   std::to_string(n.refunded), std::to_string(n.still_pending), std::to_string(n.errors), std::nullopt});
  return n;
}

}  // namespace shim
