// Whose request is this: the address of the client, for the per-client limits
// (guest holds, attempts at secrets). The peer of the connection, unless the
// peer is one of the configured proxies: then the right-most address of
// X-Forwarded-For that is not itself a trusted proxy (the left part of that
// header is whatever the client chose to send). All the X-Forwarded-For
// headers of a request, in order, make one list.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace shim {

class TrustedProxies {
 public:
  TrustedProxies() = default;
  // "10.0.0.0/8, 127.0.0.1, ::1": addresses or CIDR blocks, IPv4 or IPv6,
  // separated by commas or spaces. Throws std::invalid_argument naming the
  // entry it cannot read.
  static TrustedProxies parse(const std::string& list);
  bool contains(const std::string& address) const;
  bool empty() const { return blocks_.empty(); }

 private:
  struct Block {
    int family;             // AF_INET or AF_INET6
    unsigned char net[16];  // network address, host bits cleared
    int prefix;             // bits that must match
  };
  std::vector<Block> blocks_;
};

// The client as a key for the per-client limits: an IPv4 address, or the
// /64 network of an IPv6 address ("2001:db8:1:2::/64").
std::string client_address(const std::string& peer, const std::string& forwarded_for, const TrustedProxies& proxies);

}  // namespace shim
