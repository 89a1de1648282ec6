#include "api/json_io.h"

#include <algorithm>

#include "core/redaction.h"
#include "http/error_response.h"

namespace latchkey::api {

Result<Json> parse_object_body(const http::Request& request, bool allow_empty) {
  if (request.body.empty()) {
    if (allow_empty) return Json::object();
    return fail(Error::invalid_request("a JSON object body is required"));
  }
  Json parsed = Json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return fail(Error::invalid_request("the body is not valid JSON"));
  if (!parsed.is_object()) return fail(Error::invalid_request("the body must be a JSON object"));
  return parsed;
}

namespace {

template <class T, class Check>
Result<std::optional<T>> optional_field(const Json& object, std::string_view key, Check is_type,
                                        const char* type_name) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::optional<T>{};
  if (!is_type(*it)) {
    return fail(Error::invalid_request("field \"" + std::string(key) + "\" must be " + type_name));
  }
  return std::optional<T>(it->template get<T>());
}

}  // namespace

Result<std::optional<bool>> optional_bool(const Json& object, std::string_view key) {
  return optional_field<bool>(
      object, key, [](const Json& j) { return j.is_boolean(); }, "a boolean");
}

Result<std::optional<std::string>> optional_string(const Json& object, std::string_view key) {
  return optional_field<std::string>(
      object, key, [](const Json& j) { return j.is_string(); }, "a string");
}

Result<std::optional<std::int64_t>> optional_int(const Json& object, std::string_view key) {
  return optional_field<std::int64_t>(
      object, key, [](const Json& j) { return j.is_number_integer(); }, "an integer");
}

Status reject_unknown_fields(const Json& object, std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : object.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      // The name is the client's: quoted only when short and not secret-shaped.
      return fail(Error::invalid_request("unknown field" + quoted_name(key)));
    }
  }
  return {};
}

http::Response json_response(int status, const Json& body) {
  return http::Response::json(status, body.dump(-1, ' ', false, Json::error_handler_t::replace));
}

http::Response respond(Result<http::Response> result) {
  if (result) return std::move(*result);
  return http::error_response(result.error());
}

}  // namespace latchkey::api
