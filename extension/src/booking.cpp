#include "booking.hpp"

#include <memory>

#include "errors.hpp"
#include "guard.hpp"

extern "C" {
#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
}

namespace boxoffice {

namespace {

// The columns of boxoffice.booking, in order.
enum Column {
  reservation_id = 0,
  reservation_number,
  status,
  performance_id,
  concert_title,
  venue_name,
  starts_at,
  seats,
  total_amount,
  expires_at,
  hold_token,
  buyer_name,
  created_at,
  confirmed_at,
  ended_at,
  column_count
};

// [{"seat_id": .., "section": .., "row": .., "number": .., "tier": .., "price": ..}, ...]
// as the view's jsonb_agg builds it. Runs inside pg_call: everything here may raise.
Jsonb* seats_jsonb(const std::vector<BookedSeat>& seats) {
  JsonbParseState* state = nullptr;
  auto key = [&](const char* name) {
    JsonbValue v;
    v.type = jbvString;
    v.val.string.val = const_cast<char*>(name);
    v.val.string.len = static_cast<int>(strlen(name));
    pushJsonbValue(&state, WJB_KEY, &v);
  };
  auto number = [&](int64_t n) {
    JsonbValue v;
    v.type = jbvNumeric;
    v.val.numeric = int64_to_numeric(n);
    pushJsonbValue(&state, WJB_VALUE, &v);
  };
  auto string = [&](const std::string& s) {
    JsonbValue v;
    v.type = jbvString;
    v.val.string.val = const_cast<char*>(s.data());
    v.val.string.len = static_cast<int>(s.size());
    pushJsonbValue(&state, WJB_VALUE, &v);
  };
  pushJsonbValue(&state, WJB_BEGIN_ARRAY, nullptr);
  for (const BookedSeat& seat : seats) {
    pushJsonbValue(&state, WJB_BEGIN_OBJECT, nullptr);
    key("seat_id");
    number(seat.id);
    key("section");
    string(seat.section);
    key("row");
    number(seat.row_number);
    key("number");
    number(seat.seat_number);
    key("tier");
    string(seat.tier);
    key("price");
    number(seat.price);
    pushJsonbValue(&state, WJB_END_OBJECT, nullptr);
  }
  return JsonbValueToJsonb(pushJsonbValue(&state, WJB_END_ARRAY, nullptr));
}

}  // namespace

Datum booking_result(FunctionCallInfo fcinfo, const SpiConnection& spi, int64_t id) {
  static Plan booking("SELECT * FROM boxoffice._bookings WHERE reservation_id = $1", {INT8OID});
  Result found = booking.run(Args().bigint(id), 1);
  if (found.size() != 1) throw Error(ERRCODE_INTERNAL_ERROR, "reservation vanished while building the result");
  HeapTuple source = found.first().tuple();
  TupleDesc source_desc = found.descriptor();
  int natts = source_desc->natts;
  std::vector<Datum> values(natts);
  std::unique_ptr<bool[]> nulls(new bool[natts]);
  pg_call([&] { heap_deform_tuple(source, source_desc, values.data(), nulls.get()); });
  return form_result_row(fcinfo, spi, values.data(), nulls.get(), natts);
}

Datum booking_result(FunctionCallInfo fcinfo, const SpiConnection& spi, const Booking& b) {
  Datum values[column_count];
  bool nulls[column_count];
  for (int i = 0; i < column_count; i++) nulls[i] = false;
  values[reservation_id] = Int64GetDatum(b.reservation_id);
  values[performance_id] = Int64GetDatum(b.performance_id);
  values[starts_at] = TimestampTzGetDatum(b.starts_at);
  values[total_amount] = Int64GetDatum(b.total_amount);
  values[created_at] = TimestampTzGetDatum(b.created_at);
  auto optional_time = [&](int column, const std::optional<TimestampTz>& t) {
    nulls[column] = !t;
    if (t) values[column] = TimestampTzGetDatum(*t);
  };
  optional_time(expires_at, b.expires_at);
  optional_time(confirmed_at, b.confirmed_at);
  optional_time(ended_at, b.ended_at);
  pg_call([&] {
    auto text = [](const std::string& s) {
      return PointerGetDatum(cstring_to_text_with_len(s.data(), static_cast<int>(s.size())));
    };
    auto optional_text = [&](int column, const std::optional<std::string>& s) {
      nulls[column] = !s;
      if (s) values[column] = text(*s);
    };
    values[status] = text(status_name(b.status));
    values[concert_title] = text(b.concert_title);
    values[venue_name] = text(b.venue_name);
    values[seats] = JsonbPGetDatum(seats_jsonb(b.seats));
    optional_text(reservation_number, b.reservation_number);
    optional_text(hold_token, b.hold_token);
    optional_text(buyer_name, b.buyer_name);
  });
  return form_result_row(fcinfo, spi, values, nulls, column_count);
}

}  // namespace boxoffice
