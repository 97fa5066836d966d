#include "locks.hpp"

#include "guard.hpp"

extern "C" {
#include "miscadmin.h"
#include "storage/lock.h"
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

}  // namespace boxoffice
