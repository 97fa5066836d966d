#include "base64url.hpp"

#include <openssl/evp.h>

namespace shim::jwt {

std::string base64url_encode(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');  // EVP_EncodeBlock adds a NUL
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

bool base64url_decode(const std::string& text, std::string* bytes) {
  // Four characters carry three bytes; a lone trailing character carries none.
  if (text.size() % 4 == 1) return false;
  std::string standard = text;
  for (char& c : standard) c = c == '-' ? '+' : c == '_' ? '/' : c;
  size_t padding = (4 - text.size() % 4) % 4;
  standard.append(padding, '=');
  std::string out(standard.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(standard.data()), static_cast<int>(standard.size()));
  if (n < 0 || static_cast<size_t>(n) < padding) return false;
  out.resize(static_cast<size_t>(n) - padding);  // EVP_DecodeBlock counts the padding as bytes
  // EVP_DecodeBlock skips blanks, and reads '+', '/', '=' and non-zero unused
  // bits: only the canonical text encodes its bytes back to itself.
  if (base64url_encode(out) != text) return false;
  *bytes = std::move(out);
  return true;
}

}  // namespace shim::jwt
