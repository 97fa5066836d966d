// The arguments of SQL-callable functions, as C++ values (NULL: nullopt).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

extern "C" {
#include "postgres.h"
#include "fmgr.h"
}

namespace boxoffice {

std::optional<int64_t> arg_int64(FunctionCallInfo fcinfo, int n);
std::optional<std::string> arg_text(FunctionCallInfo fcinfo, int n);
// A one-dimensional bigint[]: its non-null elements; *has_nulls says if any was NULL.
std::vector<int64_t> arg_int64_array(FunctionCallInfo fcinfo, int n, bool* has_nulls);

}  // namespace boxoffice
