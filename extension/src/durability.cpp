// The per-transaction commit durability of boxoffice's writes.
#include <string>

#include "guard.hpp"
#include "settings.hpp"

extern "C" {
#include "access/xact.h"
#include "storage/proc.h"
#include "utils/guc.h"
}

namespace boxoffice::settings {

bool transaction_has_written() { return TransactionIdIsValid(GetTopTransactionIdIfAny()); }

namespace {
// The transaction (local id) in which commit_durably(false) last weakened the
// commit, and the synchronous_commit it replaced.
LocalTransactionId weakened_in = InvalidLocalTransactionId;
std::string weakened_from;

void set_synchronous_commit(const char* value) {
  // GUC_ACTION_LOCAL: like SET LOCAL, it lasts until the transaction ends;
  // the value at commit time decides whether the commit waits for the flush.
  pg_call([&] {
    (void)set_config_option("synchronous_commit", value, PGC_USERSET, PGC_S_SESSION, GUC_ACTION_LOCAL, true, 0,
                            false);
  });
}
}  // namespace

void commit_durably(bool durable) {
  // Durable never weakens a stronger setting (remote_apply stays).
  if (durable && synchronous_commit > SYNCHRONOUS_COMMIT_LOCAL_FLUSH) return;
  if (!durable && weakened_in != MyProc->lxid) {
    weakened_from = pg_call([] { return GetConfigOption("synchronous_commit", false, false); });
    weakened_in = MyProc->lxid;
  }
  set_synchronous_commit(durable ? "on" : "off");
}

void undo_weakening() {
  if (weakened_in == MyProc->lxid) set_synchronous_commit(weakened_from.c_str());
}

}  // namespace boxoffice::settings
