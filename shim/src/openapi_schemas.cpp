// Written as JSON text, close to what PostgreSQL sends. Every object lists all
// its keys as required (to_jsonb and jsonb_build_object always write every
// key, null or not) and allows no others, so a changed answer is a changed
// document. bigint and int columns are JSON integers; timestamptz is an
// RFC 3339 string (to_jsonb writes "2026-12-21T19:00:00+09:00").
#include "openapi_schemas.hpp"

namespace shim {

namespace {
using json = nlohmann::json;

const char* const kIntegerId = R"({"type": "integer", "format": "int64", "minimum": 1})";

// An object whose properties are all required and the only ones allowed.
json closed_object(const char* description, json properties) {
  json required = json::array();
  for (auto& [name, schema] : properties.items()) required.push_back(name);
  return {{"type", "object"},
          {"description", description},
          {"required", required},
          {"additionalProperties", false},
          {"properties", properties}};
}

// The answers of the admin routes that name the object they changed.
json id_answer(const char* description, const char* id, json more = json::object()) {
  json properties = {{id, json::parse(kIntegerId)}};
  properties.update(more);
  return closed_object(description, properties);
}

json constant(const char* value) { return {{"type", "string"}, {"enum", json::array({value})}}; }
json yes() { return {{"type", "boolean"}, {"enum", json::array({true})}}; }

// extension/sql/reads.sql, _performance_summaries.
const char* const kPerformanceSummary = R"({
  "performance_id": {"type": "integer", "format": "int64", "minimum": 1},
  "venue": {"type": "string"},
  "venue_address": {"type": "string"},
  "starts_at": {"type": "string", "format": "date-time"},
  "ends_at": {"type": "string", "format": "date-time"},
  "sales_opens_at": {"type": "string", "format": "date-time"},
  "sales_closes_at": {"type": "string", "format": "date-time"},
  "status": {"type": "string", "enum": ["scheduled", "cancelled"]},
  "on_sale": {"type": "boolean", "description": "scheduled, and now is inside the sales window"},
  "max_seats_per_hold": {"type": "integer", "minimum": 1},
  "max_seats_per_customer": {"type": "integer", "minimum": 1},
  "hold_lifetime_seconds": {"type": "integer", "minimum": 1},
  "total": {"type": "integer", "minimum": 0, "description": "seats"},
  "available": {"type": "integer", "minimum": 0},
  "held": {"type": "integer", "minimum": 0},
  "sold": {"type": "integer", "minimum": 0}
})";

}  // namespace

