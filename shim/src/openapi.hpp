// The OpenAPI 3 document of the REST API, generated from the route table.
#pragma once

#include <string>

namespace shim {

std::string openapi_document();

}  // namespace shim
