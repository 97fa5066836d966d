// The boxoffice.booking result that hold, confirm, release and cancel return.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "spi.hpp"

extern "C" {
#include "fmgr.h"
#include "utils/timestamp.h"
}

namespace boxoffice {

// A seat as a booking lists it.
struct BookedSeat {
  int64_t id;
  std::string section;
  int32_t row_number;
  int32_t seat_number;
  std::string tier;
  int64_t price;
};

// A hold this transaction just wrote, from what hold() read on its way.
struct NewHold {
  int64_t reservation_id;
  int64_t performance_id;
  std::string concert_title;
  std::string venue_name;
  TimestampTz starts_at;
  int64_t total_amount;
  TimestampTz expires_at;
  std::string hold_token;
  std::vector<BookedSeat> seats;  // in booking order: section, row, number
};

// An existing reservation as a boxoffice.booking datum (the _bookings view),
// allocated in the caller's memory context.
Datum booking_result(FunctionCallInfo fcinfo, const SpiConnection& spi, int64_t reservation_id);

// The booking of a new hold, built without another statement: the same
// columns the _bookings view gives (a pgTAP test holds the two to it), plus
// the hold token, which only hold() ever returns.
Datum new_hold_result(FunctionCallInfo fcinfo, const SpiConnection& spi, const NewHold& hold);

}  // namespace boxoffice
