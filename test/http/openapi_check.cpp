#include "openapi_check.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <limits>
#include <regex>
#include <sstream>
#include <vector>

namespace openapi_check {

namespace {
using json = nlohmann::json;

// Keywords that only describe; every other keyword must be checked below.
const std::set<std::string> kAnnotations = {"description", "example", "default", "title", "deprecated"};
const std::set<std::string> kChecked = {
    "$ref",     "type",      "nullable",  "enum",      "format",   "pattern",   "minLength",
    "maxLength", "minimum",  "maximum",   "items",     "minItems", "maxItems",  "uniqueItems",
    "properties", "required", "additionalProperties", "allOf", "anyOf", "oneOf"};

std::string escape_token(const std::string& token) {
  std::string out;
  for (char c : token) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

std::string type_of(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "integer";
    case json::value_t::number_float: return "number";
    case json::value_t::string: return "string";
    case json::value_t::array: return "array";
    case json::value_t::object: return "object";
    default: return "something else";
  }
}

bool is_integral(const json& v) {
  if (v.is_number_integer() || v.is_number_unsigned()) return true;
  if (!v.is_number_float()) return false;
  double d = v.get<double>();
  return std::isfinite(d) && std::floor(d) == d;
}

bool has_type(const json& v, const std::string& type) {
  if (type == "integer") return is_integral(v);
  if (type == "number") return v.is_number();
  if (type == "string") return v.is_string();
  if (type == "boolean") return v.is_boolean();
  if (type == "array") return v.is_array();
  if (type == "object") return v.is_object();
  return false;
}

size_t utf8_length(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// RFC 3339 date-time, as PostgreSQL's to_jsonb writes timestamptz.
bool is_date_time(const std::string& s) {
  static const std::regex rfc3339(
      R"(^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$)");
  return std::regex_match(s, rfc3339);
}

class Validator {
 public:
  explicit Validator(const json& document) : document_(document) {}

  std::optional<Mismatch> check(const json& value, const std::string& schema_path, const std::string& instance,
                                int depth = 0) const {
    const json* schema = resolve(schema_path);
    if (!schema) return Mismatch{instance, schema_path, "the schema does not exist"};
    return check(value, *schema, schema_path, instance, depth);
  }

 private:
  const json* resolve(const std::string& pointer) const {
    if (pointer.rfind("#", 0) != 0) return nullptr;
    try {
      json::json_pointer p(pointer.substr(1));
      return document_.contains(p) ? &document_.at(p) : nullptr;
    } catch (const json::exception&) {
      return nullptr;
    }
  }

  std::optional<Mismatch> check(const json& value, const json& schema, const std::string& at,
                                const std::string& instance, int depth) const {
    auto fail = [&](const std::string& keyword, const std::string& reason) {
      return std::optional<Mismatch>(Mismatch{instance, at + (keyword.empty() ? "" : "/" + keyword), reason});
    };
    if (depth > 64) return fail("", "schemas nest too deeply (a $ref cycle?)");
    if (!schema.is_object()) return fail("", "the schema is not an object");
    if (schema.contains("$ref")) {
      if (schema.size() != 1) return fail("$ref", "keywords beside $ref, which OpenAPI 3.0 ignores");
      if (!schema["$ref"].is_string()) return fail("$ref", "$ref is not a string");
      return check(value, schema["$ref"].get<std::string>(), instance, depth + 1);
    }
    for (auto& [keyword, _] : schema.items())
      if (!kChecked.count(keyword) && !kAnnotations.count(keyword))
        return fail(keyword, "the keyword " + keyword + " is not one this checker knows");

    if (value.is_null()) {
      if (schema.value("nullable", false)) return std::nullopt;
      if (schema.contains("type")) return fail("type", "null, but the schema is not nullable");
    }
    if (schema.contains("type")) {
      std::string type = schema["type"].get<std::string>();
      if (!has_type(value, type)) return fail("type", "expected " + type + ", got " + type_of(value));
    }
    if (schema.contains("enum")) {
      const json& options = schema["enum"];
      if (std::find(options.begin(), options.end(), value) == options.end())
        return fail("enum", value.dump() + " is not one of " + options.dump());
    }
    if (schema.contains("format")) {
      std::string format = schema["format"].get<std::string>();
      if (format == "date-time") {
        if (value.is_string() && !is_date_time(value.get<std::string>()))
          return fail("format", value.dump() + " is not an RFC 3339 date-time");
      } else if (format == "int64" || format == "int32") {
        if (is_integral(value)) {
          bool fits = value.is_number_unsigned()
                          ? value.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
                          : !value.is_number_float() || std::fabs(value.get<double>()) < 9.2e18;
          if (fits && format == "int32" && !value.is_number_float()) {
            bool in_range = value.is_number_unsigned() ? value.get<uint64_t>() <= INT32_MAX
                                                       : value.get<int64_t>() >= INT32_MIN && value.get<int64_t>() <= INT32_MAX;
            fits = in_range;
          }
          if (!fits) return fail("format", value.dump() + " does not fit " + format);
        }
      } else {
        return fail("format", "the format " + format + " is not one this checker knows");
      }
    }
    if (value.is_string()) {
      const std::string& text = value.get_ref<const std::string&>();
      if (schema.contains("pattern") &&
          !std::regex_search(text, std::regex(schema["pattern"].get<std::string>(), std::regex::ECMAScript)))
        return fail("pattern", value.dump() + " does not match " + schema["pattern"].get<std::string>());
      if (schema.contains("minLength") && utf8_length(text) < schema["minLength"].get<size_t>())
        return fail("minLength", "shorter than " + schema["minLength"].dump());
      if (schema.contains("maxLength") && utf8_length(text) > schema["maxLength"].get<size_t>())
        return fail("maxLength", "longer than " + schema["maxLength"].dump());
    }
    if (value.is_number()) {
      if (schema.contains("minimum") && value.get<double>() < schema["minimum"].get<double>())
        return fail("minimum", value.dump() + " is less than " + schema["minimum"].dump());
      if (schema.contains("maximum") && value.get<double>() > schema["maximum"].get<double>())
        return fail("maximum", value.dump() + " is more than " + schema["maximum"].dump());
    }
    if (value.is_array()) {
      if (schema.contains("minItems") && value.size() < schema["minItems"].get<size_t>())
        return fail("minItems", "fewer than " + schema["minItems"].dump() + " items");
      if (schema.contains("maxItems") && value.size() > schema["maxItems"].get<size_t>())
        return fail("maxItems", "more than " + schema["maxItems"].dump() + " items");
      if (schema.value("uniqueItems", false))
        for (size_t i = 0; i < value.size(); ++i)
          for (size_t j = i + 1; j < value.size(); ++j)
            if (value[i] == value[j]) return fail("uniqueItems", "items " + std::to_string(i) + " and " + std::to_string(j) + " are equal");
      if (schema.contains("items"))
        for (size_t i = 0; i < value.size(); ++i)
          if (auto m = check(value[i], schema["items"], at + "/items", instance + "/" + std::to_string(i), depth + 1))
            return m;
    }
    if (value.is_object()) {
      if (schema.contains("required"))
        for (const json& name : schema["required"])
          if (!value.contains(name.get<std::string>()))
            return fail("required", "the required property " + name.get<std::string>() + " is missing");
      const json no_properties = json::object();
      const json& properties = schema.contains("properties") ? schema["properties"] : no_properties;
      for (auto& [name, member] : value.items()) {
        std::string where = instance + "/" + escape_token(name);
        if (properties.contains(name)) {
          if (auto m = check(member, properties[name], at + "/properties/" + escape_token(name), where, depth + 1)) return m;
          continue;
        }
        if (!schema.contains("additionalProperties")) continue;
        const json& extra = schema["additionalProperties"];
        if (extra.is_boolean()) {
          if (!extra.get<bool>()) return fail("additionalProperties", "the property " + name + " is not documented");
        } else if (auto m = check(member, extra, at + "/additionalProperties", where, depth + 1)) {
          return m;
        }
      }
    }
    if (schema.contains("allOf"))
      for (size_t i = 0; i < schema["allOf"].size(); ++i)
        if (auto m = check(value, schema["allOf"][i], at + "/allOf/" + std::to_string(i), instance, depth + 1)) return m;
    for (const char* keyword : {"anyOf", "oneOf"}) {
      if (!schema.contains(keyword)) continue;
      int matched = 0;
      std::optional<Mismatch> first;
      for (size_t i = 0; i < schema[keyword].size(); ++i) {
        auto m = check(value, schema[keyword][i], at + "/" + keyword + "/" + std::to_string(i), instance, depth + 1);
        if (!m) ++matched;
        else if (!first) first = m;
      }
      if (matched == 0) return fail(keyword, "matches none of the schemas; the first says: " + first->text());
      if (matched > 1 && std::string(keyword) == "oneOf")
        return fail(keyword, "matches " + std::to_string(matched) + " of the schemas, not one");
    }
    return std::nullopt;
  }

  const json& document_;
};

std::vector<std::string> segments(const std::string& path) {
  std::vector<std::string> out;
  std::string segment;
  std::istringstream in(path);
  while (std::getline(in, segment, '/')) out.push_back(segment);
  return out;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string media_type(const std::string& content_type) {
  std::string m = lower(content_type.substr(0, content_type.find(';')));
  while (!m.empty() && m.back() == ' ') m.pop_back();
  return m;
}

bool is_json_media(const std::string& media) {
  return media == "application/json" ||
         (media.size() > 5 && media.compare(media.size() - 5, 5, "+json") == 0);
}

}  // namespace

std::string Mismatch::text() const {
  return "at " + (instance.empty() ? std::string("the body") : instance) + ": " + reason + " (schema " + schema + ")";
}

std::optional<Mismatch> validate(const json& document, const json& value, const std::string& schema_pointer) {
  try {
    return Validator(document).check(value, schema_pointer, "");
  } catch (const std::exception& e) {  // a keyword of the wrong JSON type, a bad pattern
    return Mismatch{"", schema_pointer, std::string("the schema cannot be read: ") + e.what()};
  }
}

Contract::Contract(json document) : document_(std::move(document)) {}

std::string Contract::path_template(const std::string& path) const {
  const std::vector<std::string> actual = segments(path.substr(0, path.find('?')));
  std::string best;
  int best_literals = -1;
  if (!document_.contains("paths")) return best;
  for (auto& [candidate, operations] : document_["paths"].items()) {
    std::vector<std::string> wanted = segments(candidate);
    if (wanted.size() != actual.size()) continue;
    bool matches = true;
    int literals = 0;
    for (size_t i = 0; i < wanted.size() && matches; ++i) {
      const std::string& w = wanted[i];
      if (w.size() > 2 && w.front() == '{' && w.back() == '}') {
        // an integer parameter takes digits only, as the server's routes do
        std::string name = w.substr(1, w.size() - 2);
        bool integer = false;
        for (auto& [method, op] : operations.items())
          if (op.is_object() && op.contains("parameters"))
            for (const json& p : op["parameters"])
              if (p.value("name", "") == name && p.value("in", "") == "path" && p.contains("schema"))
                integer = p["schema"].value("type", "") == "integer";
        const std::string& a = actual[i];
        matches = !a.empty() && (!integer || std::all_of(a.begin(), a.end(), [](char c) { return c >= '0' && c <= '9'; }));
      } else {
        matches = w == actual[i];
        ++literals;
      }
    }
    if (matches && literals > best_literals) {
      best = candidate;
      best_literals = literals;
    }
  }
  return best;
}

std::optional<std::string> Contract::check(const Response& r) const {
  const std::string method = lower(r.method);
  const std::string name = r.method + " " + r.path + " answered " + std::to_string(r.status);
  const std::string media = media_type(r.content_type);
  const std::string path = path_template(r.path);

  auto parse_body = [&](json* out) -> std::optional<std::string> {
    *out = json::parse(r.body, nullptr, false);
    if (out->is_discarded()) return name + ": the " + media + " body is not JSON";
    return std::nullopt;
  };

  if (path.empty() || !document_["paths"][path].contains(method)) {
    // Not an operation of the document: still an answer of this API, a Problem.
    if (media != "application/problem+json")
      return name + " (not a documented operation): expected application/problem+json, got '" + r.content_type + "'";
    json body;
    if (auto e = parse_body(&body)) return e;
    if (auto m = validate(document_, body, "#/components/schemas/Problem")) return name + " (not a documented operation): " + m->text();
    if (body.value("status", 0) != r.status) return name + ": the Problem's status is " + body["status"].dump();
    return std::nullopt;
  }

  const std::string operation = "#/paths/" + escape_token(path) + "/" + method;
  const json& responses = document_["paths"][path][method]["responses"];
  std::string key = std::to_string(r.status);
  if (!responses.contains(key)) {
    std::string documented;
    for (auto& [status, _] : responses.items()) documented += (documented.empty() ? "" : ", ") + status;
    return name + ": status " + key + " is not documented for " + r.method + " " + path + " (documented: " + documented +
           "; schema " + operation + "/responses)";
  }
  const std::string at = operation + "/responses/" + key;
  const json& response = responses[key];

  if (response.contains("headers"))
    for (auto& [header, spec] : response["headers"].items()) {
      const json* resolved = &spec;
      if (spec.contains("$ref")) {
        std::string ref = spec["$ref"].get<std::string>();
        json::json_pointer p(ref.substr(1));
        if (!document_.contains(p)) return name + ": the header " + ref + " does not exist";
        resolved = &document_.at(p);
      }
      if (resolved->value("required", false) && !r.header_names.count(lower(header)))
        return name + ": the required header " + header + " is missing (schema " + at + "/headers/" + escape_token(header) + ")";
    }

  if (!response.contains("content")) {
    if (!r.body.empty()) return name + ": documented without a body, but it has one";
    return std::nullopt;
  }
  if (!response["content"].contains(media)) {
    std::string documented;
    for (auto& [type, _] : response["content"].items()) documented += (documented.empty() ? "" : ", ") + type;
    return name + ": content type '" + r.content_type + "' is not documented (documented: " + documented + "; schema " +
           at + "/content)";
  }
  const std::string schema = at + "/content/" + escape_token(media) + "/schema";
  json body;
  if (is_json_media(media)) {
    if (auto e = parse_body(&body)) return e;
  } else if (media.rfind("text/", 0) == 0) {
    body = r.body;
  } else {
    return name + ": cannot check a body of type " + media;
  }
  if (auto m = validate(document_, body, schema)) return name + ": " + m->text();
  return std::nullopt;
}

}  // namespace openapi_check
