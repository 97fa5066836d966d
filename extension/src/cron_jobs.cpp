// boxoffice's pg_cron jobs leave with it: an event trigger (ddl_command_start,
// extension/sql/operations.sql) unschedules them just before DROP EXTENSION
// boxoffice or DROP SCHEMA boxoffice runs, in the same transaction, so a drop
// that fails keeps them. Only C sees which objects a DROP names.
#include <string>

#include "guard.hpp"
#include "spi.hpp"

extern "C" {
#include "commands/event_trigger.h"
#include "nodes/parsenodes.h"
}

namespace boxoffice {
namespace {

bool drops_boxoffice(const DropStmt* drop) {
  if (drop->removeType != OBJECT_EXTENSION && drop->removeType != OBJECT_SCHEMA) return false;
  ListCell* cell;
  foreach (cell, drop->objects) {
    Node* name = static_cast<Node*>(lfirst(cell));
    if (IsA(name, String) && std::string(strVal(name)) == "boxoffice") return true;
  }
  return false;
}

Datum unschedule_before_drop(FunctionCallInfo fcinfo) {
  if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
    throw Error(ERRCODE_E_R_I_E_EVENT_TRIGGER_PROTOCOL_VIOLATED, "boxoffice event trigger function called outside an event trigger");
  const EventTriggerData* event = reinterpret_cast<EventTriggerData*>(fcinfo->context);
  if (event->parsetree == nullptr || !IsA(event->parsetree, DropStmt) ||
      !drops_boxoffice(reinterpret_cast<const DropStmt*>(event->parsetree)))
    return PointerGetDatum(nullptr);
  static Plan unschedule("SELECT boxoffice.unschedule_sweep()", {});
  SpiConnection spi;
  unschedule.run(Args());
  return PointerGetDatum(nullptr);
}

}  // namespace
}  // namespace boxoffice

extern "C" {
PG_FUNCTION_INFO_V1(boxoffice_unschedule_before_drop);
Datum boxoffice_unschedule_before_drop(PG_FUNCTION_ARGS) {
  return boxoffice::call_sql_function(fcinfo, boxoffice::unschedule_before_drop);
}
}
