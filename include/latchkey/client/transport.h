// How the client library speaks HTTP. Transport is the one seam between the
// library and the network: the token source and Client only ever call
// Transport::send, so tests substitute a scripted fake
// (tests/support/fake_transport.h) and never open a socket.
//
// make_curl_transport() is the production implementation (libcurl). It keeps
// one CURL easy handle, so connections are kept alive and reused between
// requests; requests on one transport are serialised by a mutex.
// Implementations must be thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "latchkey/client/error.h"

namespace latchkey::client {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;  // "GET", "POST", "PATCH", "DELETE", ...
  std::string url;     // absolute, e.g. "http://127.0.0.1:8080/api/v1/account/me"
  Headers headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  Headers headers;
  std::string body;

  // The first header called `name` (case-insensitive), if any.
  std::optional<std::string> header(std::string_view name) const;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Sends `request` and returns whatever the server answered, whatever its
  // status. Fails (ErrorKind::kTransport) only when no HTTP response was
  // received: connection refused, TLS failure, timeout, oversized response.
  virtual Result<HttpResponse> send(const HttpRequest& request) = 0;
};

struct TransportOptions {
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds timeout{30'000};  // whole request
  // TLS peer and host verification. Only turn it off for a self-signed
  // certificate on loopback during development.
  bool verify_tls = true;
  std::string ca_file;  // PEM bundle to trust instead of the system store
  std::string user_agent = "latchkey-client/0.1";
  std::size_t max_response_bytes = std::size_t{8} << 20;
};

// A libcurl transport. Only http and https are allowed, redirects are never
// followed (they would carry the Authorization header elsewhere), and
// nothing is written to stderr by curl.
std::unique_ptr<Transport> make_curl_transport(TransportOptions options = {});

}  // namespace latchkey::client
