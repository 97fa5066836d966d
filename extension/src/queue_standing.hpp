// Where a waiting-room entry stands, read without SQL (queue_standing.cpp):
// for the buyer calls that run on every arrival and every poll.
#pragma once

#include <cstdint>
#include <optional>

#include "queue_ticket.hpp"

namespace boxoffice {

// Entry entry_id with its queue (the view _queue_standings), as of the
// statement's snapshot, or (latest) of now with this transaction's own
// writes; nullopt when there is no such entry.
std::optional<QueueStanding> read_standing(int64_t entry_id, bool latest);

}  // namespace boxoffice
