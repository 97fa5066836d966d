#include "reservation_status.hpp"

#include "guard.hpp"

namespace boxoffice {

namespace {
constexpr struct {
  ReservationStatus status;
  const char* label;
} labels[] = {{ReservationStatus::hold, "hold"},
              {ReservationStatus::confirmed, "confirmed"},
              {ReservationStatus::cancelled, "cancelled"},
              {ReservationStatus::released, "released"},
              {ReservationStatus::expired, "expired"}};
}  // namespace

const char* status_name(ReservationStatus status) {
  for (const auto& l : labels)
    if (l.status == status) return l.label;
  return "unknown";
}

ReservationStatus parse_status(const std::string& label) {
  for (const auto& l : labels)
    if (label == l.label) return l.status;
  throw Error(ERRCODE_INTERNAL_ERROR, "unknown reservation status " + label);
}

}  // namespace boxoffice
