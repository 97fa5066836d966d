#include "jwt.hpp"

#include <cstdlib>
#include <memory>
#include <stdexcept>

#include <jwt.h>

namespace shim::jwt {
namespace {

using json = nlohmann::json;

struct FreeJwt {
  void operator()(jwt_t* j) const { jwt_free(j); }
};
using Jwt = std::unique_ptr<jwt_t, FreeJwt>;

struct FreeText {  // what libjwt returns as char* is malloc'ed
  void operator()(char* text) const { std::free(text); }
};
using Text = std::unique_ptr<char, FreeText>;

// The three dot-separated parts, each decoded strictly: libjwt's own decoder
// skips what is not base64, and a token must have exactly one spelling.
bool decode_parts(const std::string& token, std::string (&bytes)[3]) {
  size_t begin = 0;
  for (int i = 0; i < 3; ++i) {
    size_t end = i < 2 ? token.find('.', begin) : token.size();
    if (end == std::string::npos || (i == 2 && token.find('.', begin) != std::string::npos)) return false;
    if (!base64url_decode(token.substr(begin, end - begin), &bytes[i])) return false;
    begin = end + 1;
  }
  return true;
}

// The header is judged before libjwt sees the token (RFC 8725 section 3.1):
// libjwt verifies with whatever algorithm the header names, reads "hs256" as
// HS256, and cannot say why it refused a token.
Verdict judge_header(const std::string& header_text) {
  json header = json::parse(header_text, nullptr, false);
  if (!header.is_object()) return Verdict::malformed;
  auto alg = header.find("alg");
  auto typ = header.find("typ");
  if (alg == header.end() || *alg != "HS256" || (typ != header.end() && *typ != "JWT") ||
      header.contains("crit"))  // we understand no extensions (RFC 7515 section 4.1.11)
    return Verdict::wrong_algorithm;
  return Verdict::valid;
}

// libjwt refused a token whose header we accepted: either its claims are not
// JSON to libjwt, or the signature is wrong. Decoding without a key checks
// no signature, so it tells the two apart (and its result is never used).
Verdict why_refused(const std::string& token) {
  jwt_t* unverified = nullptr;
  int failed = jwt_decode(&unverified, token.c_str(), nullptr, 0);
  Jwt owner(unverified);
  return failed ? Verdict::malformed : Verdict::bad_signature;
}

// A NumericDate may be an integer or a fraction (RFC 7519 section 2).
// Anything else is not a date.
bool numeric_date(const json& claims, const char* name, long double* out) {
  auto it = claims.find(name);
  if (it == claims.end() || !it->is_number()) return false;
  if (it->is_number_unsigned())
    *out = static_cast<long double>(it->get<uint64_t>());
  else if (it->is_number_integer())
    *out = static_cast<long double>(it->get<int64_t>());
  else
    *out = static_cast<long double>(it->get<double>());
  return true;
}

// exp, nbf, iss and aud of verified claims, in that order.
Verdict judge_claims(const json& claims, const std::string& issuer, const std::string& audience, int64_t now,
                     int64_t leeway_s) {
  // Compared as now - leeway >= exp (not now >= exp + leeway) so a huge exp
  // cannot overflow; a missing or non-numeric exp never counts as unexpired.
  long double exp, nbf;
  if (!numeric_date(claims, "exp", &exp) || static_cast<long double>(now - leeway_s) >= exp) return Verdict::expired;
  if (claims.contains("nbf") &&
      (!numeric_date(claims, "nbf", &nbf) || static_cast<long double>(now + leeway_s) < nbf))
    return Verdict::not_yet_valid;

  auto iss = claims.find("iss");
  if (iss == claims.end() || *iss != issuer) return Verdict::wrong_issuer;

  auto aud = claims.find("aud");
  bool audience_ok = false;
  if (aud != claims.end()) {
    if (aud->is_string()) {
      audience_ok = *aud == audience;
    } else if (aud->is_array()) {
      for (const auto& a : *aud)
        if (a.is_string() && a == audience) audience_ok = true;
    }
  }
  return audience_ok ? Verdict::valid : Verdict::wrong_audience;
}

}  // namespace

const char* describe(Verdict v) {
  switch (v) {
    case Verdict::valid: return "token is valid";
    case Verdict::malformed: return "malformed token";
    case Verdict::wrong_algorithm: return "token algorithm not accepted";
    case Verdict::bad_signature: return "bad token signature";
    case Verdict::expired: return "token expired";
    case Verdict::not_yet_valid: return "token not yet valid";
    case Verdict::wrong_issuer: return "wrong token issuer";
    case Verdict::wrong_audience: return "wrong token audience";
  }
  return "malformed token";
}

std::string sign(const json& claims, const std::string& secret) {
  if (!claims.is_object()) throw std::invalid_argument("JWT claims must be a JSON object");
  jwt_t* created = nullptr;
  if (jwt_new(&created) != 0) throw std::runtime_error("libjwt: jwt_new failed");
  Jwt token(created);
  if (jwt_set_alg(token.get(), JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(secret.data()),
                  static_cast<int>(secret.size())) != 0)
    throw std::runtime_error("libjwt: the HS256 key was refused");
  // libjwt reads integers up to 2^63 - 1 only: a larger one cannot be signed.
  if (jwt_add_grants_json(token.get(), claims.dump().c_str()) != 0)
    throw std::runtime_error("libjwt: the claims were refused");
  Text encoded(jwt_encode_str(token.get()));
  if (!encoded) throw std::runtime_error("libjwt: jwt_encode_str failed");
  return encoded.get();
}

Verified verify(const std::string& token, const std::string& secret, const std::string& issuer,
                const std::string& audience, int64_t now, int64_t leeway_s) {
  Verified result;  // malformed until proven otherwise

  std::string parts[3];
  if (!decode_parts(token, parts)) return result;
  if ((result.verdict = judge_header(parts[0])) != Verdict::valid) return result;
  // Without a key libjwt skips the signature: an empty secret verifies nothing.
  if (secret.empty()) {
    result.verdict = Verdict::bad_signature;
    return result;
  }

  jwt_t* decoded = nullptr;
  int failed = jwt_decode(&decoded, token.c_str(), reinterpret_cast<const unsigned char*>(secret.data()),
                          static_cast<int>(secret.size()));
  Jwt verified(decoded);
  if (failed) {
    result.verdict = why_refused(token);
    return result;
  }
  // What libjwt verified with must be HS256 too, whatever we read in the header.
  const char* alg = jwt_get_header(verified.get(), "alg");
  if (jwt_get_alg(verified.get()) != JWT_ALG_HS256 || alg == nullptr || std::string(alg) != "HS256") {
    result.verdict = Verdict::wrong_algorithm;
    return result;
  }

  Text grants(jwt_get_grants_json(verified.get(), nullptr));
  json claims = grants ? json::parse(grants.get(), nullptr, false) : json();
  if (!claims.is_object()) {
    result.verdict = Verdict::malformed;
    return result;
  }
  if ((result.verdict = judge_claims(claims, issuer, audience, now, leeway_s)) == Verdict::valid)
    result.claims = std::move(claims);
  return result;
}

}  // namespace shim::jwt
