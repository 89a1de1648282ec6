#include "agent/agent_http.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

namespace latchkey::agent {
namespace {

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::int64_t retry_after = 0;  // seconds; 0: no header
};

const char* status_text(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
  }
  return "Error";
}

Response error(int status, const std::string& code, const std::string& description,
               const std::string& reason = {}) {
  nlohmann::json body = {{"error", code}, {"error_description", description}};
  if (!reason.empty()) body["reason"] = reason;
  return Response{.status = status, .body = body.dump() + "\n"};
}

std::string serialize(const Response& response) {
  std::string out =
      "HTTP/1.1 " + std::to_string(response.status) + " " + status_text(response.status) + "\r\n";
  out += "Content-Type: " + response.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  out += "Cache-Control: no-store\r\n";
  if (response.status == 405) out += "Allow: GET\r\n";
  if (response.retry_after > 0) {
    out += "Retry-After: " + std::to_string(response.retry_after) + "\r\n";
  }
  out += "Connection: close\r\n\r\n";
  return out + response.body;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool wants_text(const std::string& accept) {
  return accept.find("text/plain") != std::string::npos &&
         accept.find("application/json") == std::string::npos;
}

Response token_response(const AgentRequest& request, const KeeperStatus& status, std::int64_t now) {
  if (!status.token) {
    std::string description;
    switch (status.state) {
      case TokenState::kNone:
        description = "the agent has not obtained a token yet";
        break;
      case TokenState::kSuperseded:
        description = "the agent's token was superseded by another issuer; a new one follows";
        break;
      case TokenState::kRefused:
        description = "the server refused the agent's token; a new one follows";
        break;
      case TokenState::kExpired:
        description = "the agent's token expired and no new one could be obtained yet";
        break;
      case TokenState::kValid:
        description = "no token";
        break;
    }
    Response response =
        error(503, "token_unavailable", description, token_state_name(status.state));
    response.retry_after = std::max<std::int64_t>(1, status.next_issue_at - now);
    return response;
  }
  if (wants_text(request.accept)) {
    return Response{.content_type = "text/plain; charset=utf-8",
                    .body = status.token->access_token + "\n"};
  }
  const nlohmann::json body = {{"access_token", status.token->access_token},
                               {"expires_at", status.token->expires_at_unix}};
  return Response{.body = body.dump() + "\n"};
}

}  // namespace

std::optional<AgentRequest> parse_agent_request(std::string_view head) {
  const std::size_t line_end = head.find("\r\n");
  if (line_end == std::string_view::npos) return std::nullopt;
  const std::string_view line = head.substr(0, line_end);
  const std::size_t first = line.find(' ');
  const std::size_t last = line.rfind(' ');
  if (first == std::string_view::npos || first == last) return std::nullopt;
  const std::string_view version = line.substr(last + 1);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return std::nullopt;
  AgentRequest request;
  request.method = std::string(line.substr(0, first));
  std::string_view target = line.substr(first + 1, last - first - 1);
  if (target.empty() || target.front() != '/') return std::nullopt;
  request.path = std::string(target.substr(0, target.find('?')));
  std::string_view rest = head.substr(line_end + 2);
  while (!rest.empty()) {
    const std::size_t end = rest.find("\r\n");
    const std::string_view field = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 2);
    if (field.empty()) break;
    const std::size_t colon = field.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    if (lower(field.substr(0, colon)) == "accept") {
      if (!request.accept.empty()) request.accept += ",";
      request.accept += lower(trim(field.substr(colon + 1)));
    }
  }
  return request;
}

std::string health_json(const KeeperStatus& status, std::int64_t now) {
  std::string overall = "ok";
  if (!status.token) {
    overall = "unavailable";
  } else if (status.last_check_failed ||
             (status.last_superseded &&
              now - status.last_superseded->detected_at < kRecentSupersedeSeconds)) {
    overall = "degraded";
  }
  nlohmann::json body = {
      {"status", overall},
      {"token_state", token_state_name(status.state)},
      {"issued_total", status.issued_total},
      {"issue_failures_total", status.issue_failures_total},
      {"checks_total", status.checks_total},
      {"check_failures_total", status.check_failures_total},
      {"superseded_total", status.superseded_total},
      {"refused_total", status.refused_total},
      {"sink_failures_total", status.sink_failures_total},
      {"last_check_failed", status.last_check_failed},
      {"last_error", status.last_error},
  };
  const auto time_or_null = [](std::int64_t t) { return t > 0 ? nlohmann::json(t) : nullptr; };
  body["token_expires_at"] = status.token ? nlohmann::json(status.token->expires_at_unix) : nullptr;
  body["token_issued_at"] = time_or_null(status.issued_at);
  body["token_refresh_at"] = status.token ? time_or_null(status.refresh_at) : nullptr;
  body["next_issue_at"] = status.token ? nullptr : time_or_null(status.next_issue_at);
  body["last_check_ok_at"] = time_or_null(status.last_check_ok_at);
  if (status.last_superseded) {
    const SupersedeInfo& s = *status.last_superseded;
    body["last_superseded"] = {{"detected_at", s.detected_at},
                               {"superseded_at", s.at},
                               {"by_client_id", s.by_client_id},
                               {"by_ip", s.by_ip},
                               {"by_user_agent", s.by_user_agent}};
  } else {
    body["last_superseded"] = nullptr;
  }
  return body.dump() + "\n";
}

std::string answer_agent_request(std::string_view received, bool complete,
                                 const KeeperStatus& status, std::int64_t now) {
  if (!complete) {
    if (received.size() > kMaxRequestHeadBytes) {
      return serialize(error(431, "headers_too_large", "the request head exceeds 8 KiB"));
    }
    return serialize(error(400, "invalid_request", "incomplete HTTP request"));
  }
  const auto request = parse_agent_request(received);
  if (!request) return serialize(error(400, "invalid_request", "not an HTTP/1.x request"));
  if (request->path != "/token" && request->path != "/healthz") {
    return serialize(error(404, "not_found", "the agent serves GET /token and GET /healthz"));
  }
  if (request->method != "GET" && request->method != "HEAD") {
    return serialize(error(405, "method_not_allowed", "only GET is served"));
  }
  Response response;
  if (request->path == "/healthz") {
    response.body = health_json(status, now);
    response.status = status.token ? 200 : 503;
  } else {
    response = token_response(*request, status, now);
  }
  std::string out = serialize(response);
  if (request->method == "HEAD") out.resize(out.size() - response.body.size());
  return out;
}

}  // namespace latchkey::agent
