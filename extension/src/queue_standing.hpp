// Where a waiting-room entry stands, read without SQL (queue_standing.cpp):
// for the buyer calls that run on every arrival and every poll.
#pragma once

#include <cstdint>
#include <optional>

#include "queue_ticket.hpp"
#include "spi.hpp"

namespace boxoffice {

// Entry entry_id with its queue (the view _queue_standings), as of the
// statement's snapshot, or (latest) of now with this transaction's own
// writes; nullopt when there is no such entry.
std::optional<QueueStanding> read_standing(int64_t entry_id, bool latest);

// The id of user_id's entry for performance_id, as of now, through the
// unique key (performance_id, user_id); nullopt when there is none. (Read
// without a plan: a plan made while the table was empty may pick another
// index that starts with performance_id and walk the whole line.)
std::optional<int64_t> entry_of_user(int64_t performance_id, int64_t user_id);

// Moves the line of a performance's queue (_advance_queue, waiting_room.sql),
// for a caller that found it due (queue_due); read_standing(.., true) then
// sees what it wrote.
void move_line(const SpiConnection& spi, int64_t performance_id);

}  // namespace boxoffice
