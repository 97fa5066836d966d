// Every problem a route can answer, for /openapi.json: the shim's own answers
// (they follow from the route's access, kind, inputs and method, as server.cpp
// and httplib give them) and the route's refusals (routes.cpp) under the status
// http_status_for_sqlstate gives them.
#pragma once

#include <map>
#include <set>
#include <string>

#include "routes.hpp"

namespace shim {

// status -> the problem codes answered with it. A code is a shim code
// ("invalid_token"), a SQLSTATE ("TK009"), or a SQLSTATE class ("22xxx").
std::map<int, std::set<std::string>> error_answers(const Route& route);

// A sentence about a code of error_answers, for people ("" for an unknown code).
std::string describe_error_code(const std::string& code);

// True for a SQLSTATE class such as "22xxx", which stands for every code of that class.
bool is_sqlstate_class(const std::string& code);

}  // namespace shim
