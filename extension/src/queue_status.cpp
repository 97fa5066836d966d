// queue_status(token, user_id): where a waiting-room entry stands. It is the
// busiest call of an on-sale (everyone waiting polls), so it reads its entry
// and its queue straight from their indexes (queue_standing.cpp), parsing and
// planning nothing, and computes the ticket in C++ (queue_ticket.cpp). Only
// when the line is due to move does it run SQL: _advance_queue, then the same
// reads again. It is declared without SET search_path (setting and
// resetting it cost a tenth of a poll): it names every table by schema, and
// runs its SQL under PinnedSearchPath, as a pinned function would.
#include <optional>
#include <string>

#include "arguments.hpp"
#include "errors.hpp"
#include "guard.hpp"
#include "identity.hpp"
#include "queue_standing.hpp"
#include "queue_ticket.hpp"
#include "spi.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/timestamp.h"
}

namespace boxoffice {
namespace {

Datum queue_status(FunctionCallInfo fcinfo) {
  std::optional<std::string> token = arg_text(fcinfo, 0);
  std::optional<int64_t> named_user = arg_int64(fcinfo, 1);
  std::optional<int64_t> user = acting_user(named_user);
  std::optional<int64_t> entry_id = token ? token_entry_id(*token) : std::nullopt;
  std::optional<QueueStanding> s = entry_id ? read_standing(*entry_id, false) : std::nullopt;
  if (!s || !user || s->user_id != *user || queue_token(s->entry_id, s->token_secret) != *token) {
    // the lookup's error, and its words, are _entry_of's (waiting_room.sql)
    PinnedSearchPath pin;
    SpiConnection spi;
    static Plan lookup("SELECT boxoffice._entry_of($1, $2)", {TEXTOID, INT8OID});
    lookup.run(Args().string(token ? &*token : nullptr).bigint(named_user));
    throw Error(ERRCODE_INTERNAL_ERROR, "queue entry found by SQL but not by queue_status");
  }
  TimestampTz now = GetCurrentTimestamp();
  if (s->state == EntryState::waiting && queue_due(s->advanced_at, now)) {
    {
      PinnedSearchPath pin;
      SpiConnection spi;
      move_line(spi, s->performance_id);
    }
    s = read_standing(*entry_id, true);  // with what the advance just wrote
    if (!s) throw Error(ERRCODE_INTERNAL_ERROR, "queue entry gone while its line moved");
    now = GetCurrentTimestamp();
  }
  return queue_ticket_datum(fcinfo, *s, now);
}

}  // namespace
}  // namespace boxoffice

extern "C" {
PG_FUNCTION_INFO_V1(boxoffice_queue_status);
Datum boxoffice_queue_status(PG_FUNCTION_ARGS) { return boxoffice::call_sql_function(fcinfo, boxoffice::queue_status); }
}
