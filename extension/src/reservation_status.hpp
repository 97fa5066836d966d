// A reservation's status as C++ sees it: the enum boxoffice.reservation_status.
// Whether a status holds seats is not decided here but by the database's one
// rule, reservations.live_until (schema.sql), which readers ask for.
#pragma once

#include <string>

namespace boxoffice {

enum class ReservationStatus { hold, confirmed, cancelled, released, expired };

// The enum label as PostgreSQL writes it, and back (an unknown label raises).
const char* status_name(ReservationStatus status);
ReservationStatus parse_status(const std::string& label);

}  // namespace boxoffice
