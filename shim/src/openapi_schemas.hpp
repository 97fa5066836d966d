// The shared schemas of /openapi.json (components/schemas): what the SQL
// functions answer, as to_jsonb and jsonb_build_object serialise it.
#pragma once

#include <nlohmann/json.hpp>

namespace shim {

// name -> schema (OpenAPI 3.0). Routes name them in their `answer`.
nlohmann::json openapi_schemas();

}  // namespace shim
