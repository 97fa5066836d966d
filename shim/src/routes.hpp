// The route table: every REST route, who may call it, and the one SQL
// statement that answers it. The server, the prepared statements and
// /openapi.json are all generated from this table, so a served route is a
// documented route by construction.
#pragma once

#include <string>
#include <vector>

namespace shim {

enum class Access {
  anyone,         // no token needed (a token, if sent, must be valid)
  optional_user,  // a user token, or none for a guest (who uses the hold token)
  user,           // a valid token is required
  admin,          // a valid token with role "admin"
};

// Where the statement's parameters ($1, $2, ...) come from, in order.
enum class Input {
  path_id,     // the numeric {…_id} of the path
  body,        // the whole JSON body (a JSON object; "{}" when empty)
  hold_token,  // the X-Hold-Token header, or NULL
  client,      // the client's address (client_address.hpp): the guest key of a hold
  queue_token, // the X-Queue-Token header (a waiting room entry), or NULL
  idempotency_key, // the Idempotency-Key header (calls that move money), or NULL: the database answers 400 TK031
  optional_idempotency_key, // the Idempotency-Key header of a call that takes one if given (holds, cancellations), or NULL
  before,      // the ?before= query parameter (paging: list what comes before that id), or NULL
};

// What the server does besides running SQL.
enum class Kind {
  sql,          // run `sql`, answer its JSON
  login,        // run `sql` (returns the account), then answer a signed token
  card_confirm, // run `sql` (records the payment key), then the gateway's confirm outside any
                //   transaction, then settle it (server.cpp confirm_card)
  healthz, readyz, metrics, openapi,  // served by the shim itself
};

// Answers that are the same for every caller and that a crowd asks for: the
// shim serves them from its seat map cache (seat_map_cache.hpp), with an ETag.
enum class Cached { no, seat_map, seat_layout, seat_statuses };

struct Route {
  const char* method;        // GET, POST, DELETE
  const char* path;          // OpenAPI template, e.g. /v1/performances/{performance_id}/seats
  const char* operation_id;  // also the prepared statement's name
  const char* tag;
  const char* summary;
  Access access;
  Kind kind;
  int success_status;
  const char* answer;        // the success body: a schema of openapi_schemas.cpp, "Name[]" for a list of them
  const char* sql;           // one row, one JSON column
  std::vector<Input> inputs;
  const char* body_schema;   // the request body's properties and required fields (JSON), or nullptr for no body
  const char* body_example;  // an example request body (JSON), or nullptr for no body
  // The SQLSTATEs the statement raises on purpose (TK..., see extension/sql/errors.sql);
  // /openapi.json documents each under http_status_for_sqlstate's status. What the
  // shim itself may answer follows from access, kind, inputs and method (route_errors.cpp).
  std::vector<const char*> refusals;
  bool checks_secret = false;  // a password or PIN: attempts are rationed per client
  // A poll of the waiting room: a caller who asks again sooner than the last
  // answer's poll_after_seconds said gets 429 from the shim (poll_limiter.hpp).
  bool paces_polls = false;
  // Served from the seat map cache; `sql` is then the uncached answer (the
  // direct client of bench/http runs it) or the part the cache fetches.
  Cached cached = Cached::no;
};

const std::vector<Route>& routes();

// The route whose operation_id (and prepared statement's name) this is, or nullptr.
const Route* find_route(const std::string& operation_id);

// "/v1/a/{x}/b" -> "^/v1/a/([0-9]+)/b$"
std::string path_regex(const std::string& path_template);

// The role the statement runs as: boxoffice_admin for admin routes, else boxoffice_app.
const char* database_role(Access access);

}  // namespace shim
