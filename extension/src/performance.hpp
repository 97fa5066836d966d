// A performance as the engine's writers see it: whether it is on sale right
// now, and its rules. Holds and confirmations check it the same way, so a
// sale stops at once for both when a performance is cancelled or deleted,
// its concert is withdrawn, or its sales window closes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "spi.hpp"

extern "C" {
#include "utils/timestamp.h"
}

namespace boxoffice {

enum class SaleState { on_sale, cancelled, not_open, closed };

struct Performance {
  SaleState state;
  int32_t max_seats_per_hold;
  int32_t max_seats_per_customer;
  TimestampTz hold_expires_at;  // of a hold taken now
  TimestampTz sales_opens_at;
  TimestampTz sales_closes_at;
  std::string concert_title;
  std::string venue_name;
  TimestampTz starts_at;
};

// The columns performance_from() reads, of a performance a buyer may see.
// Statements select them with `... FROM (PERFORMANCE_SELECT WHERE p.id = $n)`
// or join them; their names are not used by any other table the engine reads.
#define PERFORMANCE_SELECT                                                                            \
  "SELECT CASE WHEN p.status <> 'scheduled' THEN 'cancelled'"                                          \
  "            WHEN clock_timestamp() < p.sales_opens_at THEN 'not_open'"                              \
  "            WHEN clock_timestamp() >= p.sales_closes_at THEN 'closed'"                              \
  "            ELSE 'on_sale' END AS sale_state,"                                                      \
  "       p.max_seats_per_hold, p.max_seats_per_customer, clock_timestamp() + p.hold_lifetime AS hold_expires_at," \
  "       p.sales_opens_at, p.sales_closes_at, p.concert_title, v.name AS venue_name, p.starts_at"     \
  "  FROM boxoffice._visible_performances p JOIN boxoffice.venues v ON v.id = p.venue_id"

// The performance in a row with the columns of PERFORMANCE_SELECT, or nothing
// when they are NULL (an outer join found no visible performance).
std::optional<Performance> performance_from(const ResultRow& row);

// The performance if a buyer may see it.
std::optional<Performance> read_performance(std::optional<int64_t> performance_id);

// The performance, if a buyer may take seats of it now; otherwise raises
// performance_not_found or performance_not_on_sale.
Performance on_sale(std::optional<Performance> performance, std::optional<int64_t> performance_id);

}  // namespace boxoffice
