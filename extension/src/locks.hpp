// Transaction-scoped advisory locks in boxoffice's own key spaces. They live in
// shared memory only (no tuple is written), vanish at commit or abort, and show
// in pg_locks as locktype 'advisory' with objsubid = the key space below, so
// they never collide with an application's pg_advisory_xact_lock keys (whose
// objsubid is 1 or 2).
//
// Lock order, everywhere: the customer key first, then seats in ascending id.
// Holds only try-lock seats (they fail at once instead of queueing); owners
// (confirm, release, cancel) wait, in that order, so no cycle can form.
#pragma once

#include <cstdint>
#include <vector>

namespace boxoffice {

enum class LockSpace : uint16_t { seat = 1001, customer = 1002, account = 1003 };

// Takes the lock unless another transaction holds it; true when taken.
bool try_lock(LockSpace space, uint64_t key);
// Takes the lock, waiting for its holder to finish.
void lock(LockSpace space, uint64_t key);
// Gives back a lock this transaction took, before the transaction ends.
void unlock(LockSpace space, uint64_t key);

// The key that serialises one customer's seat count for one performance.
uint64_t customer_key(int64_t performance_id, uint32_t customer);

// Try-locks every seat (ids in ascending order); returns the seats that
// another transaction is taking right now.
std::vector<int64_t> try_lock_seats(const std::vector<int64_t>& sorted_seat_ids);
// Locks every seat (ids in ascending order), waiting as needed.
void lock_seats(const std::vector<int64_t>& sorted_seat_ids);

// Gives back seat locks this transaction took, before it ends (a refused
// try_hold leaves nothing behind, not even a lock).
void unlock_seats(const std::vector<int64_t>& seat_ids);

// The seats whose lock another transaction holds right now: seats being
// taken, whose claims are not committed yet (the seat map shows them held).
std::vector<int64_t> seats_being_taken();

}  // namespace boxoffice
