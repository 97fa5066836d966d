// The C entry points that older SQL declarations of boxoffice name. Between
// installing a new library and ALTER EXTENSION boxoffice UPDATE, a database
// still declares hold, try_hold, confirm, release and cancel as an older
// version did; their contract with the schema has changed since (0.2.0: guest
// keys, PIN hashes, derived claims; 0.3.0: liveness from reservations.live_until
// alone, identity from request claims; 0.4.0: the waiting room's gate and
// turns), so they refuse clearly and change
// nothing, rather than run code written for another schema. Reads and the
// sweep keep working.
#include "guard.hpp"

namespace boxoffice {
namespace {

Datum update_pending(FunctionCallInfo) {
  throw Error(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE, "boxoffice is updated but this database is not",
              "This database has the SQL declarations of an older boxoffice; the installed library is " BOXOFFICE_VERSION
              ". Nothing was changed.",
              "Run ALTER EXTENSION boxoffice UPDATE in this database.");
}

}  // namespace
}  // namespace boxoffice

// One refusing entry point per older symbol: version 0.1.0 named them
// boxoffice_hold etc., 0.2.0 boxoffice_hold_v2 etc., 0.3.0 boxoffice_hold_v3 etc.
#define BOXOFFICE_REFUSE(symbol)  \
  PG_FUNCTION_INFO_V1(symbol);    \
  Datum symbol(PG_FUNCTION_ARGS) { return boxoffice::call_sql_function(fcinfo, boxoffice::update_pending); }

extern "C" {
BOXOFFICE_REFUSE(boxoffice_hold)
BOXOFFICE_REFUSE(boxoffice_try_hold)
BOXOFFICE_REFUSE(boxoffice_confirm)
BOXOFFICE_REFUSE(boxoffice_release)
BOXOFFICE_REFUSE(boxoffice_cancel)
BOXOFFICE_REFUSE(boxoffice_hold_v2)
BOXOFFICE_REFUSE(boxoffice_try_hold_v2)
BOXOFFICE_REFUSE(boxoffice_confirm_v2)
BOXOFFICE_REFUSE(boxoffice_release_v2)
BOXOFFICE_REFUSE(boxoffice_cancel_v2)
BOXOFFICE_REFUSE(boxoffice_hold_v3)
BOXOFFICE_REFUSE(boxoffice_try_hold_v3)
BOXOFFICE_REFUSE(boxoffice_confirm_v3)
BOXOFFICE_REFUSE(boxoffice_release_v3)
BOXOFFICE_REFUSE(boxoffice_cancel_v3)
}
