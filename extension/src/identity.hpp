// Who the customer is (README: Security, "Identity"). The SQL API trusts the
// application to name its customer: a user_id argument. Over HTTP the shim
// sets request.jwt.claims, for the request's transaction, to the claims of
// the token it verified, and then the claims decide: the customer is their
// "sub" (nobody, for a guest), and an argument that names anyone else is
// refused. So a request can only ever act for the user its token names.
#pragma once

#include <cstdint>
#include <optional>

namespace boxoffice {

// The user the call acts for, given the user_id argument it was passed.
std::optional<int64_t> acting_user(std::optional<int64_t> named);

}  // namespace boxoffice
