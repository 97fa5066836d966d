// The C entry points that older SQL declarations of boxoffice name. Between
// installing a new library and ALTER EXTENSION boxoffice UPDATE, a database
// still declares hold, try_hold, confirm, release and cancel as version 0.1.0
// did; their contract with the schema has changed since (guest keys, PIN
// hashes, derived claims), so they refuse clearly and change nothing, rather
// than run code written for another schema. Reads and the sweep keep working.
#include "guard.hpp"

namespace boxoffice {
namespace {

Datum update_pending(FunctionCallInfo) {
  throw Error(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE, "boxoffice is updated but this database is not",
              "This database has the SQL declarations of boxoffice 0.1.0; the installed library is " BOXOFFICE_VERSION
              ". Nothing was changed.",
              "Run ALTER EXTENSION boxoffice UPDATE in this database.");
}

}  // namespace
}  // namespace boxoffice

extern "C" {
// version 0.1.0
PG_FUNCTION_INFO_V1(boxoffice_hold);
Datum boxoffice_hold(PG_FUNCTION_ARGS) { return boxoffice::call_sql_function(fcinfo, boxoffice::update_pending); }
PG_FUNCTION_INFO_V1(boxoffice_try_hold);
Datum boxoffice_try_hold(PG_FUNCTION_ARGS) { return boxoffice::call_sql_function(fcinfo, boxoffice::update_pending); }
PG_FUNCTION_INFO_V1(boxoffice_confirm);
Datum boxoffice_confirm(PG_FUNCTION_ARGS) { return boxoffice::call_sql_function(fcinfo, boxoffice::update_pending); }
PG_FUNCTION_INFO_V1(boxoffice_release);
Datum boxoffice_release(PG_FUNCTION_ARGS) { return boxoffice::call_sql_function(fcinfo, boxoffice::update_pending); }
PG_FUNCTION_INFO_V1(boxoffice_cancel);
Datum boxoffice_cancel(PG_FUNCTION_ARGS) { return boxoffice::call_sql_function(fcinfo, boxoffice::update_pending); }
}
