// The OpenAPI 3 document of the REST API, generated from the route table:
// every route with its request body, its success answer, and every problem
// it can answer (route_errors.hpp), with the headers that matter.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace shim {

nlohmann::json openapi_json();

// openapi_json(), serialised: what GET /openapi.json and --print-openapi send.
std::string openapi_document();

}  // namespace shim
