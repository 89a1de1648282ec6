// Request framing: bytes from a client, parsed as latchkeyd parses them.
//
// One input is a connection's byte stream. The first byte chooses how the
// bytes arrive (segment size 1..256, as TCP may split them); the rest is fed
// to Boost.Beast's request parser configured as src/http/internal/session.cc
// configures it (header limit 8 KiB, body limit 64 KiB: the defaults of
// max_header_bytes / max_body_bytes), request after request as on a
// keep-alive connection. Each head is first checked on its raw bytes by
// http::check_request_head() (src/http/framing.h) as the session does; each
// complete request then goes through latchkey's own checks (check_request
// below) and the router lookup.
//
// Properties: a request the framing check passed has at most one
// Content-Length or one Transfer-Encoding (then chunked, HTTP/1.1), one Host
// on HTTP/1.1, and a target of visible ASCII; a parsed body never exceeds
// the body limit; a chosen request
// id is 1-64 request-id characters and never secret-shaped; the redacted
// path never holds anything secret-shaped; a route match names its pattern.
#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/random.h"
#include "core/secret.h"
#include "fuzz_check.h"
#include "http/framing.h"
#include "http/internal/session.h"
#include "http/message.h"
#include "http/router.h"

namespace {

namespace bhttp = boost::beast::http;
using latchkey::http::Request;

constexpr std::size_t kMaxHeaderBytes = 8 * 1024;  // Config::max_header_bytes default
constexpr std::size_t kMaxBodyBytes = 64 * 1024;   // Config::max_body_bytes default
constexpr int kMaxRequestsPerInput = 8;

// A router with latchkeyd's route shapes (src/api/routes.cc): literals,
// {params}, one path with several methods.
const latchkey::http::Router& api_router() {
  static const latchkey::http::Router router = [] {
    latchkey::http::Router r;
    const auto ok = [](const Request&, const latchkey::http::PathParams&) {
      return latchkey::http::Response{};
    };
    constexpr std::string_view kRoutes[][2] = {
        {"POST", "/api/v1/account/token"},
        {"DELETE", "/api/v1/account/token"},
        {"GET", "/api/v1/account/me"},
        {"POST", "/api/v1/users"},
        {"GET", "/api/v1/users"},
        {"GET", "/api/v1/users/{id}"},
        {"PATCH", "/api/v1/users/{id}"},
        {"POST", "/api/v1/users/{id}/access-key"},
        {"DELETE", "/api/v1/users/{id}/tokens"},
        {"POST", "/api/v1/keys"},
        {"POST", "/api/v1/keys/{id}/deactivate"},
        {"PUT", "/api/v1/keys/{id}/limits"},
        {"DELETE", "/api/v1/keys/{id}/sessions/{session_id}"},
        {"GET", "/api/v1/audit/export"},
        {"POST", "/v1/authorize"},
        {"GET", "/v1/auth-request"},
        {"POST", "/v2/auth/token/access"},
        {"POST", "/auth/login"},
        {"GET", "/.well-known/jwks.json"},
        {"POST", "/oauth/token"},
        {"GET", "/healthz"},
    };
    for (const auto& [method, pattern] : kRoutes) {
      r.add(std::string(method), std::string(pattern), latchkey::http::Dispatch::kInline, ok);
    }
    return r;
  }();
  return router;
}

// Deterministic, so that a replayed input behaves the same every time.
class CountingRandom final : public latchkey::Random {
 public:
  void fill(std::span<std::uint8_t> out) override {
    for (auto& b : out) b = static_cast<std::uint8_t>(++counter_);
  }

