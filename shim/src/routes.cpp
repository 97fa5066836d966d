// Every route of the REST API, with the SQL that answers it. Each statement
// returns one JSON value built by PostgreSQL, which the shim sends as it is.
// Bodies arrive as one jsonb parameter and the SQL picks its fields, so a
// wrongly typed field fails in PostgreSQL with a data exception (400).
#include "routes.hpp"

#include <regex>

namespace shim {

namespace {
using I = Input;

const std::vector<Route> kRoutes = {
    // --- operations ---------------------------------------------------------
    {"GET", "/healthz", "healthz", "operations", "The process is up.", Access::anyone, Kind::healthz, 200, nullptr, {}, nullptr},
    {"GET", "/readyz", "readyz", "operations", "The database answers.", Access::anyone, Kind::readyz, 200, nullptr, {}, nullptr},
    {"GET", "/metrics", "metrics", "operations", "Prometheus metrics (text format).", Access::anyone, Kind::metrics, 200, nullptr, {}, nullptr},
    {"GET", "/openapi.json", "openapi", "operations", "This document.", Access::anyone, Kind::openapi, 200, nullptr, {}, nullptr},

    // --- accounts -----------------------------------------------------------
    {"POST", "/v1/users", "register_user", "accounts", "Register a buyer account.", Access::anyone, Kind::sql, 201,
     "SELECT jsonb_build_object('user_id', boxoffice.register_user($1::jsonb->>'email', $1::jsonb->>'name', $1::jsonb->>'password'))",
     {I::body}, R"({"email": "fan@example.com", "name": "Kim Minji", "password": "correct horse battery"})"},
    {"POST", "/v1/login", "login", "accounts", "Exchange email and password for an access token (JWT).", Access::anyone, Kind::login, 200,
     "SELECT to_jsonb(a) FROM boxoffice.account(boxoffice.verify_password($1::jsonb->>'email', $1::jsonb->>'password')) a",
     {I::body}, R"({"email": "fan@example.com", "password": "correct horse battery"})", true},
    {"GET", "/v1/me", "me", "accounts", "The account of the token's user.", Access::user, Kind::sql, 200,
     "SELECT to_jsonb(a) FROM boxoffice.account($1::bigint) a", {I::user_id}, nullptr},

    // --- browsing -----------------------------------------------------------
    {"GET", "/v1/concerts", "list_concerts", "browse", "Published concerts with their performances and seat counts.",
     Access::anyone, Kind::sql, 200, "SELECT coalesce(jsonb_agg(to_jsonb(c)), '[]') FROM boxoffice.concerts() c", {}, nullptr},
    {"GET", "/v1/concerts/{concert_id}", "get_concert", "browse", "One published concert with its performances.",
     Access::anyone, Kind::sql, 200, "SELECT to_jsonb(c) FROM boxoffice.concert($1::bigint) c", {I::path_id}, nullptr},
    {"GET", "/v1/performances/{performance_id}", "get_performance", "browse",
     "A performance with its rules, seat counts and availability per price tier.", Access::anyone, Kind::sql, 200,
     "SELECT boxoffice.performance($1::bigint)", {I::path_id}, nullptr},
    {"GET", "/v1/performances/{performance_id}/seats", "seat_map", "browse",
     "Every seat with section, row, number, tier, price and status (available, held, sold).", Access::anyone, Kind::sql, 200,
     "SELECT coalesce(jsonb_agg(to_jsonb(s)), '[]') FROM boxoffice.seat_map($1::bigint) s", {I::path_id}, nullptr},

    // --- holds and reservations ---------------------------------------------
    {"POST", "/v1/performances/{performance_id}/holds", "hold", "reservations",
     "Hold all the given seats or none. Without a token the hold is a guest's; keep the hold_token it returns.",
     Access::optional_user, Kind::sql, 201,
     // try_hold: a refusal (seats taken, limits, not on sale) is an answer, not
     // an error: it comes back as NULL with a NOTICE, which the server turns
     // into the refusal's problem, and the database logs nothing.
     "SELECT to_jsonb(boxoffice.try_hold($1::bigint,"
     " ARRAY(SELECT jsonb_array_elements_text($2::jsonb->'seat_ids'))::bigint[], $3::bigint, $4))",
     {I::path_id, I::body, I::user_id, I::client}, R"({"seat_ids": [5, 6]})"},
    {"GET", "/v1/reservations", "my_reservations", "reservations", "The token user's reservations, newest first.",
     Access::user, Kind::sql, 200, "SELECT coalesce(jsonb_agg(to_jsonb(b)), '[]') FROM boxoffice.my_reservations($1::bigint) b",
     {I::user_id}, nullptr},
    {"GET", "/v1/reservations/{reservation_id}", "get_reservation", "reservations",
     "One reservation with its seats, for its user or whoever sends its X-Hold-Token.", Access::optional_user, Kind::sql, 200,
     "SELECT to_jsonb(b) FROM boxoffice.reservation($1::bigint, $2::bigint, $3) b", {I::path_id, I::user_id, I::hold_token},
     nullptr},
    {"POST", "/v1/reservations/{reservation_id}/confirm", "confirm", "reservations",
     "Confirm a live hold. Guests give buyer_name, buyer_phone and a 4-digit guest_pin. Repeating it returns the same result.",
     Access::optional_user, Kind::sql, 200,
     "SELECT to_jsonb(b) FROM boxoffice.confirm($1::bigint, $2::bigint, $3, $4::jsonb->>'buyer_name',"
     " $4::jsonb->>'buyer_phone', $4::jsonb->>'guest_pin') b",
     {I::path_id, I::user_id, I::hold_token, I::body},
     R"({"buyer_name": "Kim Minji", "buyer_phone": "010-1234-5678", "guest_pin": "0427"})"},
    {"POST", "/v1/reservations/{reservation_id}/release", "release", "reservations", "Give a hold's seats back at once.",
     Access::optional_user, Kind::sql, 200, "SELECT to_jsonb(b) FROM boxoffice.release($1::bigint, $2::bigint, $3) b",
     {I::path_id, I::user_id, I::hold_token}, nullptr},
    {"POST", "/v1/reservations/{reservation_id}/cancel", "cancel", "reservations",
     "Cancel a hold or a confirmed reservation; the seats are available at once. Repeating it returns the same result.",
     Access::optional_user, Kind::sql, 200, "SELECT to_jsonb(b) FROM boxoffice.cancel($1::bigint, $2::bigint, $3) b",
     {I::path_id, I::user_id, I::hold_token}, nullptr},
    {"POST", "/v1/guest-lookup", "guest_lookup", "reservations", "A guest's reservations by phone number and PIN.",
     Access::anyone, Kind::sql, 200,
     "SELECT coalesce(jsonb_agg(to_jsonb(b)), '[]') FROM boxoffice.guest_lookup($1::jsonb->>'phone', $1::jsonb->>'pin') b",
     {I::body}, R"({"phone": "010-1234-5678", "pin": "0427"})", true},

    // --- catalog (admin) ------------------------------------------------------
    {"POST", "/v1/admin/venues", "create_venue", "admin", "Create a venue from sections x rows x seats per row.",
     Access::admin, Kind::sql, 201,
     "SELECT jsonb_build_object('venue_id', boxoffice.create_venue(b->>'name', b->>'address',"
     " ARRAY(SELECT jsonb_array_elements_text(b->'sections')), (b->>'rows_per_section')::int, (b->>'seats_per_row')::int))"
     " FROM (SELECT $1::jsonb AS b) x",
     {I::body}, R"({"name": "KSPO DOME", "address": "Seoul", "sections": ["A", "B", "C", "D"], "rows_per_section": 4, "seats_per_row": 20})"},
    {"DELETE", "/v1/admin/venues/{venue_id}", "delete_venue", "admin", "Soft-delete a venue no live performance uses.",
     Access::admin, Kind::sql, 200,
     "SELECT jsonb_build_object('venue_id', $1::bigint, 'deleted', true) FROM boxoffice.delete_venue($1::bigint)",
     {I::path_id}, nullptr},
    {"POST", "/v1/admin/concerts", "create_concert", "admin", "Create a concert (draft).", Access::admin, Kind::sql, 201,
     "SELECT jsonb_build_object('concert_id', boxoffice.create_concert(b->>'title', b->>'artist',"
     " coalesce(b->>'description', ''), b->>'poster_url')) FROM (SELECT $1::jsonb AS b) x",
     {I::body}, R"({"title": "IU Concert 2026", "artist": "IU", "description": "Live in Seoul", "poster_url": "https://example.com/iu.jpg"})"},
    {"POST", "/v1/admin/concerts/{concert_id}/publish", "publish_concert", "admin", "draft -> published.", Access::admin,
     Kind::sql, 200,
     "SELECT jsonb_build_object('concert_id', $1::bigint, 'status', 'published') FROM boxoffice.publish_concert($1::bigint)",
     {I::path_id}, nullptr},
    {"POST", "/v1/admin/concerts/{concert_id}/archive", "archive_concert", "admin", "published -> archived.", Access::admin,
     Kind::sql, 200,
     "SELECT jsonb_build_object('concert_id', $1::bigint, 'status', 'archived') FROM boxoffice.archive_concert($1::bigint)",
     {I::path_id}, nullptr},
    {"DELETE", "/v1/admin/concerts/{concert_id}", "delete_concert", "admin", "Soft-delete a concert and its performances.",
     Access::admin, Kind::sql, 200,
     "SELECT jsonb_build_object('concert_id', $1::bigint, 'deleted', true) FROM boxoffice.delete_concert($1::bigint)",
     {I::path_id}, nullptr},
    {"POST", "/v1/admin/concerts/{concert_id}/tiers", "add_price_tier", "admin",
     "Add a price tier: seats first_seat..last_seat of each row (of the given sections) cost price.", Access::admin, Kind::sql,
     201,
     "SELECT jsonb_build_object('tier_id', boxoffice.add_price_tier($1::bigint, b->>'label', (b->>'price')::bigint,"
     " (b->>'first_seat')::int, (b->>'last_seat')::int,"
     " CASE WHEN b ? 'sections' THEN ARRAY(SELECT jsonb_array_elements_text(b->'sections')) END)) FROM (SELECT $2::jsonb AS b) x",
     {I::path_id, I::body}, R"({"label": "SPECIAL", "price": 250000, "first_seat": 1, "last_seat": 3})"},
    {"POST", "/v1/admin/performances", "create_performance", "admin",
     "Schedule a concert at a venue; its seats are created from the layout and the tiers.", Access::admin, Kind::sql, 201,
     "SELECT jsonb_build_object('performance_id', boxoffice.create_performance((b->>'concert_id')::bigint,"
     " (b->>'venue_id')::bigint, (b->>'starts_at')::timestamptz, (b->>'ends_at')::timestamptz,"
     " (b->>'sales_opens_at')::timestamptz, (b->>'sales_closes_at')::timestamptz,"
     " make_interval(secs => (b->>'hold_lifetime_seconds')::int), (b->>'max_seats_per_hold')::int,"
     " (b->>'max_seats_per_customer')::int)) FROM (SELECT $1::jsonb AS b) x",
     {I::body}, R"({"concert_id": 1, "venue_id": 1, "starts_at": "2026-12-21T19:00:00+09:00", "hold_lifetime_seconds": 300})"},
    {"POST", "/v1/admin/performances/{performance_id}/rules", "set_performance_rules", "admin",
     "Change hold lifetime and seat limits; omitted rules stay.", Access::admin, Kind::sql, 200,
     "SELECT jsonb_build_object('performance_id', $1::bigint, 'updated', true) FROM (SELECT $2::jsonb AS b) x,"
     " boxoffice.set_performance_rules($1::bigint, make_interval(secs => (b->>'hold_lifetime_seconds')::int),"
     " (b->>'max_seats_per_hold')::int, (b->>'max_seats_per_customer')::int)",
     {I::path_id, I::body}, R"({"max_seats_per_hold": 2})"},
    {"POST", "/v1/admin/performances/{performance_id}/sales-window", "set_sales_window", "admin", "Move the sales window.",
     Access::admin, Kind::sql, 200,
     "SELECT jsonb_build_object('performance_id', $1::bigint, 'updated', true) FROM boxoffice.set_sales_window($1::bigint,"
     " ($2::jsonb->>'sales_opens_at')::timestamptz, ($2::jsonb->>'sales_closes_at')::timestamptz)",
     {I::path_id, I::body}, R"({"sales_opens_at": "2026-11-01T10:00:00+09:00", "sales_closes_at": "2026-12-21T18:00:00+09:00"})"},
    {"POST", "/v1/admin/performances/{performance_id}/cancel", "cancel_performance", "admin",
     "Stop all sales of a performance.", Access::admin, Kind::sql, 200,
     "SELECT jsonb_build_object('performance_id', $1::bigint, 'status', 'cancelled')"
     " FROM boxoffice.cancel_performance($1::bigint)",
     {I::path_id}, nullptr},
    {"DELETE", "/v1/admin/performances/{performance_id}", "delete_performance", "admin", "Soft-delete a performance.",
     Access::admin, Kind::sql, 200,
     "SELECT jsonb_build_object('performance_id', $1::bigint, 'deleted', true) FROM boxoffice.delete_performance($1::bigint)",
     {I::path_id}, nullptr},
    {"POST", "/v1/admin/users/{user_id}/role", "set_admin", "admin", "Set a user's role: {\"role\": \"admin\"} or {\"role\": \"buyer\"}.",
     Access::admin, Kind::sql, 200,
     "SELECT to_jsonb(a) FROM boxoffice.set_admin($1::bigint,"
     " CASE $2::jsonb->>'role' WHEN 'admin' THEN true WHEN 'buyer' THEN false END) a", {I::path_id, I::body},
     R"({"role": "admin"})"},
    {"POST", "/v1/admin/sweep", "sweep", "admin", "Expire due holds now (pg_cron also does it every minute).", Access::admin,
     Kind::sql, 200, "SELECT to_jsonb(s) FROM boxoffice.sweep() s", {}, nullptr},
    {"GET", "/v1/admin/invariants", "check_invariants", "admin", "Invariant violations; an empty list when all is well.",
     Access::admin, Kind::sql, 200, "SELECT coalesce(jsonb_agg(to_jsonb(v)), '[]') FROM boxoffice.check_invariants() v", {},
     nullptr},
};
}  // namespace

const std::vector<Route>& routes() { return kRoutes; }

std::string path_regex(const std::string& path_template) {
  static const std::regex param(R"(\{[a-z_]+\})");
  return "^" + std::regex_replace(path_template, param, "([0-9]+)") + "$";
}

const char* database_role(Access access) { return access == Access::admin ? "boxoffice_admin" : "boxoffice_app"; }

}  // namespace shim
