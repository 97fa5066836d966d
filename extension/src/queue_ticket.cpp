#include "queue_ticket.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "arguments.hpp"
#include "errors.hpp"
#include "guard.hpp"
#include "settings.hpp"

extern "C" {
#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
}

namespace boxoffice {

EntryState entry_state_of_label(const std::string& label) {
  if (label == "waiting") return EntryState::waiting;
  if (label == "active") return EntryState::active;
  if (label == "used") return EntryState::used;
  if (label == "left") return EntryState::left;
  if (label == "expired") return EntryState::expired;
  throw Error(ERRCODE_INTERNAL_ERROR, "unknown queue entry state " + label);
}

std::string entry_state_at(EntryState state, std::optional<TimestampTz> active_until, bool sold_out, TimestampTz t) {
  switch (state) {
    case EntryState::active: return active_until && *active_until > t ? "active" : "expired";
    case EntryState::waiting: return sold_out ? "sold_out" : "waiting";
    case EntryState::used: return "used";
    case EntryState::left: return "left";
    case EntryState::expired: return "expired";
  }
  return "expired";
}

bool queue_due(std::optional<TimestampTz> advanced_at, TimestampTz t) {
  return !advanced_at || *advanced_at <= t - static_cast<TimestampTz>(settings::queue_pause_ms) * 1000;
}

std::string queue_token(int64_t entry_id, const std::string& secret) {
  static const char digits[] = "0123456789abcdef";
  std::string token = "q" + std::to_string(entry_id) + ".";
  for (unsigned char c : secret) {
    token += digits[c >> 4];
    token += digits[c & 15];
  }
  return token;
}

std::optional<int64_t> token_entry_id(const std::string& token) {
  size_t dot = token.find('.');
  if (token.size() < 3 || token[0] != 'q' || dot == std::string::npos || dot < 2 || dot > 19) return std::nullopt;
  int64_t id = 0;
  for (size_t i = 1; i < dot; i++) {
    if (token[i] < '0' || token[i] > '9') return std::nullopt;
    id = id * 10 + (token[i] - '0');
  }
  return id;
}

namespace {

// The columns of a ticket (the type boxoffice.queue_ticket), in order.
struct Ticket {
  std::string state;
  std::optional<int64_t> position;
  std::optional<int32_t> wait_seconds;
  std::optional<TimestampTz> active_until;
  std::optional<int32_t> poll_after_seconds;
};

Ticket ticket_of(const QueueStanding& s, TimestampTz t) {
  Ticket k;
  k.state = entry_state_at(s.state, s.active_until, s.sold_out, t);
  bool waiting = k.state == "waiting";
  if (waiting && s.line) {
    k.position = std::max<int64_t>(1, *s.line - s.admitted_through);
  } else if (waiting && !s.prequeue) {
    // entered, place not given yet (for at most a pause): behind everyone
    // numbered and, at most, everyone who entered since (ids grow)
    k.position = std::max<int64_t>(0, s.numbered_through - s.admitted_through) +
                 std::max<int64_t>(1, s.entry_id - s.last_numbered_entry);
  }
  // admissions per second: those of the last minute, or before any the slots' turnover
  double rate = s.admitted_last_minute > 0 ? s.admitted_last_minute / 60.0 : s.max_active / s.active_stay_seconds;
  if (s.admissions_per_minute) rate = std::min(rate, *s.admissions_per_minute / 60.0);
  if (waiting) {
    double wait = k.position ? std::ceil((*k.position - 1) / rate)
                             : std::max(0.0, std::ceil((s.sales_opens_at.value_or(t) - t) / static_cast<double>(USECS_PER_SEC)));
    k.wait_seconds = static_cast<int32_t>(std::min(wait, 2e9));
    int32_t after = k.position ? *k.wait_seconds / 5 : *k.wait_seconds;
    k.poll_after_seconds = std::max(1, std::min(30, after));
  } else if (k.state == "sold_out") {
    k.poll_after_seconds = 30;
  }
  if (k.state == "active") k.active_until = s.active_until;
  return k;
}

}  // namespace

Datum queue_ticket_datum(FunctionCallInfo fcinfo, const QueueStanding& s, TimestampTz t) {
  Ticket k = ticket_of(s, t);
  std::string token = queue_token(s.entry_id, s.token_secret);
  return pg_call([&] {
    TupleDesc desc;
    if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE || desc->natts != 7)
      elog(ERROR, "boxoffice function declared with the wrong result type");
    Datum values[7];
    bool nulls[7] = {false, false, false, !k.position, !k.wait_seconds, !k.active_until, !k.poll_after_seconds};
    values[0] = PointerGetDatum(cstring_to_text_with_len(token.data(), static_cast<int>(token.size())));
    values[1] = Int64GetDatum(s.performance_id);
    values[2] = PointerGetDatum(cstring_to_text(k.state.c_str()));
    values[3] = Int64GetDatum(k.position.value_or(0));
    values[4] = Int32GetDatum(k.wait_seconds.value_or(0));
    values[5] = TimestampTzGetDatum(k.active_until.value_or(0));
    values[6] = Int32GetDatum(k.poll_after_seconds.value_or(0));
    return HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls));
  });
}

