#include "jwt.hpp"

#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace shim::jwt {
namespace {

const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int decode_char(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

std::string hmac_sha256(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len))
    throw std::runtime_error("HMAC-SHA256 failed");
  return std::string(reinterpret_cast<const char*>(out), len);
}

// A NumericDate may be an integer or a fraction (RFC 7519 section 2); a huge
// unsigned value is simply far in the future. Anything else is not a date.
bool numeric_date(const nlohmann::json& claims, const char* name, long double* out) {
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

std::string base64url_encode(const std::string& bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t n = (uint32_t(uint8_t(bytes[i])) << 16) | (uint32_t(uint8_t(bytes[i + 1])) << 8) | uint8_t(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest == 1) {
    uint32_t n = uint32_t(uint8_t(bytes[i])) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
  } else if (rest == 2) {
    uint32_t n = (uint32_t(uint8_t(bytes[i])) << 16) | (uint32_t(uint8_t(bytes[i + 1])) << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
  }
  return out;
}

bool base64url_decode(const std::string& text, std::string* bytes) {
  // Four characters carry three bytes; a lone trailing character carries none.
  if (text.size() % 4 == 1) return false;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = decode_char(c);  // '=' too is refused: JWS forbids padding
    if (v < 0) return false;
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((acc >> bits) & 0xff);
    }
  }
  // Unused low bits must be zero, so each byte string has exactly one
  // encoding and a signature cannot be altered without being refused.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return false;
  *bytes = std::move(out);
  return true;
}

std::string sign(const nlohmann::json& claims, const std::string& secret) {
  if (!claims.is_object()) throw std::invalid_argument("JWT claims must be a JSON object");
  std::string signing_input =
      base64url_encode(R"({"alg":"HS256","typ":"JWT"})") + "." + base64url_encode(claims.dump());
  return signing_input + "." + base64url_encode(hmac_sha256(secret, signing_input));
}

Verified verify(const std::string& token, const std::string& secret, const std::string& issuer,
                const std::string& audience, int64_t now, int64_t leeway_s) {
  Verified result;  // malformed until proven otherwise

  size_t dot1 = token.find('.');
  if (dot1 == std::string::npos) return result;
  size_t dot2 = token.find('.', dot1 + 1);
  if (dot2 == std::string::npos || token.find('.', dot2 + 1) != std::string::npos) return result;

  std::string header_text, payload_text, signature;
  if (!base64url_decode(token.substr(0, dot1), &header_text) ||
      !base64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1), &payload_text) ||
      !base64url_decode(token.substr(dot2 + 1), &signature))
    return result;
  nlohmann::json header = nlohmann::json::parse(header_text, nullptr, false);
  nlohmann::json claims = nlohmann::json::parse(payload_text, nullptr, false);
  if (!header.is_object() || !claims.is_object()) return result;

  // The server fixes the algorithm (RFC 8725 section 3.1): whatever the token
  // claims, only HS256 is tried, so "none" and key confusion cannot happen.
  auto alg = header.find("alg");
  auto typ = header.find("typ");
  if (alg == header.end() || *alg != "HS256" || (typ != header.end() && *typ != "JWT") ||
      header.contains("crit")) {  // we understand no extensions (RFC 7515 section 4.1.11)
    result.verdict = Verdict::wrong_algorithm;
    return result;
  }

  std::string expected = hmac_sha256(secret, token.substr(0, dot2));
  if (signature.size() != expected.size() ||
      CRYPTO_memcmp(signature.data(), expected.data(), expected.size()) != 0) {
    result.verdict = Verdict::bad_signature;
    return result;
  }

  // Compared as now - leeway >= exp (not now >= exp + leeway) so a huge exp
  // cannot overflow; a missing or non-numeric exp never counts as unexpired.
  long double exp, nbf;
  if (!numeric_date(claims, "exp", &exp) || static_cast<long double>(now - leeway_s) >= exp) {
    result.verdict = Verdict::expired;
    return result;
  }
  if (claims.contains("nbf") &&
      (!numeric_date(claims, "nbf", &nbf) || static_cast<long double>(now + leeway_s) < nbf)) {
    result.verdict = Verdict::not_yet_valid;
    return result;
  }

  auto iss = claims.find("iss");
  if (iss == claims.end() || *iss != issuer) {
    result.verdict = Verdict::wrong_issuer;
    return result;
  }

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
  if (!audience_ok) {
    result.verdict = Verdict::wrong_audience;
    return result;
  }

  result.verdict = Verdict::valid;
  result.claims = std::move(claims);
  return result;
}

}  // namespace shim::jwt
