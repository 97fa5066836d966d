#include "locks.hpp"

#include "guard.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/array.h"
#include "utils/builtins.h"
}

namespace boxoffice {

namespace {
LOCKTAG tag_for(LockSpace space, uint64_t key) {
  LOCKTAG tag;
  SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, static_cast<uint32>(key >> 32), static_cast<uint32>(key),
                       static_cast<uint16>(space));
  return tag;
}
}  // namespace

bool try_lock(LockSpace space, uint64_t key) {
  LOCKTAG tag = tag_for(space, key);
  LockAcquireResult result = pg_call([&] { return LockAcquire(&tag, ExclusiveLock, false, true); });
  return result != LOCKACQUIRE_NOT_AVAIL;
}

void lock(LockSpace space, uint64_t key) {
  LOCKTAG tag = tag_for(space, key);
  pg_call([&] { LockAcquire(&tag, ExclusiveLock, false, false); });
}

uint64_t customer_key(int64_t performance_id, uint32_t customer) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(performance_id)) << 32) | customer;
}

std::vector<int64_t> try_lock_seats(const std::vector<int64_t>& sorted_seat_ids) {
  std::vector<int64_t> busy;
  for (int64_t seat : sorted_seat_ids)
    if (!try_lock(LockSpace::seat, static_cast<uint64_t>(seat))) busy.push_back(seat);
  return busy;
}

void lock_seats(const std::vector<int64_t>& sorted_seat_ids) {
  for (int64_t seat : sorted_seat_ids) lock(LockSpace::seat, static_cast<uint64_t>(seat));
}

void unlock(LockSpace space, uint64_t key) {
  LOCKTAG tag = tag_for(space, key);
  pg_call([&] { LockRelease(&tag, ExclusiveLock, false); });
}

void unlock_seats(const std::vector<int64_t>& seat_ids) {
  for (int64_t seat : seat_ids) unlock(LockSpace::seat, static_cast<uint64_t>(seat));
}

std::vector<int64_t> seats_being_taken() {
  // A copy of the whole lock table, read under shared partition locks: one
  // pass, however many seats there are.
  LockData* data = pg_call([] { return GetLockStatusData(); });
  std::vector<int64_t> seats;
  for (int i = 0; i < data->nelements; i++) {
    const LockInstanceData& l = data->locks[i];
    if (l.locktag.locktag_type == LOCKTAG_ADVISORY && l.locktag.locktag_field1 == MyDatabaseId &&
        l.locktag.locktag_field4 == static_cast<uint16>(LockSpace::seat) && (l.holdMask & LOCKBIT_ON(ExclusiveLock)) &&
        l.pid != MyProcPid)
      seats.push_back(static_cast<int64_t>((static_cast<uint64_t>(l.locktag.locktag_field2) << 32) |
                                           l.locktag.locktag_field3));
  }
  return seats;
}

namespace {

Datum seats_being_taken_sql(FunctionCallInfo) {
  std::vector<int64_t> seats = seats_being_taken();
  const int64_t* data = seats.data();
  int n = static_cast<int>(seats.size());
  return pg_call([&] {
    Datum* elems = static_cast<Datum*>(palloc(sizeof(Datum) * (n > 0 ? n : 1)));
    for (int i = 0; i < n; i++) elems[i] = Int64GetDatum(data[i]);
    return PointerGetDatum(construct_array(elems, n, INT8OID, sizeof(int64), true, TYPALIGN_DOUBLE));
  });
}

Datum lock_account_sql(FunctionCallInfo fcinfo) {
  text* email = pg_call([&] { return PG_GETARG_TEXT_PP(0); });
  uint64_t key = pg_call([&] {
    return static_cast<uint64_t>(DatumGetUInt64(hash_any_extended(reinterpret_cast<const unsigned char*>(VARDATA_ANY(email)),
                                                                  static_cast<int>(VARSIZE_ANY_EXHDR(email)), 0)));
  });
  lock(LockSpace::account, key);
  fcinfo->isnull = true;
  return Datum(0);
}

}  // namespace

}  // namespace boxoffice

extern "C" {
PG_FUNCTION_INFO_V1(boxoffice_seats_being_taken);
Datum boxoffice_seats_being_taken(PG_FUNCTION_ARGS) {
  return boxoffice::call_sql_function(fcinfo, boxoffice::seats_being_taken_sql);
}
PG_FUNCTION_INFO_V1(boxoffice_lock_account);
Datum boxoffice_lock_account(PG_FUNCTION_ARGS) { return boxoffice::call_sql_function(fcinfo, boxoffice::lock_account_sql); }
}
