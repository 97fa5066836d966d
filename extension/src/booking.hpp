// The boxoffice.booking result that hold, confirm, release and cancel return.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "reservation_status.hpp"
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

// A reservation as a booking: what hold() just wrote, or what release() and
// cancel() just ended, built from the rows they read on their way.
struct Booking {
  int64_t reservation_id;
  std::optional<std::string> reservation_number;
  ReservationStatus status;
  int64_t performance_id;
  std::string concert_title;
  std::string venue_name;
  TimestampTz starts_at;
  std::vector<BookedSeat> seats;  // in booking order: section, row, number
  int64_t total_amount;
  std::optional<TimestampTz> expires_at;  // a hold's; none once sold
  std::optional<std::string> hold_token;  // only hold() ever returns it
  std::optional<std::string> buyer_name;
  TimestampTz created_at;
  std::optional<TimestampTz> confirmed_at;
  std::optional<TimestampTz> ended_at;
};

// An existing reservation as a boxoffice.booking datum (the _bookings view),
// allocated in the caller's memory context.
Datum booking_result(FunctionCallInfo fcinfo, const SpiConnection& spi, int64_t reservation_id);

// A booking built without another statement: the same columns the _bookings
// view gives (pgTAP tests hold the two to it).
Datum booking_result(FunctionCallInfo fcinfo, const SpiConnection& spi, const Booking& booking);

}  // namespace boxoffice
