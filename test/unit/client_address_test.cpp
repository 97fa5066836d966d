// Whose request it is: the peer, or what trusted proxies say in X-Forwarded-For.
#include <gtest/gtest.h>

#include <stdexcept>

#include "client_address.hpp"

using shim::client_address;
using shim::TrustedProxies;

TEST(ClientAddress, WithoutProxiesThePeerIsTheClient) {
  TrustedProxies none;
  EXPECT_EQ(client_address("203.0.113.7", "", none), "203.0.113.7");
  // a header anyone can send changes nothing
  EXPECT_EQ(client_address("203.0.113.7", "198.51.100.1", none), "203.0.113.7");
}

TEST(ClientAddress, AnUntrustedPeerIsTheClientWhateverItForwards) {
  TrustedProxies proxies = TrustedProxies::parse("10.0.0.0/8");
  EXPECT_EQ(client_address("203.0.113.7", "198.51.100.1", proxies), "203.0.113.7");
}

TEST(ClientAddress, ATrustedProxyNamesTheClient) {
  TrustedProxies proxies = TrustedProxies::parse("10.0.0.0/8");
  EXPECT_EQ(client_address("10.0.0.5", "198.51.100.1", proxies), "198.51.100.1");
  // the right-most address that is not a trusted proxy: what the client wrote
  // on the left is not believed
  EXPECT_EQ(client_address("10.0.0.5", "1.2.3.4, 198.51.100.1, 10.0.0.9", proxies), "198.51.100.1");
  // without a header, the proxy itself
  EXPECT_EQ(client_address("10.0.0.5", "", proxies), "10.0.0.5");
  // garbage stops the walk at the last address we can trust
  EXPECT_EQ(client_address("10.0.0.5", "not-an-address", proxies), "10.0.0.5");
  EXPECT_EQ(client_address("10.0.0.5", "198.51.100.1, junk, 10.0.0.9", proxies), "10.0.0.9");
}

TEST(ClientAddress, IPv6AndSingleAddresses) {
  TrustedProxies proxies = TrustedProxies::parse("::1 fd00::/8,127.0.0.1");
  EXPECT_TRUE(proxies.contains("::1"));
  EXPECT_TRUE(proxies.contains("fd12:3456::1"));
  EXPECT_FALSE(proxies.contains("fe80::1"));
  EXPECT_TRUE(proxies.contains("127.0.0.1"));
  EXPECT_FALSE(proxies.contains("127.0.0.2"));
  EXPECT_EQ(client_address("::1", "2001:db8::7", proxies), "2001:db8::/64");
}

TEST(ClientAddress, AnIPv6ClientIsItsSlash64) {
  TrustedProxies none;
  // one customer line has a whole /64: each address of it is the same client
  EXPECT_EQ(client_address("2001:db8:1:2:aaaa::1", "", none), "2001:db8:1:2::/64");
  EXPECT_EQ(client_address("2001:db8:1:2:bbbb::9", "", none), "2001:db8:1:2::/64");
  EXPECT_NE(client_address("2001:db8:1:3::1", "", none), client_address("2001:db8:1:2::1", "", none));
}

TEST(ClientAddress, IPv4SeenThroughIPv6IsIPv4) {
  TrustedProxies proxies = TrustedProxies::parse("10.0.0.0/8");
  EXPECT_TRUE(proxies.contains("::ffff:10.0.0.5"));
  EXPECT_EQ(client_address("::ffff:10.0.0.5", "198.51.100.1", proxies), "198.51.100.1");
  EXPECT_EQ(client_address("::ffff:203.0.113.7", "", TrustedProxies()), "203.0.113.7");
}

TEST(ClientAddress, BadEntriesAreRefused) {
  EXPECT_THROW(TrustedProxies::parse("10.0.0.0/33"), std::invalid_argument);
  EXPECT_THROW(TrustedProxies::parse("::/129"), std::invalid_argument);
  EXPECT_THROW(TrustedProxies::parse("10.0.0.0/x"), std::invalid_argument);
  EXPECT_THROW(TrustedProxies::parse("localhost"), std::invalid_argument);
  EXPECT_TRUE(TrustedProxies::parse(" , ").empty());
}
