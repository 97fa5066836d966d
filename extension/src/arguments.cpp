#include "arguments.hpp"

#include "errors.hpp"
#include "guard.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
}

namespace boxoffice {

std::optional<int64_t> arg_int64(FunctionCallInfo fcinfo, int n) {
  if (PG_ARGISNULL(n)) return std::nullopt;
  return PG_GETARG_INT64(n);
}

std::optional<std::string> arg_text(FunctionCallInfo fcinfo, int n) {
  if (PG_ARGISNULL(n)) return std::nullopt;
  char* s = pg_call([&] { return text_to_cstring(PG_GETARG_TEXT_PP(n)); });
  return std::string(s);
}

std::vector<int64_t> arg_int64_array(FunctionCallInfo fcinfo, int n, bool* has_nulls) {
  *has_nulls = false;
  if (PG_ARGISNULL(n)) return {};
  Datum* elems = nullptr;
  bool* elem_nulls = nullptr;
  int count = 0;
  ArrayType* array = pg_call([&] { return PG_GETARG_ARRAYTYPE_P(n); });
  if (ARR_NDIM(array) > 1)
    throw Error(sqlstate::invalid_argument, "seat ids must be a flat list", "Pass a one-dimensional array such as ARRAY[1,2,3].");
  pg_call([&] { deconstruct_array(array, INT8OID, sizeof(int64), true, TYPALIGN_DOUBLE, &elems, &elem_nulls, &count); });
  std::vector<int64_t> out;
  out.reserve(count);
  for (int i = 0; i < count; i++) {
    if (elem_nulls[i])
      *has_nulls = true;
    else
      out.push_back(DatumGetInt64(elems[i]));
  }
  return out;
}

}  // namespace boxoffice
