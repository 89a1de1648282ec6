#include "events/webhook_payload.h"

#include <nlohmann/json.hpp>

namespace latchkey::events {

std::string data_json(const Event& event) {
  nlohmann::ordered_json data = nlohmann::ordered_json::object();
  for (const auto& [name, value] : event.data) data[name] = value;
  return data.dump();
}

std::string webhook_body(std::string_view id, std::string_view type, Instant occurred_at,
                         std::string_view data_json) {
  nlohmann::ordered_json body;
  body["id"] = id;
  body["type"] = type;
  body["occurred_at"] = format_rfc3339(occurred_at);
  // Stored by data_json(); an unreadable row still delivers, with no data.
  auto data = nlohmann::ordered_json::parse(data_json, nullptr, false);
  body["data"] = data.is_object() ? std::move(data) : nlohmann::ordered_json::object();
  return body.dump();
}

}  // namespace latchkey::events
