// The loadable module: magic block, configuration parameters, and what must
// be set up when the library is loaded.
#include "claims.hpp"
#include "guest_lockout.hpp"
#include "settings.hpp"

extern "C" {
#include "postgres.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;
void _PG_init(void);
}

namespace boxoffice::settings {
int sweep_batch_size = 500;
int queue_pause_ms = 100;
bool durable_holds = true;
}

extern "C" void _PG_init(void) {
  DefineCustomIntVariable("boxoffice.sweep_batch_size", "Holds that sweep() expires per statement.",
                          "Each batch is one statement; all of one call commit together.",
                          &boxoffice::settings::sweep_batch_size, 500, 1, 100000, PGC_USERSET, 0, nullptr, nullptr,
                          nullptr);
  DefineCustomBoolVariable("boxoffice.durable_holds", "Whether holds wait for their WAL flush at commit.",
                           "Off: faster holds; a crash may forget the last moment of holds. "
                           "Confirmations and cancellations are always durable; releases never wait.",
                           &boxoffice::settings::durable_holds, true, PGC_USERSET, 0, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("boxoffice.queue_pause", "Least time between two advances of one waiting room's line.",
                          "Polls within it read the line as it is; freeing a slot advances it at once. 0: every call.",
                          &boxoffice::settings::queue_pause_ms, 100, 0, 60000, PGC_USERSET, GUC_UNIT_MS, nullptr, nullptr,
                          nullptr);
  MarkGUCPrefixReserved("boxoffice");
  if (process_shared_preload_libraries_in_progress) boxoffice::reserve_guest_lockout();
  boxoffice::reset_claim_writers_on_abort();
}
