// The rules of a waiting-room turn, in one place (README: "The waiting room"):
// what an entry is at a moment (entry_state_at), when a line is due to move
// (queue_due), what a token looks like (queue_token, token_entry_id), and what
// its owner is told (ticket_of). waiting_room.sql calls them through the
// SQL functions _entry_state, _queue_due, _queue_token, _queue_entry_id and
// _queue_ticket; queue_status.cpp calls them directly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

extern "C" {
#include "postgres.h"
#include "fmgr.h"
#include "datatype/timestamp.h"
}

namespace boxoffice {

// An entry's state as stored (the enum boxoffice.queue_entry_state).
enum class EntryState { waiting, active, used, left, expired };
EntryState entry_state_of_label(const std::string& label);

// What an entry is at time t: an active stay that ran out is expired that
// instant; a waiting entry of a queue with nothing left to sell is sold_out.
std::string entry_state_at(EntryState state, std::optional<TimestampTz> active_until, bool sold_out, TimestampTz t);

// Whether a line last moved at advanced_at is due to move at t: at most
// every boxoffice.queue_pause.
bool queue_due(std::optional<TimestampTz> advanced_at, TimestampTz t);

// A token: q<entry id>.<the entry's secret in hex>.
std::string queue_token(int64_t entry_id, const std::string& secret);
// The entry id a token names, if it has a token's form (its secret is
// checked against the entry's).
std::optional<int64_t> token_entry_id(const std::string& token);

// Where an entry stands: the entry and what its ticket is computed from
// (the view boxoffice._queue_standings).
struct QueueStanding {
  int64_t entry_id = 0;
  int64_t performance_id = 0;
  int64_t user_id = 0;
  EntryState state = EntryState::waiting;
  bool prequeue = false;
  std::optional<int64_t> line;
  std::optional<TimestampTz> active_until;
  std::string token_secret;
  bool sold_out = false;
  int64_t numbered_through = 0, admitted_through = 0, last_numbered_entry = 0;
  int32_t admitted_last_minute = 0, max_active = 1;
  std::optional<int32_t> admissions_per_minute;
  double active_stay_seconds = 120;
  std::optional<TimestampTz> advanced_at;
  // when sales open: what a pre-queue entry waits for before it has a place
  // (the only standing that needs it)
  std::optional<TimestampTz> sales_opens_at;
};

// Reads a standing's columns by name from wherever PostgreSQL holds them (a
// row of _queue_standings, or the rows queue_status reads); get runs inside
// pg_call, so it may only call PostgreSQL.
struct StandingColumns {
  Datum (*get)(void* source, const char* column, bool* isnull);
  void* source;
};
QueueStanding standing_from(const StandingColumns& columns);

// The composite boxoffice.queue_ticket of an entry at time t, as the
// function being called returns it.
Datum queue_ticket_datum(FunctionCallInfo fcinfo, const QueueStanding& s, TimestampTz t);

}  // namespace boxoffice
