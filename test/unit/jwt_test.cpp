#include "jwt.hpp"

#include <cstdint>
#include <ostream>
#include <string>

#include <gtest/gtest.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace shim::jwt {
// Readable failures: "token expired" instead of bytes.
void PrintTo(Verdict v, std::ostream* os) { *os << describe(v); }
}  // namespace shim::jwt

namespace {

using nlohmann::json;
using shim::jwt::base64url_decode;
using shim::jwt::base64url_encode;
using shim::jwt::Verdict;

const std::string kSecret = "a-test-secret-of-more-than-32-bytes!";
const int64_t kNow = 1700000000;

json claims(int64_t exp = kNow + 600) {
  return {{"sub", "user-1"}, {"role", "buyer"}, {"iss", "boxoffice"}, {"aud", "boxoffice"}, {"iat", kNow},
          {"exp", exp}};
}

Verdict check(const std::string& token, int64_t now = kNow, int64_t leeway = 30) {
  return shim::jwt::verify(token, kSecret, "boxoffice", "boxoffice", now, leeway).verdict;
}

// HMAC-SHA256 computed here, independently of jwt.cpp.
std::string test_hmac_sha256(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

// A token with any header and payload text, correctly signed, so a test can
// reach the checks that come after the signature (sign() fixes the header).
std::string forge(const std::string& header, const std::string& payload, const std::string& secret = kSecret) {
  std::string input = base64url_encode(header) + "." + base64url_encode(payload);
  return input + "." + base64url_encode(test_hmac_sha256(secret, input));
}

std::string std_header() { return R"({"alg":"HS256","typ":"JWT"})"; }

std::string part(const std::string& token, int index) {
  size_t begin = 0;
  for (int i = 0; i < index; ++i) begin = token.find('.', begin) + 1;
  size_t end = token.find('.', begin);
  return token.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

TEST(Base64url, KnownVectors) {
  // RFC 4648 section 10, without padding.
  EXPECT_EQ(base64url_encode(""), "");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("foo"), "Zm9v");
  EXPECT_EQ(base64url_encode("foob"), "Zm9vYg");
  EXPECT_EQ(base64url_encode("fooba"), "Zm9vYmE");
  EXPECT_EQ(base64url_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");  // the two url-safe characters
  EXPECT_EQ(base64url_encode(std::string("\0\0\0", 3)), "AAAA");
}

TEST(Base64url, DecodesKnownVectors) {
  for (const char* plain : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xfb\xff"}) {
    std::string out = "junk";
    ASSERT_TRUE(base64url_decode(base64url_encode(plain), &out)) << plain;
    EXPECT_EQ(out, plain);
  }
}

TEST(Base64url, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (size_t n = 0; n <= all.size(); n += 37) {
    std::string out;
    ASSERT_TRUE(base64url_decode(base64url_encode(all.substr(0, n)), &out));
    EXPECT_EQ(out, all.substr(0, n));
  }
}

TEST(Base64url, RejectsWhatIsNotBase64url) {
  std::string out;
  EXPECT_FALSE(base64url_decode("Zg==", &out));      // padding is not part of JWS
  EXPECT_FALSE(base64url_decode("+/8", &out));       // the other alphabet
  EXPECT_FALSE(base64url_decode("Zm9v YmFy", &out));  // blanks
  EXPECT_FALSE(base64url_decode("Zm9v\n", &out));
  EXPECT_FALSE(base64url_decode(std::string("Zm\0v", 4), &out));
  EXPECT_FALSE(base64url_decode("Z", &out));      // one character holds no byte
  EXPECT_FALSE(base64url_decode("Zm9vY", &out));  // nor does a fifth
  EXPECT_FALSE(base64url_decode("Zh", &out));     // unused bits must be zero
  EXPECT_FALSE(base64url_decode("Zm9", &out));
  EXPECT_TRUE(base64url_decode("Zm8", &out));
  EXPECT_EQ(out, "fo");
}

TEST(Jwt, Describe) {
  EXPECT_STREQ(shim::jwt::describe(Verdict::valid), "token is valid");
  EXPECT_STREQ(shim::jwt::describe(Verdict::malformed), "malformed token");
  EXPECT_STREQ(shim::jwt::describe(Verdict::wrong_algorithm), "token algorithm not accepted");
  EXPECT_STREQ(shim::jwt::describe(Verdict::bad_signature), "bad token signature");
  EXPECT_STREQ(shim::jwt::describe(Verdict::expired), "token expired");
  EXPECT_STREQ(shim::jwt::describe(Verdict::not_yet_valid), "token not yet valid");
  EXPECT_STREQ(shim::jwt::describe(Verdict::wrong_issuer), "wrong token issuer");
  EXPECT_STREQ(shim::jwt::describe(Verdict::wrong_audience), "wrong token audience");
}

TEST(Jwt, RoundTrip) {
  std::string token = shim::jwt::sign(claims(), kSecret);
  std::string header;
  ASSERT_TRUE(base64url_decode(part(token, 0), &header));
  EXPECT_EQ(json::parse(header), json::parse(std_header()));
  auto v = shim::jwt::verify(token, kSecret, "boxoffice", "boxoffice", kNow);
  EXPECT_EQ(v.verdict, Verdict::valid);
  EXPECT_EQ(v.claims, claims());
  EXPECT_EQ(token.find('='), std::string::npos);
}

TEST(Jwt, KnownSignature) {
  // Independently computed: HMAC-SHA256 of the signing input under kSecret.
  std::string input = base64url_encode(std_header()) + "." + base64url_encode(claims().dump());
  EXPECT_EQ(shim::jwt::sign(claims(), kSecret), input + "." + base64url_encode(test_hmac_sha256(kSecret, input)));
}

TEST(Jwt, Rfc7515ExampleA1) {
  // The HS256 example of RFC 7515 appendix A.1: a known answer for our HMAC.
  std::string key;
  ASSERT_TRUE(base64url_decode(
      "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow", &key));
  const std::string token =
      "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
      ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
      ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  // It has no aud, so it gets past the signature, exp and iss and stops there.
  EXPECT_EQ(shim::jwt::verify(token, key, "joe", "boxoffice", 1300819300).verdict, Verdict::wrong_audience);
  EXPECT_EQ(shim::jwt::verify(token, key, "joe", "boxoffice", 1300819380, 0).verdict, Verdict::expired);
  key[0] ^= 1;
  EXPECT_EQ(shim::jwt::verify(token, key, "joe", "boxoffice", 1300819300).verdict, Verdict::bad_signature);
}

TEST(Jwt, SignRefusesNonObjects) { EXPECT_THROW(shim::jwt::sign(json::array(), kSecret), std::invalid_argument); }

TEST(Jwt, Expiry) {
  std::string token = shim::jwt::sign(claims(kNow + 100), kSecret);
  EXPECT_EQ(check(token, kNow + 99, 0), Verdict::valid);
  EXPECT_EQ(check(token, kNow + 100, 0), Verdict::expired);  // now >= exp
  EXPECT_EQ(check(token, kNow + 129, 30), Verdict::valid);   // within leeway
  EXPECT_EQ(check(token, kNow + 130, 30), Verdict::expired);
  EXPECT_EQ(check(token, kNow + 100000), Verdict::expired);
}

TEST(Jwt, NotBefore) {
  json c = claims();
  c["nbf"] = kNow + 100;
  std::string token = shim::jwt::sign(c, kSecret);
  EXPECT_EQ(check(token, kNow, 0), Verdict::not_yet_valid);
  EXPECT_EQ(check(token, kNow + 99, 0), Verdict::not_yet_valid);
  EXPECT_EQ(check(token, kNow + 100, 0), Verdict::valid);
  EXPECT_EQ(check(token, kNow + 70, 30), Verdict::valid);  // leeway for a fast issuer clock
  EXPECT_EQ(check(token, kNow + 69, 30), Verdict::not_yet_valid);
  c["nbf"] = "soon";
  EXPECT_EQ(check(shim::jwt::sign(c, kSecret)), Verdict::not_yet_valid);
}

TEST(Jwt, ExpIsRequiredAndNumeric) {
  json c = claims();
  c.erase("exp");
  EXPECT_EQ(check(shim::jwt::sign(c, kSecret)), Verdict::expired);
  c["exp"] = std::to_string(kNow + 600);
  EXPECT_EQ(check(shim::jwt::sign(c, kSecret)), Verdict::expired);
  c["exp"] = true;
  EXPECT_EQ(check(shim::jwt::sign(c, kSecret)), Verdict::expired);
  c["exp"] = kNow + 600.5;  // NumericDate may be fractional
  EXPECT_EQ(check(shim::jwt::sign(c, kSecret)), Verdict::valid);
  c["exp"] = INT64_MAX;  // no overflow into the past
  EXPECT_EQ(check(shim::jwt::sign(c, kSecret)), Verdict::valid);
  // libjwt reads integers up to 2^63 - 1: a larger exp cannot be signed, and a
  // token carrying one is refused as unreadable, never taken as a past date.
  c["exp"] = 18446744073709551615ull;
  EXPECT_THROW(shim::jwt::sign(c, kSecret), std::runtime_error);
  EXPECT_EQ(check(forge(std_header(), c.dump())), Verdict::malformed);
  c["exp"] = -1;
  EXPECT_EQ(check(shim::jwt::sign(c, kSecret)), Verdict::expired);
}

TEST(Jwt, WrongSignature) {
  std::string token = shim::jwt::sign(claims(), kSecret);
  EXPECT_EQ(shim::jwt::verify(token, "another-secret-of-more-than-32-bytes", "boxoffice", "boxoffice", kNow).verdict,
            Verdict::bad_signature);

  // An admin role spliced into a buyer's token keeps the old signature.
  json c = claims();
  c["role"] = "admin";
  std::string tampered = part(token, 0) + "." + base64url_encode(c.dump()) + "." + part(token, 2);
  EXPECT_EQ(check(tampered), Verdict::bad_signature);

  EXPECT_EQ(check(part(token, 0) + "." + part(token, 1) + "."), Verdict::bad_signature);
  std::string sig = part(token, 2);
  EXPECT_EQ(check(part(token, 0) + "." + part(token, 1) + "." + sig.substr(0, 40)),
            Verdict::bad_signature);  // truncated
  sig[0] = sig[0] == 'A' ? 'B' : 'A';
  EXPECT_EQ(check(part(token, 0) + "." + part(token, 1) + "." + sig), Verdict::bad_signature);
}

TEST(Jwt, SignatureIsCheckedBeforeClaims) {
  // An expired token with a bad signature says "bad signature": nothing about
  // a forged token's claims is revealed.
  std::string token = shim::jwt::sign(claims(kNow - 1000), kSecret);
  EXPECT_EQ(shim::jwt::verify(token, std::string(40, 'x'), "boxoffice", "boxoffice", kNow).verdict,
            Verdict::bad_signature);
}

TEST(Jwt, AlgNone) {
  std::string payload = base64url_encode(claims().dump());
  EXPECT_EQ(check(base64url_encode(R"({"alg":"none","typ":"JWT"})") + "." + payload + "."), Verdict::wrong_algorithm);
  EXPECT_EQ(check(base64url_encode(R"({"alg":"none"})") + "." + payload + "."), Verdict::wrong_algorithm);
  EXPECT_EQ(check(base64url_encode(R"({"alg":"None"})") + "." + payload + "."), Verdict::wrong_algorithm);
  // A signature, even one made with our key, does not make "none" acceptable.
  EXPECT_EQ(check(forge(R"({"alg":"none","typ":"JWT"})", claims().dump())), Verdict::wrong_algorithm);
}

// What libjwt does by itself, which verify() must not rely on: it verifies
// with the algorithm the header names, and without a key it checks nothing.
TEST(Jwt, LibjwtFollowsTheTokensHeader) {
  auto decodes = [](const std::string& token, const std::string& key) {
    jwt_t* j = nullptr;
    int failed = jwt_decode(&j, token.c_str(), reinterpret_cast<const unsigned char*>(key.data()),
                            static_cast<int>(key.size()));
    jwt_alg_t alg = j ? jwt_get_alg(j) : JWT_ALG_INVAL;
    jwt_free(j);
    return failed ? JWT_ALG_INVAL : alg;
  };
  std::string hs512_input = base64url_encode(R"({"alg":"HS512"})") + "." + base64url_encode(claims().dump());
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha512(), kSecret.data(), static_cast<int>(kSecret.size()),
       reinterpret_cast<const unsigned char*>(hs512_input.data()), hs512_input.size(), mac, &len);
  std::string hs512 = hs512_input + "." + base64url_encode(std::string(reinterpret_cast<char*>(mac), len));
  EXPECT_EQ(decodes(hs512, kSecret), JWT_ALG_HS512);  // accepted by libjwt, refused by verify()
  EXPECT_EQ(check(hs512), Verdict::wrong_algorithm);

  std::string none = base64url_encode(R"({"alg":"none"})") + "." + base64url_encode(claims().dump()) + ".";
  EXPECT_EQ(decodes(none, kSecret), JWT_ALG_INVAL);  // with a key, libjwt refuses "none"
  EXPECT_EQ(decodes(none, ""), JWT_ALG_NONE);        // without one it accepts it

  std::string forged = forge(std_header(), claims().dump(), "not-our-secret");
  EXPECT_EQ(decodes(forged, ""), JWT_ALG_NONE);  // unverified, and says so
  EXPECT_EQ(check(forged), Verdict::bad_signature);
}

TEST(Jwt, EmptySecretVerifiesNothing) {
  // libjwt would decode without checking the signature: verify() refuses instead.
  std::string token = forge(std_header(), claims().dump(), "");
  EXPECT_EQ(shim::jwt::verify(token, "", "boxoffice", "boxoffice", kNow).verdict, Verdict::bad_signature);
  EXPECT_THROW(shim::jwt::sign(claims(), ""), std::runtime_error);
}

TEST(Jwt, OtherAlgorithms) {
  std::string payload = claims().dump();
  // Even correctly HMAC'd, a header that names another algorithm is refused.
  EXPECT_EQ(check(forge(R"({"alg":"HS512","typ":"JWT"})", payload)), Verdict::wrong_algorithm);
  EXPECT_EQ(check(forge(R"({"alg":"RS256","typ":"JWT"})", payload)), Verdict::wrong_algorithm);
  EXPECT_EQ(check(forge(R"({"alg":"hs256"})", payload)), Verdict::wrong_algorithm);
  EXPECT_EQ(check(forge(R"({"alg":["HS256"]})", payload)), Verdict::wrong_algorithm);
  EXPECT_EQ(check(forge(R"({"typ":"JWT"})", payload)), Verdict::wrong_algorithm);  // no alg
  EXPECT_EQ(check(forge(R"({"alg":"HS256","typ":"JWE"})", payload)), Verdict::wrong_algorithm);
  EXPECT_EQ(check(forge(R"({"alg":"HS256","crit":["b64"],"b64":false})", payload)), Verdict::wrong_algorithm);
  // typ is optional; extra header fields are fine.
  EXPECT_EQ(check(forge(R"({"alg":"HS256"})", payload)), Verdict::valid);
  EXPECT_EQ(check(forge(R"({"kid":"k1","alg":"HS256","typ":"JWT"})", payload)), Verdict::valid);
}

TEST(Jwt, Issuer) {
  json c = claims();
  c["iss"] = "someone-else";
  EXPECT_EQ(check(shim::jwt::sign(c, kSecret)), Verdict::wrong_issuer);
  c.erase("iss");
  EXPECT_EQ(check(shim::jwt::sign(c, kSecret)), Verdict::wrong_issuer);
  c["iss"] = json::array({"boxoffice"});
  EXPECT_EQ(check(shim::jwt::sign(c, kSecret)), Verdict::wrong_issuer);
}

TEST(Jwt, Audience) {
  json c = claims();
  c["aud"] = "another-service";
  EXPECT_EQ(check(shim::jwt::sign(c, kSecret)), Verdict::wrong_audience);
  c.erase("aud");
  EXPECT_EQ(check(shim::jwt::sign(c, kSecret)), Verdict::wrong_audience);
  c["aud"] = json::array({"another-service", "boxoffice"});
  EXPECT_EQ(check(shim::jwt::sign(c, kSecret)), Verdict::valid);
  c["aud"] = json::array({"another-service"});
  EXPECT_EQ(check(shim::jwt::sign(c, kSecret)), Verdict::wrong_audience);
  c["aud"] = json::array();
  EXPECT_EQ(check(shim::jwt::sign(c, kSecret)), Verdict::wrong_audience);
  c["aud"] = 7;
  EXPECT_EQ(check(shim::jwt::sign(c, kSecret)), Verdict::wrong_audience);
}

TEST(Jwt, CheckOrder) {
  // Expired, wrong issuer and wrong audience at once: expiry is reported.
  json c = claims(kNow - 1000);
  c["iss"] = "x";
  c["aud"] = "y";
  EXPECT_EQ(check(shim::jwt::sign(c, kSecret)), Verdict::expired);
  c["exp"] = kNow + 600;
  EXPECT_EQ(check(shim::jwt::sign(c, kSecret)), Verdict::wrong_issuer);
  // The algorithm is judged before the (here wrong) signature.
  EXPECT_EQ(check(forge(R"({"alg":"HS512"})", claims().dump(), "not-our-secret")), Verdict::wrong_algorithm);
}

TEST(Jwt, Malformed) {
  std::string token = shim::jwt::sign(claims(), kSecret);
  std::string h = part(token, 0), p = part(token, 1), s = part(token, 2);
  EXPECT_EQ(check(""), Verdict::malformed);
  EXPECT_EQ(check("garbage"), Verdict::malformed);
  EXPECT_EQ(check(h + "." + p), Verdict::malformed);                  // two parts
  EXPECT_EQ(check(token + "." + s), Verdict::malformed);              // four parts
  EXPECT_EQ(check("." + p + "." + s), Verdict::malformed);            // empty header
  EXPECT_EQ(check(h + "!." + p + "." + s), Verdict::malformed);       // bad base64
  EXPECT_EQ(check(h + "." + p + "." + s + "="), Verdict::malformed);  // padded signature
  EXPECT_EQ(check(h + "." + p + "=." + s), Verdict::malformed);
  EXPECT_EQ(check(forge(std_header(), "[1,2]")), Verdict::malformed);      // payload not an object
  EXPECT_EQ(check(forge(std_header(), "\"claims\"")), Verdict::malformed);
  EXPECT_EQ(check(forge(std_header(), "{\"exp\":1")), Verdict::malformed);  // payload not JSON
  EXPECT_EQ(check(forge("alg=HS256", claims().dump())), Verdict::malformed);  // header not JSON
  EXPECT_EQ(check(forge("[\"HS256\"]", claims().dump())), Verdict::malformed);
  EXPECT_EQ(check(forge(std_header() + " x", claims().dump())), Verdict::malformed);
}

}  // namespace
