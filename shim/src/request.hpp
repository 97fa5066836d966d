// Small, pure pieces of request handling, kept apart so they can be unit tested.
#pragma once

#include <optional>
#include <string>

namespace shim {

// The token of an "Authorization: Bearer <token>" header; nullopt when the
// header is absent; "" when it is present but not a bearer token.
std::optional<std::string> bearer_token(const std::string& authorization_header);

// An acceptable client-supplied X-Request-Id (1-128 chars of [A-Za-z0-9._:-]),
// else a fresh random id (32 hex chars).
std::string request_id_or_new(const std::string& supplied);

// 32 random hex characters (error ids, request ids).
std::string random_hex_id();

// True when `body` is one well-formed JSON object (the only bodies we accept).
bool is_json_object(const std::string& body);

}  // namespace shim
