// Guest look-ups rationed per phone number: a 4-digit PIN has 10,000 values,
// so after 5 wrong PINs a phone number is locked for 15 minutes, right PIN or
// not, and a right PIN does not wipe the wrong ones out. The count must outlive the failing look-up, whose error aborts its
// transaction, so it is kept in shared memory, not in a table: it needs
// boxoffice in shared_preload_libraries, and starts afresh when PostgreSQL
// restarts.
//
// The table is fixed: buckets of 8 slots, found by a hash of the phone number
// seeded at startup (so nobody can aim at a bucket). A full bucket gives up
// its stalest slot.
#include <algorithm>
#include <cstring>
#include <string>

#include "guard.hpp"
#include "guest_lockout.hpp"

extern "C" {
#include "common/hashfn.h"
#include "miscadmin.h"
#include "port.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
}

namespace boxoffice {

namespace {

constexpr int wrong_pins_allowed = 5;
constexpr TimestampTz lockout = 15 * 60 * USECS_PER_SEC;
constexpr int buckets = 4096, ways = 8;

struct Slot {
  uint64 key;                // 0: free
  int32 attempts;            // look-ups since window_start, less the right ones
  TimestampTz window_start;  // the first of them; they are forgotten after `lockout`
  TimestampTz locked_until;
};

struct State {
  LWLock* lock;
  uint64 seed;
  Slot slots[buckets * ways];
};

State* state = nullptr;
shmem_request_hook_type previous_request_hook = nullptr;
shmem_startup_hook_type previous_startup_hook = nullptr;
const char* const tranche = "boxoffice_guest_lockout";

void request_shmem() {
  if (previous_request_hook) previous_request_hook();
  RequestAddinShmemSpace(sizeof(State));
  RequestNamedLWLockTranche(tranche, 1);
}

void startup_shmem() {
  if (previous_startup_hook) previous_startup_hook();
  LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
  bool found;
  state = static_cast<State*>(ShmemInitStruct("boxoffice guest lockout", sizeof(State), &found));
  if (!found) {
    std::memset(state, 0, sizeof(State));
    state->lock = &(GetNamedLWLockTranche(tranche))->lock;
    if (!pg_strong_random(&state->seed, sizeof state->seed)) state->seed = static_cast<uint64>(GetCurrentTimestamp());
  }
  LWLockRelease(AddinShmemInitLock);
}

bool stale(const Slot& s, TimestampTz now) { return s.locked_until <= now && s.window_start + lockout <= now; }

TimestampTz freshness(const Slot& s) { return std::max(s.locked_until, s.window_start); }

// The slot of a key in its bucket, or (take) a free, stale or the stalest one.
Slot* slot_for(uint64 key, TimestampTz now, bool take) {
  Slot* bucket = &state->slots[(key % buckets) * ways];
  for (int i = 0; i < ways; i++)
    if (bucket[i].key == key) return &bucket[i];
  if (!take) return nullptr;
  Slot* spare = &bucket[0];
  for (int i = 0; i < ways; i++) {
    if (bucket[i].key == 0 || stale(bucket[i], now)) {
      spare = &bucket[i];
      break;
    }
    if (freshness(bucket[i]) < freshness(*spare)) spare = &bucket[i];
  }
  *spare = Slot{key, 0, now, 0};
  return spare;
}

// The phone number's key, in this database: never 0, which marks a free slot.
uint64 key_of(FunctionCallInfo fcinfo) {
  if (state == nullptr)
    throw Error(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE, "guest look-up needs boxoffice in shared_preload_libraries",
                "Wrong PINs are counted in shared memory, which boxoffice can only reserve when PostgreSQL starts.",
                "Add boxoffice to shared_preload_libraries and restart PostgreSQL.");
  text* phone = pg_call([&] { return PG_GETARG_TEXT_PP(0); });
  // one database's guests never lock another's
  uint64 key = DatumGetUInt64(hash_any_extended(reinterpret_cast<const unsigned char*>(VARDATA_ANY(phone)),
                                                static_cast<int>(VARSIZE_ANY_EXHDR(phone)), state->seed ^ MyDatabaseId));
  return key == 0 ? 1 : key;
}

// Runs fn(slot) under the lock. fn only reads and writes the slot.
template <typename Fn>
void with_slot(uint64 key, bool take, Fn fn) {
  TimestampTz now = GetCurrentTimestamp();
  pg_call([&] {
    LWLockAcquire(state->lock, take ? LW_EXCLUSIVE : LW_SHARED);
    Slot* s = slot_for(key, now, take);
    if (s != nullptr) fn(*s, now);
    LWLockRelease(state->lock);
  });
}

// _guest_lookup_attempt(phone): 0 when this look-up may go ahead, counted as
// a wrong PIN until it succeeds; else the seconds until the phone's look-ups
// open again. An attempt is counted before its PIN is checked, under the
// lock: look-ups started together cannot all slip in before any is counted.
Datum attempt_sql(FunctionCallInfo fcinfo) {
  uint64 key = key_of(fcinfo);
  int32 seconds = 0;
  with_slot(key, true, [&](Slot& s, TimestampTz now) {
    if (s.locked_until <= now) {
      if (s.window_start + lockout <= now) {
        s.attempts = 0;
        s.window_start = now;
      }
      if (s.attempts < wrong_pins_allowed) {
        s.attempts++;
        return;
      }
      s.locked_until = now + lockout;
      s.attempts = 0;
      s.window_start = now;
    }
    seconds = static_cast<int32>((s.locked_until - now + USECS_PER_SEC - 1) / USECS_PER_SEC);
  });
  return Int32GetDatum(seconds);
}

// _guest_lookup_succeeded(phone): the PIN was right, so this attempt was not
// a wrong one. Earlier wrong PINs still count: a right PIN (perhaps of a
// booking the guesser made for the phone himself) must not reset them.
Datum succeeded_sql(FunctionCallInfo fcinfo) {
  uint64 key = key_of(fcinfo);
  TimestampTz now = GetCurrentTimestamp();
  pg_call([&] {
    LWLockAcquire(state->lock, LW_EXCLUSIVE);
    Slot* s = slot_for(key, now, false);
    if (s != nullptr && s->attempts > 0) s->attempts--;
    LWLockRelease(state->lock);
  });
  fcinfo->isnull = true;
  return Datum(0);
}

}  // namespace

void reserve_guest_lockout() {
  previous_request_hook = shmem_request_hook;
  shmem_request_hook = request_shmem;
  previous_startup_hook = shmem_startup_hook;
  shmem_startup_hook = startup_shmem;
}

}  // namespace boxoffice

extern "C" {
PG_FUNCTION_INFO_V1(boxoffice_guest_lookup_attempt);
Datum boxoffice_guest_lookup_attempt(PG_FUNCTION_ARGS) { return boxoffice::call_sql_function(fcinfo, boxoffice::attempt_sql); }
PG_FUNCTION_INFO_V1(boxoffice_guest_lookup_succeeded);
Datum boxoffice_guest_lookup_succeeded(PG_FUNCTION_ARGS) {
  return boxoffice::call_sql_function(fcinfo, boxoffice::succeeded_sql);
}
}
