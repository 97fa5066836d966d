// Errors as HTTP: one function maps every SQLSTATE to one status (the table
// in the README), and bodies are RFC 9457 application/problem+json.
#pragma once

#include <string>

namespace shim {

// The HTTP status for a SQLSTATE. boxoffice's TK codes take the status the
// catalogue gives them (extension/sql/errors.sql, generated into
// error_catalogue.hpp); PostgreSQL's own codes map by what they mean for the
// caller: the README's "Errors" table lists each, and why it differs from
// PostgREST's mapping (40001/40P01 -> 409, 57014 -> 504, 54xxx -> 400,
// 42501 -> 403 for a valid token).
int http_status_for_sqlstate(const std::string& sqlstate);

// Retry-After seconds to send with a status (503 -> 1), or 0 for none.
int retry_after_for_status(int status);

// The wait a 429 from the database names: the first whole number of its hint
// ("Try again in 842 seconds."), or 60 when it names none.
int seconds_to_wait(const std::string& hint);

// A problem+json body: {"type": "about:blank", "title": <reason phrase>,
// "status": status, "code": code, "message": ..., "detail": ..., "hint": ...,
// "error_id": ...}. Empty strings are omitted. Properly JSON-escaped.
std::string problem_json(int status, const std::string& code, const std::string& message,
                         const std::string& detail = {}, const std::string& hint = {},
                         const std::string& error_id = {});

// "Not Found" for 404 etc.
const char* reason_phrase(int status);

}  // namespace shim
