#include "performance.hpp"

#include "errors.hpp"
#include "guard.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/builtins.h"
}

namespace boxoffice {

std::optional<Performance> performance_at(const Row& row, int col) {
  if (row.is_null(col)) return std::nullopt;
  return Performance{row.string(col),          row.integer(col + 1),     row.integer(col + 2),
                     row.timestamptz(col + 3), row.timestamptz(col + 4), row.timestamptz(col + 5),
                     row.string(col + 6),      row.string(col + 7),      row.timestamptz(col + 8)};
}

std::optional<Performance> read_performance(std::optional<int64_t> performance_id) {
  static Plan plan(PERFORMANCE_SELECT " WHERE p.id = $1", {INT8OID});
  // on the latest state: a confirmation under REPEATABLE READ must see a cancellation made after its snapshot
  if (!performance_id || plan.run_on_latest(Args().bigint(performance_id), 1) == 0) return std::nullopt;
  return performance_at(Row(0), 1);
}

namespace {
std::string timestamp_text(TimestampTz t) {
  return pg_call([&] { return DatumGetCString(DirectFunctionCall1(timestamptz_out, TimestampTzGetDatum(t))); });
}
}  // namespace

Performance on_sale(std::optional<Performance> performance, std::optional<int64_t> performance_id) {
  if (!performance)
    throw Error(sqlstate::performance_not_found, "performance not found",
                "There is no performance " + (performance_id ? std::to_string(*performance_id) : std::string("null")) +
                    " on sale or announced.",
                "Look up what is on sale.");
  if (performance->state == "cancelled")
    throw Error(sqlstate::performance_not_on_sale, "performance is not on sale", "The performance has been cancelled.");
  if (performance->state == "not_open")
    throw Error(sqlstate::performance_not_on_sale, "performance is not on sale",
                "Sales open at " + timestamp_text(performance->sales_opens_at) + ".", "Come back when sales open.");
  if (performance->state == "closed")
    throw Error(sqlstate::performance_not_on_sale, "performance is not on sale",
                "Sales closed at " + timestamp_text(performance->sales_closes_at) + ".");
  return std::move(*performance);
}

}  // namespace boxoffice