json openapi_schemas() {
  json s = json::object();

  // boxoffice.booking (extension/sql/schema.sql), as to_jsonb writes it.
  s["Booking"] = closed_object("A reservation with its seats: what hold, confirm, release, cancel and every read answer.",
                               json::parse(R"({
    "reservation_id": {"type": "integer", "format": "int64", "minimum": 1},
    "reservation_number": {"type": "string", "nullable": true, "pattern": "^BX-[0-9A-Z]{4}-[0-9A-Z]{4}$",
                           "description": "given at confirmation; null before"},
    "status": {"type": "string", "enum": ["hold", "confirmed", "cancelled", "released", "expired"],
               "description": "a hold past its expires_at reads as expired, swept or not"},
    "performance_id": {"type": "integer", "format": "int64", "minimum": 1},
    "concert_title": {"type": "string"},
    "venue_name": {"type": "string"},
    "starts_at": {"type": "string", "format": "date-time"},
    "seats": {"type": "array", "minItems": 1, "items": {"$ref": "#/components/schemas/BookedSeat"}},
    "total_amount": {"type": "integer", "format": "int64", "minimum": 0},
    "expires_at": {"type": "string", "format": "date-time", "nullable": true,
                   "description": "when the hold runs out; null once confirmed"},
    "hold_token": {"type": "string", "nullable": true, "pattern": "^[0-9a-f]{32}$",
                   "description": "only in the answer of the hold (null elsewhere): send it as X-Hold-Token to reach the reservation without a user token"},
    "buyer_name": {"type": "string", "nullable": true, "description": "given at confirmation"},
    "created_at": {"type": "string", "format": "date-time"},
    "confirmed_at": {"type": "string", "format": "date-time", "nullable": true},
    "ended_at": {"type": "string", "format": "date-time", "nullable": true,
                 "description": "when it was cancelled, released or expired"}
  })"));
  s["BookedSeat"] = closed_object("One seat of a booking, priced when the performance was created.", json::parse(R"({
    "seat_id": {"type": "integer", "format": "int64", "minimum": 1},
    "section": {"type": "string"},
    "row": {"type": "integer", "minimum": 1},
    "number": {"type": "integer", "minimum": 1},
    "tier": {"type": "string"},
    "price": {"type": "integer", "format": "int64", "minimum": 0}
  })"));

  // boxoffice.seat_map().
  s["Seat"] = closed_object("One seat of the seat map with its state at this instant.", json::parse(R"({
    "seat_id": {"type": "integer", "format": "int64", "minimum": 1},
    "section": {"type": "string"},
    "row_number": {"type": "integer", "minimum": 1},
    "seat_number": {"type": "integer", "minimum": 1},
    "tier": {"type": "string"},
    "price": {"type": "integer", "format": "int64", "minimum": 0},
    "status": {"type": "string", "enum": ["available", "held", "sold"]}
  })"));

  // boxoffice.seat_layout(): a seat of the map without its status.
  s["SeatPlace"] = closed_object("One seat of a performance's layout: what never changes.", json::parse(R"({
    "seat_id": {"type": "integer", "format": "int64", "minimum": 1},
    "section": {"type": "string"},
    "row_number": {"type": "integer", "minimum": 1},
    "seat_number": {"type": "integer", "minimum": 1},
    "tier": {"type": "string"},
    "price": {"type": "integer", "format": "int64", "minimum": 0}
  })"));
  // boxoffice.seat_statuses().
  s["SeatStatuses"] = closed_object("The seats held and sold at this instant; every other seat is available.",
                                    json::parse(R"({
    "held": {"type": "array", "items": {"type": "integer", "format": "int64"}, "description": "seat ids, ascending"},
    "sold": {"type": "array", "items": {"type": "integer", "format": "int64"}, "description": "seat ids, ascending"}
  })"));

  // boxoffice.concert_listing, with _performance_summaries.
  s["ConcertListing"] = closed_object("A published concert with its visible performances.", json::parse(R"({
    "concert_id": {"type": "integer", "format": "int64", "minimum": 1},
    "title": {"type": "string"},
    "artist": {"type": "string"},
    "description": {"type": "string"},
    "poster_url": {"type": "string", "nullable": true},
    "performances": {"type": "array", "items": {"$ref": "#/components/schemas/PerformanceSummary"},
                     "description": "by start time"}
  })"));
  s["PerformanceSummary"] =
      closed_object("A performance with its rules and seat counts at this instant.", json::parse(kPerformanceSummary));

  // boxoffice.performance(): the summary and its concert and tiers.
  json performance = json::parse(kPerformanceSummary);
  performance.update(json::parse(R"({
    "concert_id": {"type": "integer", "format": "int64", "minimum": 1},
    "concert_title": {"type": "string"},
    "artist": {"type": "string"},
    "tiers": {"type": "array", "items": {"$ref": "#/components/schemas/TierAvailability"},
              "description": "by price, highest first"}
  })"));
  s["Performance"] = closed_object("A performance with its concert, rules, seat counts and availability per tier.",
                                   performance);

  // boxoffice.availability().
  s["TierAvailability"] = closed_object("Seat counts of one price tier at this instant.", json::parse(R"({
    "tier": {"type": "string"},
    "price": {"type": "integer", "format": "int64", "minimum": 0},
    "total": {"type": "integer", "minimum": 0},
    "available": {"type": "integer", "minimum": 0},
    "held": {"type": "integer", "minimum": 0},
    "sold": {"type": "integer", "minimum": 0}
  })"));

  // boxoffice.account.
  s["Account"] = closed_object("An account as its owner sees it.", json::parse(R"({
    "user_id": {"type": "integer", "format": "int64", "minimum": 1},
    "email": {"type": "string"},
    "name": {"type": "string"},
    "role": {"type": "string", "enum": ["buyer", "admin"]},
    "created_at": {"type": "string", "format": "date-time"}
  })"));
  // server.cpp, Kind::login.
  s["AccessToken"] = closed_object("A signed access token (HS256 JWT) for the Authorization: Bearer header.",
                                   json::parse(R"({
    "access_token": {"type": "string", "description": "sub = user id, role, iss, aud, iat, nbf, exp"},
    "token_type": {"type": "string", "enum": ["Bearer"]},
    "expires_in": {"type": "integer", "minimum": 1, "description": "seconds"},
    "user_id": {"type": "integer", "format": "int64", "minimum": 1},
    "role": {"type": "string", "enum": ["buyer", "admin"]}
  })"));

  // boxoffice.wallet() (extension/sql/wallet.sql).
  s["Wallet"] = closed_object("Your points wallet.", json::parse(R"js({
    "balance": {"type": "integer", "format": "int64", "minimum": 0},
    "updated_at": {"type": "string", "format": "date-time", "nullable": true, "description": "the last movement; null before any"}
  })js"));
  // boxoffice.wallet_entry, as to_jsonb writes it.
  s["WalletEntry"] = closed_object("One movement of points: entries are never changed or removed.", json::parse(R"js({
    "entry_id": {"type": "integer", "format": "int64", "minimum": 1},
    "kind": {"type": "string", "enum": ["charge", "payment", "refund"]},
    "amount": {"type": "integer", "format": "int64", "description": "points in (charge, refund) or out (payment, negative)"},
    "balance_after": {"type": "integer", "format": "int64", "minimum": 0},
    "payment_id": {"type": "integer", "format": "int64", "minimum": 1, "nullable": true, "description": "null for a charge"},
    "reservation_id": {"type": "integer", "format": "int64", "minimum": 1, "nullable": true, "description": "what a payment or refund was for"},
    "created_at": {"type": "string", "format": "date-time"}
  })js"));
  // boxoffice.set_payment_terms() and payment_terms() (extension/sql/payments.sql).
  s["PaymentTerms"] = closed_object("How a performance sells: against payment or not, and its cancellation cut-off.", json::parse(R"js({
    "performance_id": {"type": "integer", "format": "int64", "minimum": 1},
    "payment_required": {"type": "boolean", "description": "confirming needs an approved payment"},
    "cancel_cutoff_seconds": {"type": "integer", "format": "int64", "minimum": 0},
    "cancellable_until": {"type": "string", "format": "date-time", "description": "after this a confirmed reservation stays sold"}
  })js"));
  // boxoffice.payment_receipt (extension/sql/payments.sql), as to_jsonb writes it.
  s["PaymentReceipt"] = closed_object("A payment and the reservation it is for.", json::parse(R"js({
    "payment_id": {"type": "integer", "format": "int64", "minimum": 1},
    "order_id": {"type": "string", "pattern": "^BO-[0-9a-f]{32}$", "description": "the order id a payment gateway knows it by"},
    "reservation_id": {"type": "integer", "format": "int64", "minimum": 1},
    "reservation_number": {"type": "string", "nullable": true, "pattern": "^BX-[0-9A-Z]{4}-[0-9A-Z]{4}$"},
    "reservation_status": {"type": "string", "enum": ["hold", "confirmed", "cancelled", "released", "expired"]},
    "method": {"type": "string", "enum": ["points", "card", "kakao_pay", "naver_pay", "toss"]},
    "amount": {"type": "integer", "format": "int64", "minimum": 0},
    "status": {"type": "string", "enum": ["pending", "approved", "failed", "refund_pending", "refunded"],
               "description": "pending: no outcome yet; refund_pending: approved, its refund is on the way"},
    "points_balance": {"type": "integer", "format": "int64", "minimum": 0, "nullable": true,
                       "description": "your wallet after it (points payments; at the time of the answer)"},
    "created_at": {"type": "string", "format": "date-time"},
    "approved_at": {"type": "string", "format": "date-time", "nullable": true},
    "refunded_at": {"type": "string", "format": "date-time", "nullable": true},
    "failure": {"type": "string", "nullable": true, "description": "why a failed payment failed"},
    "refund_reason": {"type": "string", "nullable": true,
                      "description": "why it is refunded: cancelled, or approved too late to sell (and why)"}
  })js"));

  // boxoffice.queue_ticket (extension/sql/waiting_room.sql), as to_jsonb writes it.
  s["QueueTicket"] = closed_object(
      "A waiting room entry as its owner sees it: what entering, polling and leaving answer.", json::parse(R"({
    "token": {"type": "string", "pattern": "^q[0-9]{1,18}[.][0-9a-f]{64}$",
              "description": "send it as X-Queue-Token to poll or leave; entering again returns the same one"},
    "performance_id": {"type": "integer", "format": "int64", "minimum": 1},
    "state": {"type": "string", "enum": ["waiting", "active", "used", "left", "expired", "sold_out"],
              "description": "active: hold seats now, until active_until; used: a sale used the turn"},
    "position": {"type": "integer", "format": "int64", "minimum": 0, "nullable": true,
                 "description": "1 = next in line; null unless waiting, and in the pre-queue until its draw"},
    "estimated_wait_seconds": {"type": "integer", "minimum": 0, "nullable": true, "description": "null unless waiting"},
    "active_until": {"type": "string", "format": "date-time", "nullable": true,
                     "description": "when the turn ends (a hold extends it to the hold's expiry); null unless active"},
    "poll_after_seconds": {"type": "integer", "minimum": 1, "nullable": true,
                           "description": "ask again no sooner than this (also sent as Retry-After); null when nothing more changes by waiting"}
  })"));
  // boxoffice.queue_info(): the settings (all but performance_id and enabled
  // only when the performance has a queue), its size and its draw.
  s["QueueInfo"] = {
      {"type", "object"},
      {"description", "A waiting room as anyone may see it; a performance without one answers performance_id, "
                      "enabled false and nulls."},
      {"required", {"performance_id", "enabled", "seed", "waiting", "active"}},
      {"additionalProperties", false},
      {"properties", json::parse(R"({
    "performance_id": {"type": "integer", "format": "int64", "minimum": 1},
    "enabled": {"type": "boolean"},
    "max_active": {"type": "integer", "minimum": 1},
    "admissions_per_minute": {"type": "integer", "minimum": 1, "nullable": true},
    "active_stay_seconds": {"type": "integer", "minimum": 1},
    "prequeue_lead_seconds": {"type": "integer", "minimum": 0},
    "prequeue_opens_at": {"type": "string", "format": "date-time"},
    "sales_opens_at": {"type": "string", "format": "date-time"},
    "seed_commitment": {"type": "string", "pattern": "^[0-9a-f]{64}$", "description": "sha256 of the seed, hex"},
    "opened_at": {"type": "string", "format": "date-time", "nullable": true, "description": "when the pre-queue was drawn"},
    "seed": {"type": "string", "pattern": "^[0-9a-f]{64}$", "nullable": true,
             "description": "the draw's seed, hex, once sales opened"},
    "waiting": {"type": "integer", "minimum": 0, "nullable": true},
    "active": {"type": "integer", "minimum": 0, "nullable": true}
  })")}};

  // problem.cpp, problem_json(): RFC 9457 application/problem+json.
  s["Problem"] = {
      {"type", "object"},
      {"description", "An error (RFC 9457). code is the SQLSTATE, or one of the shim's own codes."},
      {"required", {"type", "title", "status", "code", "message"}},
      {"additionalProperties", false},
      {"properties",
       json::parse(R"json({
    "type": {"type": "string", "enum": ["about:blank"]},
    "title": {"type": "string", "description": "the reason phrase of the status"},
    "status": {"type": "integer", "minimum": 400, "maximum": 599},
    "code": {"type": "string", "description": "SQLSTATE (TK001...) or a shim code (invalid_token...)"},
    "message": {"type": "string"},
    "detail": {"type": "string"},
    "hint": {"type": "string"},
    "error_id": {"type": "string", "pattern": "^[0-9a-f]{32}$", "description": "for 5xx: also in the server log"}
  })json")}};

  // The admin routes' answers (jsonb_build_object in routes.cpp).
  s["UserId"] = id_answer("The new account.", "user_id");
  s["VenueId"] = id_answer("The new venue.", "venue_id");
  s["VenueDeleted"] = id_answer("The venue is deleted.", "venue_id", {{"deleted", yes()}});
  s["ConcertId"] = id_answer("The new concert, a draft.", "concert_id");
  s["ConcertPublished"] = id_answer("The concert is published.", "concert_id", {{"status", constant("published")}});
  s["ConcertArchived"] = id_answer("The concert is archived.", "concert_id", {{"status", constant("archived")}});
  s["ConcertDeleted"] = id_answer("The concert and its performances are deleted.", "concert_id", {{"deleted", yes()}});
  s["TierId"] = id_answer("The new price tier.", "tier_id");
  s["PerformanceId"] = id_answer("The new performance, with its seats.", "performance_id");
  s["PerformanceUpdated"] = id_answer("The performance is changed.", "performance_id", {{"updated", yes()}});
  s["PerformanceCancelled"] =
      id_answer("The performance sells no more.", "performance_id", {{"status", constant("cancelled")}});
  s["PerformanceDeleted"] = id_answer("The performance is deleted.", "performance_id", {{"deleted", yes()}});
  // boxoffice.sweep() and boxoffice.check_invariants().
  s["SweepResult"] = closed_object("What one sweep did.", json::parse(R"({
    "expired_holds": {"type": "integer", "minimum": 0},
    "freed_seats": {"type": "integer", "minimum": 0},
    "batches": {"type": "integer", "minimum": 0}
  })"));
  s["InvariantViolation"] = closed_object("One broken invariant.", json::parse(R"({
    "violation": {"type": "string", "description": "e.g. seat_claimed_twice, counts_do_not_add_up"},
    "object": {"type": "string", "description": "e.g. seat 17, reservation 4"},
    "detail": {"type": "string"}
  })"));

  // Served by the shim itself.
  s["Health"] = closed_object("The process is up.", {{"status", constant("ok")}});
  s["Readiness"] = closed_object("The database answers.", {{"status", constant("ready")}});
  s["PrometheusText"] = {{"type", "string"},
                         {"description", "Prometheus text exposition format 0.0.4: request counts and durations "
                                         "per route, requests in flight, and the database pool."}};
  s["OpenApiDocument"] = {{"type", "object"},
                          {"description", "An OpenAPI 3.0 document."},
                          {"required", {"openapi", "info", "paths"}},
                          {"properties", {{"openapi", constant("3.0.3")}}}};
  return s;
}

}  // namespace shim
