// JSON in and out for handlers: parse a request body into an object with
// clear 400s, read typed fields, and build JSON responses. Only handler .cc
// files include this (it pulls in nlohmann/json).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "http/message.h"

namespace latchkey::api {

using Json = nlohmann::json;

// The body as a JSON object. An empty body is an empty object when
// `allow_empty`. kInvalidRequest for anything that is not a JSON object.
Result<Json> parse_object_body(const http::Request& request, bool allow_empty = false);

// Typed optional fields: absent or null -> nullopt; wrong type -> kInvalidRequest naming the field.
Result<std::optional<bool>> optional_bool(const Json& object, std::string_view key);
Result<std::optional<std::string>> optional_string(const Json& object, std::string_view key);
Result<std::optional<std::int64_t>> optional_int(const Json& object, std::string_view key);
// kInvalidRequest when a key other than `allowed` is present (catches typos
// like "api_acess" that would otherwise be silently ignored).
Status reject_unknown_fields(const Json& object, std::initializer_list<std::string_view> allowed);

http::Response json_response(int status, const Json& body);

// Runs `body` and turns an Error into the standard error response.
http::Response respond(Result<http::Response> result);

}  // namespace latchkey::api
