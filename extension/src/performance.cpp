#include "performance.hpp"

#include "errors.hpp"
#include "guard.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/builtins.h"
}

namespace boxoffice {

namespace {

SaleState parse_sale_state(const std::string& s) {
  if (s == "on_sale") return SaleState::on_sale;
  if (s == "cancelled") return SaleState::cancelled;
  if (s == "not_open") return SaleState::not_open;
  if (s == "closed") return SaleState::closed;
  throw Error(ERRCODE_INTERNAL_ERROR, "unknown sale state " + s);
}

std::string timestamp_text(TimestampTz t) {
  return pg_call([&] { return DatumGetCString(DirectFunctionCall1(timestamptz_out, TimestampTzGetDatum(t))); });
}

}  // namespace

std::optional<Performance> performance_from(const ResultRow& row) {
  if (row.is_null("sale_state")) return std::nullopt;
  return Performance{parse_sale_state(row.string("sale_state")),
                     row.integer("max_seats_per_hold"),
                     row.integer("max_seats_per_customer"),
                     row.timestamptz("hold_expires_at"),
                     row.timestamptz("sales_opens_at"),
                     row.timestamptz("sales_closes_at"),
                     row.string("concert_title"),
                     row.string("venue_name"),
                     row.timestamptz("starts_at")};
}

std::optional<Performance> read_performance(std::optional<int64_t> performance_id) {
  static Plan plan(PERFORMANCE_SELECT " WHERE p.id = $1", {INT8OID});
  if (!performance_id) return std::nullopt;
  // on the latest state: a confirmation under REPEATABLE READ must see a cancellation made after its snapshot
  Result found = plan.run_on_latest(Args().bigint(performance_id), 1);
  if (found.empty()) return std::nullopt;
  return performance_from(found.first());
}

Performance on_sale(std::optional<Performance> performance, std::optional<int64_t> performance_id) {
  if (!performance)
    throw Error(sqlstate::performance_not_found, "performance not found",
                "There is no performance " + (performance_id ? std::to_string(*performance_id) : std::string("null")) +
                    " on sale or announced.",
                "Look up what is on sale.");
  switch (performance->state) {
    case SaleState::cancelled:
      throw Error(sqlstate::performance_not_on_sale, "performance is not on sale", "The performance has been cancelled.");
    case SaleState::not_open:
      throw Error(sqlstate::performance_not_on_sale, "performance is not on sale",
                  "Sales open at " + timestamp_text(performance->sales_opens_at) + ".", "Come back when sales open.");
    case SaleState::closed:
      throw Error(sqlstate::performance_not_on_sale, "performance is not on sale",
                  "Sales closed at " + timestamp_text(performance->sales_closes_at) + ".");
    case SaleState::on_sale: break;
  }
  return std::move(*performance);
}

}  // namespace boxoffice
