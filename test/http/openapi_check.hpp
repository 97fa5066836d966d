// Checks HTTP responses against an OpenAPI 3.0 document: the operation (by
// method and path template), the status, the content type, the required
// headers, and the body against a JSON Schema subset (type, properties,
// required, additionalProperties, items, nullable, enum, format date-time /
// int32 / int64, pattern, minimum/maximum, min/maxLength, min/maxItems,
// uniqueItems, $ref, allOf, anyOf, oneOf). A schema keyword outside that subset
// is reported as a mismatch, so nothing in the document goes unchecked.
#pragma once

#include <optional>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

namespace openapi_check {

struct Mismatch {
  std::string instance;  // where in the body, as a JSON pointer ("" for the body itself)
  std::string schema;    // the schema (keyword) that failed, as a JSON pointer into the document
  std::string reason;
  std::string text() const;  // "at /seats/0/price: expected integer (schema #/components/...)"
};

// Checks `value` against the schema at `schema_pointer` (e.g.
// "#/components/schemas/Booking") of `document`; nullopt when it conforms.
std::optional<Mismatch> validate(const nlohmann::json& document, const nlohmann::json& value,
                                 const std::string& schema_pointer);

struct Response {
  std::string method;        // of the request: GET, POST, ...
  std::string path;          // of the request, e.g. /v1/reservations/12?x=1
  int status = 0;
  std::string content_type;  // the Content-Type header, "" when absent
  std::string body;
  std::set<std::string> header_names;  // lower case
};

class Contract {
 public:
  explicit Contract(nlohmann::json document);
  const nlohmann::json& document() const { return document_; }

  // nullopt when the response is one the document promises for its request:
  // a documented operation answers a documented status with its content type,
  // headers and schema; any other request (unknown path or method) answers
  // a Problem whose status is the HTTP status.
  std::optional<std::string> check(const Response& response) const;

  // The path template (e.g. "/v1/reservations/{reservation_id}") that a
  // request path falls under, or "" for none.
  std::string path_template(const std::string& path) const;

 private:
  nlohmann::json document_;
};

}  // namespace openapi_check
