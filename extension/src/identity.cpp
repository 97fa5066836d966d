#include "identity.hpp"

#include <string>

#include "arguments.hpp"
#include "guard.hpp"

extern "C" {
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
}

namespace boxoffice {
namespace {

struct ClaimedUser {
  bool has_claims = false;         // request.jwt.claims is set: an HTTP request
  std::optional<int64_t> user_id;  // its "sub", if any
};

ClaimedUser claimed_user() {
  struct Read {
    bool has_claims;
    bool has_sub;
    int64 sub;
  };
  Read read = pg_call([] {
    Read r{false, false, 0};
    const char* claims = GetConfigOption("request.jwt.claims", true, false);
    if (claims == nullptr || claims[0] == '\0') return r;
    r.has_claims = true;
    Jsonb* json = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(claims)));
    if (!JB_ROOT_IS_OBJECT(json)) return r;
    JsonbValue value;
    if (getKeyJsonValueFromContainer(&json->root, "sub", 3, &value) == nullptr) return r;
    if (value.type == jbvString) {
      char* text = pnstrdup(value.val.string.val, value.val.string.len);
      r.sub = pg_strtoint64(text);
      r.has_sub = true;
    } else if (value.type == jbvNumeric) {
      r.sub = DatumGetInt64(DirectFunctionCall1(numeric_int8, NumericGetDatum(value.val.numeric)));
      r.has_sub = true;
    }
    return r;
  });
  ClaimedUser c;
  c.has_claims = read.has_claims;
  if (read.has_sub) c.user_id = read.sub;
  return c;
}

Datum acting_user_sql(FunctionCallInfo fcinfo) {
  std::optional<int64_t> user = acting_user(arg_int64(fcinfo, 0));
  if (!user) {
    fcinfo->isnull = true;
    return Datum(0);
  }
  return Int64GetDatum(*user);
}

}  // namespace

std::optional<int64_t> acting_user(std::optional<int64_t> named) {
  ClaimedUser claimed = claimed_user();
  if (!claimed.has_claims) return named;
  if (named && named != claimed.user_id)
    throw Error(ERRCODE_INSUFFICIENT_PRIVILEGE, "user_id is not the user of this request",
                "This request carries verified claims (request.jwt.claims) and acts for " +
                    (claimed.user_id ? "user " + std::to_string(*claimed.user_id) : std::string("a guest")) +
                    " only; it named user " + std::to_string(*named) + ".",
                "Leave user_id out: the claims name the customer.");
  return claimed.user_id;
}

}  // namespace boxoffice

extern "C" {
PG_FUNCTION_INFO_V1(boxoffice_acting_user);
Datum boxoffice_acting_user(PG_FUNCTION_ARGS) { return boxoffice::call_sql_function(fcinfo, boxoffice::acting_user_sql); }
}
