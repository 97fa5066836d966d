#include "request.hpp"

#include <cctype>
#include <random>

#include <nlohmann/json.hpp>
#include <openssl/rand.h>

namespace shim {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }

bool is_id_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == ':' || c == '-';
}

}  // namespace

std::optional<std::string> bearer_token(const std::string& authorization_header) {
  if (authorization_header.empty()) return std::nullopt;
  size_t begin = 0, end = authorization_header.size();
  while (begin < end && is_space(authorization_header[begin])) ++begin;
  while (end > begin && is_space(authorization_header[end - 1])) --end;

  size_t scheme_end = begin;
  while (scheme_end < end && !is_space(authorization_header[scheme_end])) ++scheme_end;
  // Auth schemes are case-insensitive (RFC 9110 section 11.1).
  static const char kBearer[] = "bearer";
  if (scheme_end - begin != sizeof kBearer - 1) return std::string();
  for (size_t i = 0; i < sizeof kBearer - 1; ++i)
    if (std::tolower(static_cast<unsigned char>(authorization_header[begin + i])) != kBearer[i]) return std::string();

  size_t token_begin = scheme_end;
  while (token_begin < end && is_space(authorization_header[token_begin])) ++token_begin;
  std::string token = authorization_header.substr(token_begin, end - token_begin);
  // A token68 has no blanks; "Bearer a b" is not a bearer token.
  for (char c : token)
    if (is_space(c)) return std::string();
  return token;
}

std::string request_id_or_new(const std::string& supplied) {
  // Only a short, plain id is echoed back and logged, so a client cannot
  // inject log lines or headers through it.
  if (supplied.empty() || supplied.size() > 128) return random_hex_id();
  for (char c : supplied)
    if (!is_id_char(c)) return random_hex_id();
  return supplied;
}

std::string random_hex_id() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    // Ids need to be unique, not secret: never fail a request over one.
    thread_local std::mt19937_64 fallback{std::random_device{}()};
    for (unsigned char& b : bytes) b = static_cast<unsigned char>(fallback());
  }
  static const char kHex[] = "0123456789abcdef";
  std::string id;
  id.reserve(32);
  for (unsigned char b : bytes) {
    id += kHex[b >> 4];
    id += kHex[b & 15];
  }
  return id;
}

bool is_json_object(const std::string& body) {
  // Strict parse: trailing bytes, comments and a second value all fail.
  return nlohmann::json::parse(body, nullptr, false).is_object();
}

}  // namespace shim
