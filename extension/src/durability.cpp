// The per-transaction commit durability of boxoffice's writes.
#include "guard.hpp"
#include "settings.hpp"

extern "C" {
#include "access/xact.h"
#include "utils/guc.h"
}

namespace boxoffice::settings {

bool transaction_has_written() { return TransactionIdIsValid(GetTopTransactionIdIfAny()); }

void commit_durably(bool durable) {
  // Durable never weakens a stronger setting (remote_apply stays).
  if (durable && synchronous_commit > SYNCHRONOUS_COMMIT_LOCAL_FLUSH) return;
  // GUC_ACTION_LOCAL: like SET LOCAL, it lasts until the transaction ends;
  // the value at commit time decides whether the commit waits for the flush.
  pg_call([&] {
    (void)set_config_option("synchronous_commit", durable ? "on" : "off", PGC_USERSET, PGC_S_SESSION,
                            GUC_ACTION_LOCAL, true, 0, false);
  });
}

}  // namespace boxoffice::settings
