// sweep(max_holds): marks expired holds EXPIRED and deletes their claims, in
// batches of boxoffice.sweep_batch_size, skipping rows another transaction
// has locked (they are being confirmed, cancelled or swept right now).
// Correctness never depends on it: an expired hold is free the moment it
// expires. pg_cron runs it every minute to keep the tables tidy; it also
// forgets the hold tokens kept for retries of holds that have expired.
#include <algorithm>

#include "claims.hpp"
#include "guard.hpp"
#include "settings.hpp"
#include "spi.hpp"

extern "C" {
#include "catalog/pg_type.h"
}

namespace boxoffice {
namespace {

Datum sweep(FunctionCallInfo fcinfo) {
  int64_t max_holds = PG_ARGISNULL(0) ? 10000 : PG_GETARG_INT32(0);
  if (max_holds < 1) max_holds = 1;
  static Plan batch(
      "WITH due AS ("
      "  SELECT id, live_until FROM boxoffice.reservations"
      "   WHERE live_until <= clock_timestamp()"
      "   ORDER BY live_until LIMIT $1 FOR UPDATE SKIP LOCKED),"
      " expired AS ("
      "  UPDATE boxoffice.reservations r SET status = 'expired', ended_at = due.live_until"
      "    FROM due WHERE r.id = due.id RETURNING r.id),"
      " freed AS ("
      "  DELETE FROM boxoffice.seat_claims c USING expired e WHERE c.reservation_id = e.id RETURNING c.seat_id)"
      "SELECT (SELECT count(*) FROM expired) AS expired, (SELECT count(*) FROM freed) AS freed",
      {INT4OID});

  int64_t expired = 0, freed = 0, batches = 0;
  SpiConnection spi;
  while (expired < max_holds) {
    int32_t size = static_cast<int32_t>(std::min<int64_t>(settings::sweep_batch_size, max_holds - expired));
    ResultRow row = run_writing_claims(batch, Args().integer(size), 1).first();
    int64_t n = row.bigint("expired");
    expired += n;
    freed += row.bigint("freed");
    if (n > 0) batches++;
    if (n < size) break;
  }
  // The kept hold tokens of expired holds go too (idempotency.sql).
  static Plan forget("SELECT boxoffice._forget_hold_tokens()", {});
  forget.run(Args());

  Datum values[3] = {Int64GetDatum(expired), Int64GetDatum(freed), Int64GetDatum(batches)};
  bool nulls[3] = {false, false, false};
  return form_result_row(fcinfo, spi, values, nulls, 3);
}

}  // namespace
}  // namespace boxoffice

extern "C" {
PG_FUNCTION_INFO_V1(boxoffice_sweep);
Datum boxoffice_sweep(PG_FUNCTION_ARGS) { return boxoffice::call_sql_function(fcinfo, boxoffice::sweep); }
}
