// JSON Web Tokens, HS256 only (RFC 7519, RFC 8725), signed and verified by
// libjwt. The algorithm is fixed by the server: a token whose header says
// anything but {"alg":"HS256"} is refused, "none" included. exp, nbf, iss and
// aud are always checked, here rather than by libjwt.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "base64url.hpp"

namespace shim::jwt {

enum class Verdict {
  valid,
  malformed,        // not three base64url parts of JSON objects
  wrong_algorithm,  // alg is not HS256 (including "none"), typ is not JWT when present, or crit is present
  bad_signature,
  expired,          // now >= exp (exp is required)
  not_yet_valid,    // now < nbf
  wrong_issuer,
  wrong_audience,   // aud (string or array) does not contain the audience
};

const char* describe(Verdict v);  // lowercase, for problem details: "token expired", ...

struct Verified {
  Verdict verdict = Verdict::malformed;
  nlohmann::json claims;  // the payload, when valid
};

// Signs the claims (a JSON object) with HS256. Throws std::invalid_argument
// for anything but an object, std::runtime_error if libjwt fails.
std::string sign(const nlohmann::json& claims, const std::string& secret);

// Verifies a compact JWS at time `now` (seconds since the epoch), allowing
// `leeway_s` seconds of clock skew on exp and nbf.
Verified verify(const std::string& token, const std::string& secret, const std::string& issuer,
                const std::string& audience, int64_t now, int64_t leeway_s = 30);

}  // namespace shim::jwt
