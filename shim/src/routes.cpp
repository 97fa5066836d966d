// Every route of the REST API, with the SQL that answers it. Each statement
// returns one JSON value built by PostgreSQL, which the shim sends as it is.
// Bodies arrive as one jsonb parameter and the SQL picks its fields, so a
// wrongly typed field fails in PostgreSQL with a data exception (400).
#include "routes.hpp"

#include <regex>

#include "error_catalogue.hpp"

namespace shim {

namespace {
using I = Input;
namespace tk = error_catalogue;  // the codes, by name, of extension/sql/errors.sql

const std::vector<Route> kRoutes = {
    // --- operations ---------------------------------------------------------
    {"GET", "/healthz", "healthz", "operations", "The process is up.", Access::anyone, Kind::healthz, 200, "Health", nullptr,
     {}, nullptr, nullptr, {}},
    {"GET", "/readyz", "readyz", "operations", "The database answers.", Access::anyone, Kind::readyz, 200, "Readiness",
     nullptr, {}, nullptr, nullptr, {}},
    {"GET", "/metrics", "metrics", "operations", "Prometheus metrics (text format).", Access::anyone, Kind::metrics, 200,
     "PrometheusText", nullptr, {}, nullptr, nullptr, {}},
    {"GET", "/openapi.json", "openapi", "operations", "This document.", Access::anyone, Kind::openapi, 200,
     "OpenApiDocument", nullptr, {}, nullptr, nullptr, {}},

    // --- accounts -----------------------------------------------------------
    {"POST", "/v1/users", "register_user", "accounts", "Register a buyer account.", Access::anyone, Kind::sql, 201, "UserId",
     "SELECT jsonb_build_object('user_id', boxoffice.register_user($1::jsonb->>'email', $1::jsonb->>'name', $1::jsonb->>'password'))",
     {I::body},
     R"({"required": ["email", "name", "password"], "properties": {
          "email": {"type": "string", "maxLength": 320, "description": "name@example.com; the account's login"},
          "name": {"type": "string", "minLength": 1, "maxLength": 200},
          "password": {"type": "string", "minLength": 8, "description": "8 characters or more, at most 72 bytes"}}})",
     R"({"email": "fan@example.com", "name": "Kim Minji", "password": "correct horse battery"})", {tk::email_taken, tk::invalid_argument}},
    {"POST", "/v1/login", "login", "accounts", "Exchange email and password for an access token (JWT).", Access::anyone,
     Kind::login, 200, "AccessToken",
     "SELECT to_jsonb(a) FROM boxoffice.login($1::jsonb->>'email', $1::jsonb->>'password') a",
     {I::body},
     R"({"required": ["email", "password"], "properties": {
          "email": {"type": "string"}, "password": {"type": "string"}}})",
     R"({"email": "fan@example.com", "password": "correct horse battery"})", {tk::invalid_credentials}, true},
    {"GET", "/v1/me", "me", "accounts", "The account of the token's user.", Access::user, Kind::sql, 200, "Account",
     "SELECT to_jsonb(a) FROM boxoffice.account() a", {}, nullptr, nullptr, {tk::user_not_found}},

    // --- browsing -----------------------------------------------------------
    {"GET", "/v1/concerts", "list_concerts", "browse", "Published concerts with their performances and seat counts.",
     Access::anyone, Kind::sql, 200, "ConcertListing[]",
     "SELECT coalesce(jsonb_agg(to_jsonb(c)), '[]') FROM boxoffice.concerts() c", {}, nullptr, nullptr, {}},
    {"GET", "/v1/concerts/{concert_id}", "get_concert", "browse", "One published concert with its performances.",
     Access::anyone, Kind::sql, 200, "ConcertListing", "SELECT to_jsonb(c) FROM boxoffice.concert($1::bigint) c",
     {I::path_id}, nullptr, nullptr, {tk::concert_not_found}},
    {"GET", "/v1/performances/{performance_id}", "get_performance", "browse",
     "A performance with its rules, seat counts and availability per price tier.", Access::anyone, Kind::sql, 200,
     "Performance", "SELECT boxoffice.performance($1::bigint)", {I::path_id}, nullptr, nullptr, {tk::performance_not_found}},
    // The seat map and its two parts are answered from the shim's cache: at
    // most --seat-map-max-age-ms old, with an ETag (If-None-Match: 304).
    {"GET", "/v1/performances/{performance_id}/seats", "seat_map", "browse",
     "Every seat with section, row, number, tier, price and status (available, held, sold), "
     "at most a fraction of a second old (the shim's --seat-map-max-age-ms).", Access::anyone, Kind::sql, 200,
     "Seat[]", "SELECT coalesce(jsonb_agg(to_jsonb(s)), '[]') FROM boxoffice.seat_map($1::bigint) s", {I::path_id},
     nullptr, nullptr, {tk::performance_not_found}, false, false, Cached::seat_map},
    {"GET", "/v1/performances/{performance_id}/seat-layout", "seat_layout", "browse",
     "The part of the seat map that never changes: every seat with section, row, number, tier and price.",
     Access::anyone, Kind::sql, 200, "SeatPlace[]", "SELECT boxoffice.seat_layout($1::bigint)", {I::path_id},
     nullptr, nullptr, {tk::performance_not_found}, false, false, Cached::seat_layout},
    {"GET", "/v1/performances/{performance_id}/seat-status", "seat_status", "browse",
     "The part of the seat map that changes: the ids of the seats held and sold (every other seat is available).",
     Access::anyone, Kind::sql, 200, "SeatStatuses", "SELECT boxoffice.seat_statuses($1::bigint)", {I::path_id},
     nullptr, nullptr, {tk::performance_not_found}, false, false, Cached::seat_statuses},

    // --- holds and reservations ---------------------------------------------
    {"POST", "/v1/performances/{performance_id}/holds", "hold", "reservations",
     "Hold all the given seats or none. Without a token the hold is a guest's; keep the hold_token it returns. "
     "With an Idempotency-Key, a retry whose answer was lost gets the same hold (and hold_token) back.",
     Access::optional_user, Kind::sql, 201, "Booking",
     // try_hold: a refusal (seats taken, limits, not on sale) is an answer, not
     // an error: it comes back as NULL with a NOTICE, which the server turns
     // into the refusal's problem, and the database logs nothing. The client's
     // address is the guest key (a user's limit is the user's). Like every
     // route, it names no user: the database takes the customer from the
     // verified claims (README: Security).
     "SELECT to_jsonb(boxoffice.try_hold($1::bigint,"
     " ARRAY(SELECT jsonb_array_elements_text($2::jsonb->'seat_ids'))::bigint[], guest_key => $3, idempotency_key => $4))",
     {I::path_id, I::body, I::client, I::optional_idempotency_key},
     R"({"required": ["seat_ids"], "properties": {
          "seat_ids": {"type": "array", "minItems": 1, "maxItems": 100, "uniqueItems": true,
                       "items": {"type": "integer", "format": "int64"},
                       "description": "seat ids from the seat map; all of them are held, or none"}}})",
     R"({"seat_ids": [5, 6]})",
     {tk::performance_not_found, tk::performance_not_on_sale, tk::seats_unavailable, tk::seats_not_in_performance, tk::no_seats_requested, tk::duplicate_seats, tk::too_many_seats, tk::customer_limit_reached, tk::invalid_argument, tk::user_not_found, tk::queue_turn_required, tk::idempotency_key_required, tk::idempotency_key_reused, tk::idempotency_key_in_flight}},
    {"GET", "/v1/reservations", "my_reservations", "reservations", "The token user's reservations, newest first.",
     Access::user, Kind::sql, 200, "Booking[]",
     "SELECT coalesce(jsonb_agg(to_jsonb(b)), '[]') FROM boxoffice.my_reservations() b", {}, nullptr,
     nullptr, {}},
    {"GET", "/v1/reservations/{reservation_id}", "get_reservation", "reservations",
     "One reservation with its seats, for its user or whoever sends its X-Hold-Token.", Access::optional_user, Kind::sql, 200,
     "Booking", "SELECT to_jsonb(b) FROM boxoffice.reservation($1::bigint, hold_token => $2) b",
     {I::path_id, I::hold_token}, nullptr, nullptr, {tk::reservation_not_found}},
    {"POST", "/v1/reservations/{reservation_id}/confirm", "confirm", "reservations",
     "Confirm a live hold. Guests give buyer_name, buyer_phone and a 4-digit guest_pin. Repeating it returns the same result.",
     Access::optional_user, Kind::sql, 200, "Booking",
     "SELECT to_jsonb(b) FROM boxoffice.confirm($1::bigint, hold_token => $2, buyer_name => $3::jsonb->>'buyer_name',"
     " buyer_phone => $3::jsonb->>'buyer_phone', guest_pin => $3::jsonb->>'guest_pin') b",
     {I::path_id, I::hold_token, I::body},
     R"({"properties": {
          "buyer_name": {"type": "string", "minLength": 1, "description": "at most 200 bytes; a guest must give it"},
          "buyer_phone": {"type": "string", "description": "10 or 11 digits starting with 01 (dashes and spaces are fine); a guest must give it"},
          "guest_pin": {"type": "string", "pattern": "^[0-9]{4}$", "description": "4 digits that find the reservation again with the phone number; a guest must give it"}}})",
     R"({"buyer_name": "Kim Minji", "buyer_phone": "010-1234-5678", "guest_pin": "0427"})",
     {tk::performance_not_found, tk::performance_not_on_sale, tk::customer_limit_reached, tk::reservation_not_found, tk::hold_expired, tk::invalid_state, tk::invalid_phone, tk::invalid_pin, tk::invalid_argument, tk::buyer_details_required, tk::payment_required}},
    {"POST", "/v1/reservations/{reservation_id}/release", "release", "reservations", "Give a hold's seats back at once.",
     Access::optional_user, Kind::sql, 200, "Booking",
     "SELECT to_jsonb(b) FROM boxoffice.release($1::bigint, hold_token => $2) b", {I::path_id, I::hold_token},
     nullptr, nullptr, {tk::reservation_not_found, tk::invalid_state}},
    {"POST", "/v1/reservations/{reservation_id}/cancel", "cancel", "reservations",
     "Cancel a hold or a confirmed reservation (a paid one is refunded); the seats are available at once. Repeating it "
     "returns the same result; an Idempotency-Key makes it exactly once per key.",
     Access::optional_user, Kind::sql, 200, "Booking",
     "SELECT to_jsonb(b) FROM boxoffice.cancel($1::bigint, hold_token => $2, idempotency_key => $3) b",
     {I::path_id, I::hold_token, I::optional_idempotency_key}, nullptr, nullptr,
     {tk::reservation_not_found, tk::cancellation_closed, tk::idempotency_key_required, tk::idempotency_key_reused,
      tk::idempotency_key_in_flight}},
    {"POST", "/v1/guest-lookup", "guest_lookup", "reservations", "A guest's reservations by phone number and PIN.",
     Access::anyone, Kind::sql, 200, "Booking[]",
     "SELECT coalesce(jsonb_agg(to_jsonb(b)), '[]') FROM boxoffice.guest_lookup($1::jsonb->>'phone', $1::jsonb->>'pin') b",
     {I::body},
     R"({"required": ["phone", "pin"], "properties": {
          "phone": {"type": "string", "description": "the buyer_phone given at confirmation"},
          "pin": {"type": "string", "pattern": "^[0-9]{4}$", "description": "the guest_pin given at confirmation"}}})",
     R"({"phone": "010-1234-5678", "pin": "0427"})", {tk::no_matching_reservation, tk::invalid_phone, tk::invalid_pin, tk::guest_lookup_locked}, true},

    // --- payments -----------------------------------------------------------
    {"GET", "/v1/wallet", "wallet", "payments", "Your points balance (0 before any charge).", Access::user, Kind::sql, 200,
     "Wallet", "SELECT to_jsonb(w) FROM boxoffice.wallet() w", {}, nullptr, nullptr, {tk::login_required}},
    {"GET", "/v1/wallet/entries", "wallet_history", "payments",
     "Your points ledger, newest first, 50 entries a page (?before= the last entry_id of a page gives the next): charges, "
     "payments and refunds, each with the balance after it.",
     Access::user, Kind::sql, 200, "WalletEntry[]",
     "SELECT coalesce(jsonb_agg(to_jsonb(e) ORDER BY e.entry_id DESC), '[]') FROM boxoffice.wallet_history(before_entry => $1::bigint) e",
     {I::before}, nullptr,
     nullptr, {tk::login_required}},
    {"POST", "/v1/wallet/charges", "charge_points", "payments",
     "Charge points to your wallet (1 to 1,000,000 at a time), exactly once per Idempotency-Key.", Access::user, Kind::sql,
     201, "WalletEntry", "SELECT to_jsonb(e) FROM boxoffice.charge_points(($1::jsonb->>'amount')::bigint, $2) e",
     {I::body, I::idempotency_key},
     R"({"required": ["amount"], "properties": {
          "amount": {"type": "integer", "minimum": 1, "maximum": 1000000, "description": "points to add"}}})",
     R"({"amount": 50000})",
     {tk::login_required, tk::invalid_amount, tk::idempotency_key_required, tk::idempotency_key_reused, tk::idempotency_key_in_flight}},
    {"POST", "/v1/reservations/{reservation_id}/payments/points", "pay_with_points", "payments",
     "Pay a live hold of yours with points: the points are taken, the payment approved and the reservation confirmed "
     "together, exactly once per Idempotency-Key. Too few points change nothing (402); the hold stays until it expires.",
     Access::user, Kind::sql, 201, "PaymentReceipt", "SELECT to_jsonb(p) FROM boxoffice.pay_with_points($1::bigint, $2) p",
     {I::path_id, I::idempotency_key}, nullptr, nullptr,
     {tk::login_required, tk::reservation_not_found, tk::insufficient_points, tk::already_paid, tk::invalid_state, tk::hold_expired,
      tk::performance_not_on_sale, tk::customer_limit_reached, tk::idempotency_key_required, tk::idempotency_key_reused,
      tk::idempotency_key_in_flight}},
    {"POST", "/v1/reservations/{reservation_id}/payments/card", "start_card_payment", "payments",
     "Start paying a live hold of yours by card, kakao_pay, naver_pay or toss: a pending payment whose order_id and "
     "amount the gateway's payment window takes, exactly once per Idempotency-Key. Then confirm it with the "
     "payment_key the window returns (POST /v1/payments/{payment_id}/confirm).",
     Access::user, Kind::sql, 201, "PaymentReceipt",
     "SELECT to_jsonb(p) FROM boxoffice.start_card_payment($1::bigint, $2::jsonb->>'method', $3) p",
     {I::path_id, I::body, I::idempotency_key},
     R"({"required": ["method"], "properties": {
          "method": {"type": "string", "enum": ["card", "kakao_pay", "naver_pay", "toss"], "description": "how to pay"}}})",
     R"({"method": "card"})",
     {tk::login_required, tk::reservation_not_found, tk::invalid_argument, tk::already_paid, tk::payment_in_progress,
      tk::invalid_state, tk::hold_expired, tk::idempotency_key_required, tk::idempotency_key_reused,
      tk::idempotency_key_in_flight}},
    {"POST", "/v1/payments/{payment_id}/confirm", "confirm_card_payment", "payments",
     "Confirm a pending card payment of yours with the payment_key its payment window returned: the gateway charges "
     "it and the reservation is sold (200), or declines it and the hold stays (402). No answer from the gateway in "
     "time: 202, the payment stays pending until the reconciliation settles it. Sending it again is safe: the "
     "gateway charges an order once.",
     Access::user, Kind::card_confirm, 200, "PaymentReceipt",
     "SELECT to_jsonb(p) FROM boxoffice.begin_card_confirm($1::bigint, $2::jsonb->>'payment_key') p",
     {I::path_id, I::body},
     R"({"required": ["payment_key"], "properties": {
          "payment_key": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,200}$",
                          "description": "the paymentKey the gateway's payment window returned"}}})",
     R"({"payment_key": "tgen_20261203a1b2c3d4e5f6"})",
     {tk::login_required, tk::payment_not_found, tk::invalid_argument, tk::hold_expired, tk::invalid_state,
      tk::payment_declined, tk::payment_refunded}},
    {"GET", "/v1/reservations/{reservation_id}/payments", "payments_of", "payments",
     "The payments of one of your reservations, oldest first.", Access::user, Kind::sql, 200, "PaymentReceipt[]",
     "SELECT coalesce(jsonb_agg(to_jsonb(p) ORDER BY p.payment_id), '[]') FROM boxoffice.payments_of($1::bigint) p",
     {I::path_id}, nullptr, nullptr, {tk::reservation_not_found}},

    // --- waiting room -------------------------------------------------------
    {"POST", "/v1/performances/{performance_id}/queue", "enter_queue", "queue",
     "Enter the waiting room of a performance. Entering again returns the same entry and token. Poll GET /v1/queue "
     "with the token (X-Queue-Token) no sooner than poll_after_seconds (also sent as Retry-After).",
     Access::user, Kind::sql, 200, "QueueTicket", "SELECT to_jsonb(q) FROM boxoffice.enter_queue($1::bigint) q",
     {I::path_id}, nullptr, nullptr,
     {tk::performance_not_found, tk::performance_not_on_sale, tk::queue_not_enabled, tk::queue_not_open, tk::login_required, tk::user_not_found}},
    {"GET", "/v1/performances/{performance_id}/queue", "queue_info", "queue",
     "A waiting room as anyone may see it: settings, people waiting and active, the seed's commitment and, once sales "
     "open, the seed.",
     Access::anyone, Kind::sql, 200, "QueueInfo", "SELECT boxoffice.queue_info($1::bigint)", {I::path_id}, nullptr,
     nullptr, {tk::performance_not_found}},
    {"GET", "/v1/queue", "queue_status", "queue",
     "Where the entry of X-Queue-Token stands: waiting (position, estimated wait), active (until when), used, left, "
     "expired or sold_out. Polling sooner than the last answer's poll_after_seconds is refused with 429.",
     Access::user, Kind::sql, 200, "QueueTicket", "SELECT to_jsonb(q) FROM boxoffice.queue_status($1) q",
     {I::queue_token}, nullptr, nullptr, {tk::queue_entry_not_found}, false, true},
    {"DELETE", "/v1/queue", "leave_queue", "queue",
     "Leave the waiting room; an active turn goes to the next in line at once. Leaving again changes nothing.",
     Access::user, Kind::sql, 200, "QueueTicket", "SELECT to_jsonb(q) FROM boxoffice.leave_queue($1) q",
     {I::queue_token}, nullptr, nullptr, {tk::queue_entry_not_found}},

    // --- catalog (admin) ------------------------------------------------------
    {"POST", "/v1/admin/venues", "create_venue", "admin", "Create a venue from sections x rows x seats per row.",
     Access::admin, Kind::sql, 201, "VenueId",
     "SELECT jsonb_build_object('venue_id', boxoffice.create_venue(b->>'name', b->>'address',"
     " ARRAY(SELECT jsonb_array_elements_text(b->'sections')), (b->>'rows_per_section')::int, (b->>'seats_per_row')::int))"
     " FROM (SELECT $1::jsonb AS b) x",
     {I::body},
     R"({"required": ["name", "sections", "rows_per_section", "seats_per_row"], "properties": {
          "name": {"type": "string", "minLength": 1, "maxLength": 200},
          "address": {"type": "string", "maxLength": 500, "default": ""},
          "sections": {"type": "array", "minItems": 1, "maxItems": 100, "uniqueItems": true,
                       "items": {"type": "string", "minLength": 1}, "description": "section names, in order"},
          "rows_per_section": {"type": "integer", "minimum": 1, "maximum": 200},
          "seats_per_row": {"type": "integer", "minimum": 1, "maximum": 500}}})",
     R"({"name": "KSPO DOME", "address": "Seoul", "sections": ["A", "B", "C", "D"], "rows_per_section": 4, "seats_per_row": 20})",
     {tk::invalid_argument}},
    {"DELETE", "/v1/admin/venues/{venue_id}", "delete_venue", "admin", "Soft-delete a venue no live performance uses.",
     Access::admin, Kind::sql, 200, "VenueDeleted",
     "SELECT jsonb_build_object('venue_id', $1::bigint, 'deleted', true) FROM boxoffice.delete_venue($1::bigint)",
     {I::path_id}, nullptr, nullptr, {tk::invalid_state, tk::venue_not_found}},
    {"POST", "/v1/admin/concerts", "create_concert", "admin", "Create a concert (draft).", Access::admin, Kind::sql, 201,
     "ConcertId",
     "SELECT jsonb_build_object('concert_id', boxoffice.create_concert(b->>'title', b->>'artist',"
     " coalesce(b->>'description', ''), b->>'poster_url')) FROM (SELECT $1::jsonb AS b) x",
     {I::body},
     R"({"required": ["title", "artist"], "properties": {
          "title": {"type": "string", "minLength": 1, "maxLength": 200},
          "artist": {"type": "string", "minLength": 1, "maxLength": 200},
          "description": {"type": "string", "maxLength": 10000, "default": ""},
          "poster_url": {"type": "string", "maxLength": 2000, "pattern": "^https?://"}}})",
     R"({"title": "IU Concert 2026", "artist": "IU", "description": "Live in Seoul", "poster_url": "https://example.com/iu.jpg"})",
     {tk::invalid_argument}},
    {"POST", "/v1/admin/concerts/{concert_id}/publish", "publish_concert", "admin", "draft -> published.", Access::admin,
     Kind::sql, 200, "ConcertPublished",
     "SELECT jsonb_build_object('concert_id', $1::bigint, 'status', 'published') FROM boxoffice.publish_concert($1::bigint)",
     {I::path_id}, nullptr, nullptr, {tk::invalid_state, tk::concert_not_found}},
    {"POST", "/v1/admin/concerts/{concert_id}/archive", "archive_concert", "admin", "published -> archived.", Access::admin,
     Kind::sql, 200, "ConcertArchived",
     "SELECT jsonb_build_object('concert_id', $1::bigint, 'status', 'archived') FROM boxoffice.archive_concert($1::bigint)",
     {I::path_id}, nullptr, nullptr, {tk::invalid_state, tk::concert_not_found}},
    {"DELETE", "/v1/admin/concerts/{concert_id}", "delete_concert", "admin", "Soft-delete a concert and its performances.",
     Access::admin, Kind::sql, 200, "ConcertDeleted",
     "SELECT jsonb_build_object('concert_id', $1::bigint, 'deleted', true) FROM boxoffice.delete_concert($1::bigint)",
     {I::path_id}, nullptr, nullptr, {tk::concert_not_found}},
    {"POST", "/v1/admin/concerts/{concert_id}/tiers", "add_price_tier", "admin",
     "Add a price tier: seats first_seat..last_seat of each row (of the given sections) cost price.", Access::admin, Kind::sql,
     201, "TierId",
     "SELECT jsonb_build_object('tier_id', boxoffice.add_price_tier($1::bigint, b->>'label', (b->>'price')::bigint,"
     " (b->>'first_seat')::int, (b->>'last_seat')::int,"
     " CASE WHEN b ? 'sections' THEN ARRAY(SELECT jsonb_array_elements_text(b->'sections')) END)) FROM (SELECT $2::jsonb AS b) x",
     {I::path_id, I::body},
     R"({"required": ["label", "price", "first_seat", "last_seat"], "properties": {
          "label": {"type": "string", "minLength": 1, "maxLength": 50, "description": "unique within the concert"},
          "price": {"type": "integer", "format": "int64", "minimum": 0},
          "first_seat": {"type": "integer", "minimum": 1, "description": "the first seat number of each row in this tier"},
          "last_seat": {"type": "integer", "minimum": 1, "description": "the last seat number of each row in this tier"},
          "sections": {"type": "array", "items": {"type": "string"}, "description": "the sections it covers; every section when left out"}}})",
     R"({"label": "SPECIAL", "price": 250000, "first_seat": 1, "last_seat": 3})", {tk::invalid_argument, tk::concert_not_found}},
    {"POST", "/v1/admin/performances", "create_performance", "admin",
     "Schedule a concert at a venue; its seats are created from the layout and the tiers.", Access::admin, Kind::sql, 201,
     "PerformanceId",
     "SELECT jsonb_build_object('performance_id', boxoffice.create_performance((b->>'concert_id')::bigint,"
     " (b->>'venue_id')::bigint, (b->>'starts_at')::timestamptz, (b->>'ends_at')::timestamptz,"
     " (b->>'sales_opens_at')::timestamptz, (b->>'sales_closes_at')::timestamptz,"
     " make_interval(secs => (b->>'hold_lifetime_seconds')::int), (b->>'max_seats_per_hold')::int,"
     " (b->>'max_seats_per_customer')::int)) FROM (SELECT $1::jsonb AS b) x",
     {I::body},
     R"({"required": ["concert_id", "venue_id", "starts_at"], "properties": {
          "concert_id": {"type": "integer", "format": "int64"},
          "venue_id": {"type": "integer", "format": "int64"},
          "starts_at": {"type": "string", "format": "date-time"},
          "ends_at": {"type": "string", "format": "date-time", "description": "3 hours after starts_at when left out"},
          "sales_opens_at": {"type": "string", "format": "date-time", "description": "now when left out"},
          "sales_closes_at": {"type": "string", "format": "date-time", "description": "starts_at when left out"},
          "hold_lifetime_seconds": {"type": "integer", "minimum": 1, "maximum": 3600, "default": 300},
          "max_seats_per_hold": {"type": "integer", "minimum": 1, "maximum": 100, "default": 4},
          "max_seats_per_customer": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 4}}})",
     R"({"concert_id": 1, "venue_id": 1, "starts_at": "2026-12-21T19:00:00+09:00", "hold_lifetime_seconds": 300})",
     {tk::invalid_argument, tk::venue_not_found, tk::concert_not_found}},
    {"POST", "/v1/admin/performances/{performance_id}/rules", "set_performance_rules", "admin",
     "Change hold lifetime and seat limits; omitted rules stay.", Access::admin, Kind::sql, 200, "PerformanceUpdated",
     "SELECT jsonb_build_object('performance_id', $1::bigint, 'updated', true) FROM (SELECT $2::jsonb AS b) x,"
     " boxoffice.set_performance_rules($1::bigint, make_interval(secs => (b->>'hold_lifetime_seconds')::int),"
     " (b->>'max_seats_per_hold')::int, (b->>'max_seats_per_customer')::int)",
     {I::path_id, I::body},
     R"({"properties": {
          "hold_lifetime_seconds": {"type": "integer", "minimum": 1, "maximum": 3600},
          "max_seats_per_hold": {"type": "integer", "minimum": 1, "maximum": 100},
          "max_seats_per_customer": {"type": "integer", "minimum": 1, "maximum": 1000}}})",
     R"({"max_seats_per_hold": 2})", {tk::performance_not_found, tk::invalid_argument}},
    {"POST", "/v1/admin/performances/{performance_id}/payment-terms", "set_payment_terms", "admin",
     "Whether confirming needs a payment, and until how long before the start a paid sale may be cancelled; omitted terms stay.",
     Access::admin, Kind::sql, 200, "PaymentTerms",
     "SELECT boxoffice.set_payment_terms($1::bigint, (b->>'payment_required')::boolean,"
     " make_interval(secs => (b->>'cancel_cutoff_seconds')::bigint)) FROM (SELECT $2::jsonb AS b) x",
     {I::path_id, I::body},
     R"({"properties": {
          "payment_required": {"type": "boolean", "description": "refused once the performance has sales without a payment"},
          "cancel_cutoff_seconds": {"type": "integer", "minimum": 0, "maximum": 31536000, "description": "0: until the start"}}})",
     R"({"payment_required": true, "cancel_cutoff_seconds": 86400})", {tk::performance_not_found, tk::invalid_argument, tk::invalid_state}},
    {"POST", "/v1/admin/performances/{performance_id}/sales-window", "set_sales_window", "admin", "Move the sales window.",
     Access::admin, Kind::sql, 200, "PerformanceUpdated",
     "SELECT jsonb_build_object('performance_id', $1::bigint, 'updated', true) FROM boxoffice.set_sales_window($1::bigint,"
     " ($2::jsonb->>'sales_opens_at')::timestamptz, ($2::jsonb->>'sales_closes_at')::timestamptz)",
     {I::path_id, I::body},
     R"({"required": ["sales_opens_at", "sales_closes_at"], "properties": {
          "sales_opens_at": {"type": "string", "format": "date-time"},
          "sales_closes_at": {"type": "string", "format": "date-time", "description": "not after the end of the performance"}}})",
     R"({"sales_opens_at": "2026-11-01T10:00:00+09:00", "sales_closes_at": "2026-12-21T18:00:00+09:00"})",
     {tk::performance_not_found, tk::invalid_argument}},
    {"POST", "/v1/admin/performances/{performance_id}/cancel", "cancel_performance", "admin",
     "Stop all sales of a performance.", Access::admin, Kind::sql, 200, "PerformanceCancelled",
     "SELECT jsonb_build_object('performance_id', $1::bigint, 'status', 'cancelled')"
     " FROM boxoffice.cancel_performance($1::bigint)",
     {I::path_id}, nullptr, nullptr, {tk::performance_not_found}},
    {"DELETE", "/v1/admin/performances/{performance_id}", "delete_performance", "admin", "Soft-delete a performance.",
     Access::admin, Kind::sql, 200, "PerformanceDeleted",
     "SELECT jsonb_build_object('performance_id', $1::bigint, 'deleted', true) FROM boxoffice.delete_performance($1::bigint)",
     {I::path_id}, nullptr, nullptr, {tk::performance_not_found}},
    {"POST", "/v1/admin/users/{user_id}/role", "set_admin", "admin", "Set a user's role: {\"role\": \"admin\"} or {\"role\": \"buyer\"}.",
     Access::admin, Kind::sql, 200, "Account",
     "SELECT to_jsonb(a) FROM boxoffice.set_admin($1::bigint,"
     " CASE $2::jsonb->>'role' WHEN 'admin' THEN true WHEN 'buyer' THEN false END) a",
     {I::path_id, I::body},
     R"({"required": ["role"], "properties": {"role": {"type": "string", "enum": ["admin", "buyer"]}}})",
     R"({"role": "admin"})", {tk::invalid_argument, tk::user_not_found}},
    {"POST", "/v1/admin/sweep", "sweep", "admin", "Expire due holds now (pg_cron also does it every minute).", Access::admin,
     Kind::sql, 200, "SweepResult", "SELECT to_jsonb(s) FROM boxoffice.sweep() s", {}, nullptr, nullptr, {}},
    {"GET", "/v1/admin/invariants", "check_invariants", "admin", "Invariant violations; an empty list when all is well.",
     Access::admin, Kind::sql, 200, "InvariantViolation[]",
     "SELECT coalesce(jsonb_agg(to_jsonb(v)), '[]') FROM boxoffice.check_invariants() v", {}, nullptr, nullptr, {}},
};
}  // namespace

const std::vector<Route>& routes() { return kRoutes; }

const Route* find_route(const std::string& operation_id) {
  for (const Route& r : kRoutes)
    if (operation_id == r.operation_id) return &r;
  return nullptr;
}

std::string path_regex(const std::string& path_template) {
  static const std::regex param(R"(\{[a-z_]+\})");
  return "^" + std::regex_replace(path_template, param, "([0-9]+)") + "$";
}

const char* database_role(Access access) { return access == Access::admin ? "boxoffice_admin" : "boxoffice_app"; }

}  // namespace shim