namespace {

// What QueueStanding is made of, read inside pg_call (plain values only).
struct RawStanding {
  int64 entry_id, performance_id, user_id, line, numbered_through, admitted_through, last_numbered_entry;
  char state[16];
  bool prequeue, line_null, until_null, sold_out, apm_null, advanced_null, opens_null;
  TimestampTz active_until, advanced_at, sales_opens_at;
  int32 admitted_last_minute, max_active, admissions_per_minute;
  double active_stay_seconds;
  char secret[64];
  int secret_len;
};

}  // namespace

QueueStanding standing_from(const StandingColumns& c) {
  RawStanding r;
  memset(&r, 0, sizeof r);
  pg_call([&] {
    bool isnull;
    auto get = [&](const char* column) { return c.get(c.source, column, &isnull); };
    auto required = [&](const char* column) {
      Datum d = get(column);
      if (isnull) elog(ERROR, "queue standing without %s", column);
      return d;
    };
    r.entry_id = DatumGetInt64(required("entry_id"));
    r.performance_id = DatumGetInt64(required("performance_id"));
    r.user_id = DatumGetInt64(required("user_id"));
    strlcpy(r.state, DatumGetCString(DirectFunctionCall1(enum_out, required("state"))), sizeof r.state);
    r.prequeue = DatumGetBool(required("prequeue"));
    Datum line = get("line");
    r.line_null = isnull;
    r.line = isnull ? 0 : DatumGetInt64(line);
    Datum until = get("active_until");
    r.until_null = isnull;
    r.active_until = isnull ? 0 : DatumGetTimestampTz(until);
    bytea* secret = DatumGetByteaPP(required("token_secret"));
    r.secret_len = VARSIZE_ANY_EXHDR(secret);
    if (r.secret_len > static_cast<int>(sizeof r.secret)) elog(ERROR, "queue token secret too long");
    memcpy(r.secret, VARDATA_ANY(secret), r.secret_len);
    r.sold_out = DatumGetBool(required("sold_out"));
    r.numbered_through = DatumGetInt64(required("numbered_through"));
    r.admitted_through = DatumGetInt64(required("admitted_through"));
    r.last_numbered_entry = DatumGetInt64(required("last_numbered_entry"));
    r.admitted_last_minute = DatumGetInt32(required("admitted_last_minute"));
    r.max_active = DatumGetInt32(required("max_active"));
    Datum apm = get("admissions_per_minute");
    r.apm_null = isnull;
    r.admissions_per_minute = isnull ? 0 : DatumGetInt32(apm);
    Interval* stay = DatumGetIntervalP(required("active_stay"));
    r.active_stay_seconds = stay->time / static_cast<double>(USECS_PER_SEC) + stay->day * 86400.0 + stay->month * 30.0 * 86400.0;
    Datum advanced = get("advanced_at");
    r.advanced_null = isnull;
    r.advanced_at = isnull ? 0 : DatumGetTimestampTz(advanced);
    Datum opens = get("sales_opens_at");
    r.opens_null = isnull;
    r.sales_opens_at = isnull ? 0 : DatumGetTimestampTz(opens);
  });
  QueueStanding s;
  s.entry_id = r.entry_id;
  s.performance_id = r.performance_id;
  s.user_id = r.user_id;
  s.state = entry_state_of_label(r.state);
  s.prequeue = r.prequeue;
  if (!r.line_null) s.line = r.line;
  if (!r.until_null) s.active_until = r.active_until;
  s.token_secret.assign(r.secret, r.secret_len);
  s.sold_out = r.sold_out;
  s.numbered_through = r.numbered_through;
  s.admitted_through = r.admitted_through;
  s.last_numbered_entry = r.last_numbered_entry;
  s.admitted_last_minute = r.admitted_last_minute;
  s.max_active = r.max_active;
  if (!r.apm_null) s.admissions_per_minute = r.admissions_per_minute;
  s.active_stay_seconds = r.active_stay_seconds > 0 ? r.active_stay_seconds : 120;
  if (!r.advanced_null) s.advanced_at = r.advanced_at;
  if (!r.opens_null) s.sales_opens_at = r.sales_opens_at;
  return s;
}

