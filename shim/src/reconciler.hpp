// The reconciliation of card-like payments: every --reconcile-interval-ms,
// asks the database which payments the gateway has not settled yet
// (card_payments_to_settle: sent without an outcome for --reconcile-after-s,
// or waiting for a refund), asks the gateway about each (a look-up by order
// id, or the cancel of a refund, both idempotent), settles what it learns,
// and records the run (view last_reconciliations). A run that finds the
// gateway silent leaves the payment for the next run: nothing is guessed.
// Several processes may reconcile at once; settling twice changes nothing.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "gateway_client.hpp"
#include "pool.hpp"

namespace shim {

class Reconciler {
 public:
  struct Counts {
    int checked = 0, approved = 0, failed = 0, refunded = 0, still_pending = 0, errors = 0;
  };
  Reconciler(Pool& pool, const GatewayClient& gateway, std::chrono::milliseconds interval, int settle_after_s);
  ~Reconciler();  // stops and joins
  void start();
  // One run, now (the thread's body; tests call it directly).
  Counts run_once();

 private:
  Pool& pool_;
  const GatewayClient& gateway_;
  std::chrono::milliseconds interval_;
  int settle_after_s_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace shim
