#include "client_address.hpp"

#include <arpa/inet.h>

#include <cstring>
#include <stdexcept>

namespace shim {
namespace {

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t");
  if (a == std::string::npos) return "";
  size_t b = s.find_last_not_of(" \t");
  return s.substr(a, b - a + 1);
}

// The address as bytes; family 0 when it is not an IP address. An IPv4
// address written as IPv6 (::ffff:10.0.0.5, as a dual-stack socket reports
// it) is the IPv4 address.
int to_bytes(const std::string& text, unsigned char out[16]) {
  if (inet_pton(AF_INET, text.c_str(), out) == 1) return AF_INET;
  if (inet_pton(AF_INET6, text.c_str(), out) != 1) return 0;
  static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(out, mapped, sizeof mapped) == 0) {
    std::memmove(out, out + 12, 4);
    return AF_INET;
  }
  return AF_INET6;
}

// One client, one key: an IPv4 address, or the /64 network of an IPv6 one
// (a single customer line gets a whole /64, so the address alone would let
// one client be 2^64 clients).
std::string client_key(const std::string& address) {
  unsigned char bytes[16];
  int family = to_bytes(address, bytes);
  if (family == 0) return address;
  char text[INET6_ADDRSTRLEN];
  if (family == AF_INET6) std::memset(bytes + 8, 0, 8);
  if (inet_ntop(family, bytes, text, sizeof text) == nullptr) return address;
  return family == AF_INET6 ? std::string(text) + "/64" : std::string(text);
}

bool same_prefix(const unsigned char* a, const unsigned char* b, int bits) {
  int bytes = bits / 8, rest = bits % 8;
  if (std::memcmp(a, b, bytes) != 0) return false;
  if (rest == 0) return true;
  unsigned char mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (a[bytes] & mask) == (b[bytes] & mask);
}

}  // namespace

TrustedProxies TrustedProxies::parse(const std::string& list) {
  TrustedProxies proxies;
  std::string entry;
  auto add = [&](const std::string& raw) {
    std::string text = trim(raw);
    if (text.empty()) return;
    size_t slash = text.find('/');
    Block b{};
    b.family = to_bytes(text.substr(0, slash), b.net);
    int width = b.family == AF_INET ? 32 : 128;
    b.prefix = width;
    if (slash != std::string::npos) {
      std::string bits = text.substr(slash + 1);
      bool digits = !bits.empty() && bits.size() <= 3 && bits.find_first_not_of("0123456789") == std::string::npos;
      b.prefix = digits ? std::stoi(bits) : -1;
    }
    if (b.family == 0 || b.prefix < 0 || b.prefix > width)
      throw std::invalid_argument("'" + text + "' is not an IP address or a CIDR block such as 10.0.0.0/8");
    for (int bit = b.prefix; bit < width; bit++) b.net[bit / 8] &= static_cast<unsigned char>(~(0x80 >> (bit % 8)));
    proxies.blocks_.push_back(b);
  };
  for (char c : list) {
    if (c == ',' || c == ' ') {
      add(entry);
      entry.clear();
    } else {
      entry += c;
    }
  }
  add(entry);
  return proxies;
}

bool TrustedProxies::contains(const std::string& address) const {
  unsigned char bytes[16];
  int family = to_bytes(trim(address), bytes);
  for (const Block& b : blocks_)
    if (b.family == family && same_prefix(bytes, b.net, b.prefix)) return true;
  return false;
}

std::string client_address(const std::string& peer, const std::string& forwarded_for, const TrustedProxies& proxies) {
  if (!proxies.contains(peer)) return client_key(peer);
  // Right to left: each trusted proxy appended the address it saw.
  std::string client = peer;
  size_t end = forwarded_for.size();
  while (end > 0) {
    size_t comma = forwarded_for.rfind(',', end - 1);
    size_t start = comma == std::string::npos ? 0 : comma + 1;
    std::string hop = trim(forwarded_for.substr(start, end - start));
    unsigned char bytes[16];
    if (to_bytes(hop, bytes) == 0) break;  // not an address: stop at what we can trust
    client = hop;
    if (!proxies.contains(hop)) break;
    if (comma == std::string::npos) break;
    end = comma;
  }
  return client_key(client);
}

}  // namespace shim