namespace {

// The SQL functions of the rules, for waiting_room.sql.

Datum entry_state_sql(FunctionCallInfo fcinfo) {
  if (PG_ARGISNULL(0)) PG_RETURN_NULL();
  std::string label = pg_call([&] { return DatumGetCString(DirectFunctionCall1(enum_out, PG_GETARG_DATUM(0))); });
  std::optional<TimestampTz> until;
  if (!PG_ARGISNULL(1)) until = PG_GETARG_TIMESTAMPTZ(1);
  bool sold_out = !PG_ARGISNULL(2) && PG_GETARG_BOOL(2);
  std::string state = entry_state_at(entry_state_of_label(label), until, sold_out, PG_GETARG_TIMESTAMPTZ(3));
  return pg_call([&] { return PointerGetDatum(cstring_to_text(state.c_str())); });
}

Datum queue_due_sql(FunctionCallInfo fcinfo) {
  std::optional<TimestampTz> advanced_at;
  if (!PG_ARGISNULL(0)) advanced_at = PG_GETARG_TIMESTAMPTZ(0);
  PG_RETURN_BOOL(queue_due(advanced_at, PG_GETARG_TIMESTAMPTZ(1)));
}

Datum queue_token_sql(FunctionCallInfo fcinfo) {
  bytea* b = pg_call([&] { return PG_GETARG_BYTEA_PP(1); });
  std::string secret(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
  std::string token = queue_token(PG_GETARG_INT64(0), secret);
  return pg_call([&] { return PointerGetDatum(cstring_to_text_with_len(token.data(), static_cast<int>(token.size()))); });
}

Datum queue_entry_id_sql(FunctionCallInfo fcinfo) {
  std::optional<int64_t> id = token_entry_id(*arg_text(fcinfo, 0));
  if (!id) PG_RETURN_NULL();
  PG_RETURN_INT64(*id);
}

// A column of a composite value (a row of _queue_standings).
Datum column_of_row(void* row, const char* column, bool* isnull) {
  return GetAttributeByName(static_cast<HeapTupleHeader>(row), column, isnull);
}

Datum queue_ticket_sql(FunctionCallInfo fcinfo) {
  HeapTupleHeader row = pg_call([&] { return PG_GETARG_HEAPTUPLEHEADER(0); });
  QueueStanding s = standing_from({column_of_row, row});
  return queue_ticket_datum(fcinfo, s, PG_GETARG_TIMESTAMPTZ(1));
}

}  // namespace
}  // namespace boxoffice

extern "C" {
PG_FUNCTION_INFO_V1(boxoffice_entry_state);
PG_FUNCTION_INFO_V1(boxoffice_queue_due);
PG_FUNCTION_INFO_V1(boxoffice_queue_token);
PG_FUNCTION_INFO_V1(boxoffice_queue_entry_id);
PG_FUNCTION_INFO_V1(boxoffice_queue_ticket);
Datum boxoffice_entry_state(PG_FUNCTION_ARGS) { return boxoffice::call_sql_function(fcinfo, boxoffice::entry_state_sql); }
Datum boxoffice_queue_due(PG_FUNCTION_ARGS) { return boxoffice::call_sql_function(fcinfo, boxoffice::queue_due_sql); }
Datum boxoffice_queue_token(PG_FUNCTION_ARGS) { return boxoffice::call_sql_function(fcinfo, boxoffice::queue_token_sql); }
Datum boxoffice_queue_entry_id(PG_FUNCTION_ARGS) { return boxoffice::call_sql_function(fcinfo, boxoffice::queue_entry_id_sql); }
Datum boxoffice_queue_ticket(PG_FUNCTION_ARGS) { return boxoffice::call_sql_function(fcinfo, boxoffice::queue_ticket_sql); }
}
