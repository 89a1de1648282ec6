// JSON request bodies of the API (src/api/json_io.cc): the shared body
// parser, then the field checks of a few request schemas as the handlers
// run them (POST /v1/authorize, POST /api/v1/keys, POST /auth/login,
// PUT /api/v1/keys/{id}/limits, POST /api/v1/users). The first byte picks
// the schema; the rest is the body.
//
// Properties: a refusal is kInvalidRequest, answered 400 with a valid JSON
// body; an accepted body is a JSON object that the response writer renders
// back to an equal value; a schema accepts only its own member names, and
// a typed field only with its JSON type.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/json_io.h"
#include "fuzz_check.h"
#include "http/error_response.h"
#include "policy/decision.h"

namespace {

using latchkey::Status;
using latchkey::api::Json;

void check_refusal(const latchkey::Error& error) {
  FUZZ_CHECK(error.code == latchkey::ErrorCode::kInvalidRequest);
  const auto response = latchkey::http::error_response(error);
  FUZZ_CHECK(response.status == 400);
  FUZZ_CHECK(Json::parse(response.body, nullptr, false).is_object());
}

// Reads `name` with its type; true when present with that type.
template <class Read>
bool typed(const Json& body, std::string_view name, Read read, bool (Json::*is_type)() const) {
  const auto value = read(body, name);
  const auto it = body.find(name);
  const bool present = it != body.end() && !it->is_null();
  if (!value) {
    check_refusal(value.error());
    FUZZ_CHECK(present && !((*it).*is_type)());
    return false;
  }
  FUZZ_CHECK(value->has_value() == present);
  return present;
}

bool string_field(const Json& body, std::string_view name) {
  return typed(body, name, latchkey::api::optional_string, &Json::is_string);
}
bool int_field(const Json& body, std::string_view name) {
  return typed(body, name, latchkey::api::optional_int, &Json::is_number_integer);
}
bool bool_field(const Json& body, std::string_view name) {
  return typed(body, name, latchkey::api::optional_bool, &Json::is_boolean);
}

// A schema's member names, as reject_unknown_fields is called with them.
bool only_known(const Json& body, const Status& status,
                std::initializer_list<std::string_view> allowed) {
  bool all_known = true;
  for (const auto& [key, value] : body.items()) {
    bool known = false;
    for (std::string_view a : allowed) known = known || key == a;
    all_known = all_known && known;
  }
  FUZZ_CHECK(status.has_value() == all_known);
  if (!status) check_refusal(status.error());
  return all_known;
}

void check_schema(int which, const Json& body) {
  using latchkey::api::reject_unknown_fields;
  switch (which) {
    case 0: {  // POST /v1/authorize
      if (!only_known(body,
                      reject_unknown_fields(body, {"action", "application", "steps", "admin_data"}),
                      {"action", "application", "steps", "admin_data"})) {
        return;
      }
      if (string_field(body, "action")) {
        const std::string action = body["action"].get<std::string>();
        if (const auto parsed = latchkey::policy::parse_action(action)) {
          FUZZ_CHECK(latchkey::policy::to_string(*parsed) == action);
        }
      }
      string_field(body, "application");
      bool_field(body, "admin_data");
      return;
    }
    case 1:  // POST /api/v1/keys
      if (!only_known(
              body,
              reject_unknown_fields(body, {"name", "role", "scope", "expires_in_days", "user_id"}),
              {"name", "role", "scope", "expires_in_days", "user_id"})) {
        return;
      }
      string_field(body, "user_id");
      string_field(body, "name");
      string_field(body, "role");
      string_field(body, "scope");
      int_field(body, "expires_in_days");
      return;
    case 2:  // POST /auth/login
      if (!only_known(body, reject_unknown_fields(body, {"api_key", "session_id"}),
                      {"api_key", "session_id"})) {
        return;
      }
      string_field(body, "api_key");
      string_field(body, "session_id");
      return;
    case 3:  // PUT /api/v1/keys/{id}/limits
      if (!only_known(body,
                      reject_unknown_fields(body, {"requests_per_minute", "concurrent_per_route"}),
                      {"requests_per_minute", "concurrent_per_route"})) {
        return;
      }
      int_field(body, "requests_per_minute");
      int_field(body, "concurrent_per_route");
      return;
    default:  // POST /api/v1/users
      if (!only_known(body, reject_unknown_fields(body, {"name", "type", "api_access"}),
                      {"name", "type", "api_access"})) {
        return;
      }
      string_field(body, "name");
      string_field(body, "type");
      bool_field(body, "api_access");
      return;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  latchkey::http::Request request;
  request.method = "POST";
  request.target = "/";
  request.body.assign(reinterpret_cast<const char*>(data + 1), size - 1);

  const bool allow_empty = (data[0] & 0x80) != 0;
  const auto body = latchkey::api::parse_object_body(request, allow_empty);
  if (!body) {
    check_refusal(body.error());
    return 0;
  }
  FUZZ_CHECK(body->is_object());
  if (request.body.empty()) FUZZ_CHECK(allow_empty && body->empty());

  const auto response = latchkey::api::json_response(200, *body);
  FUZZ_CHECK(response.status == 200);
  FUZZ_CHECK(Json::parse(response.body, nullptr, false) == *body);

  check_schema(data[0] % 5, *body);
  return 0;
}
