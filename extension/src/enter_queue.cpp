// enter_queue(performance_id, user_id): enters a logged-in user into the
// waiting room of a performance; entering again returns the same entry and
// token. Everyone arriving at an on-sale calls it at once, so it is two
// prepared statements: one read of everything it checks (the performance as
// buyers see it, its queue, the user), and the INSERT; an entry already
// there is looked up by its unique key without SQL (queue_standing.cpp). The unique key (performance_id, user_id) makes a second entry
// impossible; the line moves (_advance_queue) only when that is due, and the
// ticket is computed in C++ from the entry read back without SQL.
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

// Everything entering checks, in one read. (Timestamps also as text, as
// the errors print them.)
constexpr const char* kArrival =
    "SELECT p.status::text AS status, p.sales_opens_at, p.sales_closes_at, p.sales_closes_at::text AS closes_text,"
    "       p.sales_opens_at::text AS opens_text, q.performance_id IS NOT NULL AS has_queue,"
    "       (p.sales_opens_at - q.prequeue_lead) AS prequeue_opens_at,"
    "       (p.sales_opens_at - q.prequeue_lead)::text AS prequeue_opens_text, q.opened_at, q.advanced_at,"
    "       EXISTS (SELECT FROM boxoffice.users u WHERE u.id = $2 AND u.deleted_at IS NULL) AS user_exists"
    "  FROM boxoffice._visible_performances p"
    "  LEFT JOIN boxoffice.queues q ON q.performance_id = p.id AND q.enabled"
    " WHERE p.id = $1";

Datum enter_queue(FunctionCallInfo fcinfo) {
  std::optional<int64_t> performance_id = arg_int64(fcinfo, 0);
  std::optional<int64_t> user = acting_user(arg_int64(fcinfo, 1));
  TimestampTz now = GetCurrentTimestamp();
  if (!user)
    throw Error(sqlstate::login_required, "login required", "The waiting room admits logged-in users only, one entry each.",
                "Log in, then enter the queue.");
  int64_t entry_id = 0;
  {
    SpiConnection spi;
    static Plan arrival(kArrival, {INT8OID, INT8OID});
    Result found = arrival.run(Args().bigint(performance_id).bigint(user), 1);
    if (found.empty()) {
      // the error, and its words, are _visible_performance's (reads.sql)
      static Plan visible("SELECT boxoffice._visible_performance($1)", {INT8OID});
      visible.run(Args().bigint(performance_id));
      throw Error(ERRCODE_INTERNAL_ERROR, "performance visible to SQL but not to enter_queue");
    }
    ResultRow p = found.first();
    if (p.string("status") != "scheduled" || now >= p.timestamptz("sales_closes_at"))
      throw Error(sqlstate::performance_not_on_sale, "performance is not on sale",
                  p.string("status") != "scheduled" ? "The performance has been cancelled."
                                                    : "Sales closed at " + p.string("closes_text") + ".");
    if (!p.boolean("has_queue"))
      throw Error(sqlstate::queue_not_enabled, "this performance has no waiting room",
                  "Performance " + std::to_string(*performance_id) + " sells without a queue.", "Hold seats directly.");
    if (now < p.timestamptz("prequeue_opens_at"))
      throw Error(sqlstate::queue_not_open, "the waiting room is not open yet",
                  "The pre-queue opens at " + p.string("prequeue_opens_text") + "; sales open at " + p.string("opens_text") +
                      ".",
                  "Come back when the pre-queue opens: everyone in it gets a fair draw.");
    std::optional<TimestampTz> opened_at = p.optional_timestamptz("opened_at");
    if (std::optional<int64_t> existing = entry_of_user(*performance_id, *user)) {
      // entering again takes no entry id: ids only grow with arrivals, so
      // they bound the place of one not yet given (queue_ticket.cpp)
      entry_id = *existing;
    } else {
      if (!p.boolean("user_exists"))
        throw Error(sqlstate::user_not_found, "user not found", "There is no user " + std::to_string(*user) + ".");
      if (!opened_at) {
        // shared with every other pre-queue arrival; the shuffle waits for us
        // (then read whether it opened meanwhile, after the lock: a statement of its own)
        static Plan gate("SELECT pg_advisory_xact_lock_shared(1005, $1::int)", {INT8OID});
        static Plan opened("SELECT q.opened_at FROM boxoffice.queues q WHERE q.performance_id = $1", {INT8OID});
        gate.run(Args().bigint(performance_id));
        opened_at = opened.run_on_latest(Args().bigint(performance_id), 1).first().optional_timestamptz("opened_at");
      }
      static Plan insert(
          "INSERT INTO boxoffice.queue_entries (performance_id, user_id, prequeue) VALUES ($1, $2, $3::boolean) "
          "ON CONFLICT DO NOTHING RETURNING id",
          {INT8OID, INT8OID, TEXTOID});
      std::string prequeue = opened_at ? "false" : "true";
      Result inserted = insert.run(Args().bigint(performance_id).bigint(user).string(&prequeue), 1);
      if (!inserted.empty()) {
        entry_id = inserted.first().bigint("id");
      } else {  // the same user, entering at the same moment, won
        std::optional<int64_t> winner = entry_of_user(*performance_id, *user);
        if (!winner) throw Error(ERRCODE_INTERNAL_ERROR, "queue entry neither inserted nor found");
        entry_id = *winner;
      }
    }
    // nothing moves in the pre-queue
    if ((opened_at || now >= p.timestamptz("sales_opens_at")) && queue_due(p.optional_timestamptz("advanced_at"), now)) {
      move_line(spi, *performance_id);
    }
  }
  std::optional<QueueStanding> s = read_standing(entry_id, true);
  if (!s) throw Error(ERRCODE_INTERNAL_ERROR, "queue entry gone as it was entered");
  return queue_ticket_datum(fcinfo, *s, GetCurrentTimestamp());
}

}  // namespace
}  // namespace boxoffice

extern "C" {
PG_FUNCTION_INFO_V1(boxoffice_enter_queue);
Datum boxoffice_enter_queue(PG_FUNCTION_ARGS) { return boxoffice::call_sql_function(fcinfo, boxoffice::enter_queue); }
}
