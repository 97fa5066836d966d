// Base64url without padding (RFC 7515 section 2), the encoding of the three
// parts of a JWT. Decoding is strict: a part that is not the one canonical
// encoding of its bytes is refused, so the token's text cannot be varied.
#pragma once

#include <string>

namespace shim::jwt {

std::string base64url_encode(const std::string& bytes);

// False for anything but unpadded base64url whose unused trailing bits are zero.
bool base64url_decode(const std::string& text, std::string* bytes);

}  // namespace shim::jwt