 private:
  std::uint8_t counter_ = 0;
};

bool is_request_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// latchkey's own checks of one complete request, in the order the session
// applies them before dispatch.
// `header_section`: the message's fields as they were when the head was
// parsed; a chunked body's trailer fields come later, Beast inserts them
// among the others, and the session drops them (to_request()).
void check_request(const bhttp::request<bhttp::string_body>& message,
                   const latchkey::http::HeaderList& header_section) {
  FUZZ_CHECK(message.body().size() <= kMaxBodyBytes);

  // Only heads that http::check_request_head() passed get here: what Beast
  // then read must be framed as RFC 9112 requires (no smuggling forms).
  std::size_t hosts = 0;
  std::size_t lengths = 0;
  std::size_t encodings = 0;
  for (const auto& field : header_section) {
    hosts += latchkey::http::iequals(field.name, "Host") ? 1 : 0;
    lengths += latchkey::http::iequals(field.name, "Content-Length") ? 1 : 0;
    encodings += latchkey::http::iequals(field.name, "Transfer-Encoding") ? 1 : 0;
  }
  FUZZ_CHECK(lengths <= 1 && encodings <= 1 && (lengths == 0 || encodings == 0));
  if (encodings == 1) FUZZ_CHECK(message.version() == 11 && message.chunked());
  if (message.version() == 11) FUZZ_CHECK(hosts == 1);
  for (unsigned char c : message.target()) FUZZ_CHECK(c > 0x20 && c < 0x7f);

  Request request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  request.headers = header_section;
  request.body = message.body();

  CountingRandom random;
  const std::string id =
      latchkey::http::internal::choose_request_id(message["X-Request-Id"], random);
  FUZZ_CHECK(!id.empty() && id.size() <= 64);
  for (char c : id) FUZZ_CHECK(is_request_id_char(c));
  FUZZ_CHECK(!latchkey::contains_secret_like(id));

  // The access log and error logs print the redacted path only.
  FUZZ_CHECK(!latchkey::contains_secret_like(latchkey::redact_secrets(request.path())));
  (void)request.query();
  (void)request.header("Host");
  (void)request.header("Authorization");

  const auto match = api_router().match(request.method, request.path());
  if (match.handler != nullptr) FUZZ_CHECK(match.pattern != nullptr);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t segment = 1 + (data[0] & 0xff);  // 1..256 bytes per read
  std::string_view rest = latchkey::fuzz::as_text(data + 1, size - 1);

  std::string buffer;  // what the session's flat_buffer holds
  for (int n = 0; n < kMaxRequestsPerInput && (!rest.empty() || !buffer.empty()); ++n) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(kMaxHeaderBytes));
    parser.body_limit(static_cast<std::uint64_t>(kMaxBodyBytes));
    // The head, as the session reads it: whole, then checked on its raw
    // bytes (http/framing.h) before Beast parses it.
    std::size_t head_end = std::string::npos;
    for (;;) {
      head_end = latchkey::http::find_head_end(buffer);
      if (head_end != std::string::npos) break;
      if (latchkey::http::check_head_prefix(buffer) != latchkey::http::FramingError::kNone) {
        return 0;  // 400 and close
      }
      if (buffer.size() >= kMaxHeaderBytes || rest.empty()) break;  // Beast answers 431 / EOF
      const std::size_t take = std::min(segment, rest.size());
      buffer.append(rest.substr(0, take));
      rest.remove_prefix(take);
    }
    if (head_end != std::string::npos &&
        !latchkey::http::check_request_head(std::string_view(buffer).substr(0, head_end)).ok()) {
      return 0;  // 400 and close
    }
    boost::system::error_code ec;
    latchkey::http::HeaderList header_section;
    bool header_seen = false;
    while (!parser.is_done()) {
      if (!buffer.empty()) {
        const std::size_t used = parser.put(boost::asio::buffer(buffer), ec);
        if (parser.is_header_done() && !header_seen) {
          header_seen = true;
          for (const auto& field : parser.get()) {
            header_section.add(field.name_string(), field.value());
          }
        }
        buffer.erase(0, used);
        if (ec == bhttp::error::need_more) {
          ec = {};
        } else if (ec) {
          return 0;  // the session answers 400/413/431 and closes
        } else if (used > 0) {
          continue;
        }
      }
      if (parser.is_done()) break;
      if (rest.empty()) {
        parser.put_eof(ec);  // the client closed the connection
        if (ec || !parser.is_done()) return 0;
        break;
      }
      const std::size_t take = std::min(segment, rest.size());
      buffer.append(rest.substr(0, take));
      rest.remove_prefix(take);
    }
    check_request(parser.get(), header_section);
    if (!parser.get().keep_alive()) return 0;  // the session closes after answering
  }
  return 0;
}
