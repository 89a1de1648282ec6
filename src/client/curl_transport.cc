// The libcurl Transport. One easy handle per transport, reset before every
// request but kept alive in between, so that libcurl's connection cache
// reuses the TCP/TLS connection (keep-alive). A mutex serialises requests.
#include <curl/curl.h>

#include <algorithm>
#include <memory>
#include <mutex>

#include "client/internal/redact.h"
#include "latchkey/client/transport.h"

namespace latchkey::client {
namespace {

void global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

ClientError transport_error(std::string description) {
  ClientError error;
  error.kind = ErrorKind::kTransport;
  error.description = internal::mask_secret_like(description);
  return error;
}

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

struct Exchange {
  HttpResponse response;
  std::size_t max_body = 0;
  bool body_too_large = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* exchange = static_cast<Exchange*>(user);
  const std::size_t n = size * count;
  if (exchange->response.body.size() + n > exchange->max_body) {
    exchange->body_too_large = true;
    return 0;  // makes curl abort with CURLE_WRITE_ERROR
  }
  exchange->response.body.append(data, n);
  return n;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* exchange = static_cast<Exchange*>(user);
  const std::size_t n = size * count;
  const std::string_view line(data, n);
  if (line.starts_with("HTTP/")) {
    exchange->response.headers.clear();  // a new response (after 100 Continue)
  } else if (const auto colon = line.find(':'); colon != std::string_view::npos) {
    exchange->response.headers.emplace_back(trim(line.substr(0, colon)),
                                            trim(line.substr(colon + 1)));
  }
  return n;
}

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

// Appends `line` to `list`; false (list unchanged) when out of memory.
bool append(Slist& list, const std::string& line) {
  curl_slist* head = curl_slist_append(list.get(), line.c_str());
  if (head == nullptr) return false;
  static_cast<void>(list.release());
  list.reset(head);
  return true;
}

class CurlTransport final : public Transport {
 public:
  explicit CurlTransport(TransportOptions options) : options_(std::move(options)) {
    global_init_once();
    handle_ = curl_easy_init();
  }
  ~CurlTransport() override {
    if (handle_ != nullptr) curl_easy_cleanup(handle_);
  }
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  Result<HttpResponse> send(const HttpRequest& request) override {
    std::lock_guard lock(mu_);
    if (handle_ == nullptr) return std::unexpected(transport_error("libcurl failed to start"));
    CURL* curl = handle_;
    curl_easy_reset(curl);  // clears options, keeps the connection cache

    Exchange exchange;
    exchange.max_body = options_.max_response_bytes;
    char error_buffer[CURL_ERROR_SIZE] = {};

    Slist headers;
    bool appended = true;
    for (const auto& [name, value] : request.headers) {
      appended = appended && append(headers, name + ": " + value);
    }
    // No "Expect: 100-continue" round trip for small JSON bodies.
    appended = appended && append(headers, "Expect:");
    if (!appended) return std::unexpected(transport_error("out of memory"));

    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options_.connect_timeout.count()));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
    if (!options_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
    curl_easy_setopt(curl, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &exchange);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &exchange);

    if (request.method == "GET" && request.body.empty()) {
      curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    } else if (request.method == "HEAD") {
      curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else {
      // POSTFIELDS makes curl send the body (even an empty one, with
      // Content-Length: 0); CUSTOMREQUEST then sets the verb.
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
      if (request.method != "POST") {
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
      }
    }

    const CURLcode code = curl_easy_perform(curl);
    // Drop pointers into this stack frame before anything else can use them.
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
    if (exchange.body_too_large) {
      return std::unexpected(transport_error(
          "the response is larger than " + std::to_string(options_.max_response_bytes) + " bytes"));
    }
    if (code != CURLE_OK) {
      std::string description = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
      return std::unexpected(
          transport_error("cannot reach " + origin_of(request.url) + ": " + description));
    }
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    exchange.response.status = static_cast<int>(status);
    return std::move(exchange.response);
  }

 private:
  // scheme://host:port only, so that an error never repeats a query string
  // or userinfo.
  static std::string origin_of(const std::string& url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string::npos) return "the server";
    auto host_start = scheme_end + 3;
    auto host_end = url.find_first_of("/?#", host_start);
    std::string authority = url.substr(
        host_start, host_end == std::string::npos ? std::string::npos : host_end - host_start);
    if (const auto at = authority.rfind('@'); at != std::string::npos) {
      authority = authority.substr(at + 1);
    }
    return url.substr(0, host_start) + authority;
  }

  const TransportOptions options_;
  std::mutex mu_;
  CURL* handle_ = nullptr;  // guarded by mu_
};

}  // namespace

std::unique_ptr<Transport> make_curl_transport(TransportOptions options) {
  return std::make_unique<CurlTransport>(std::move(options));
}

}  // namespace latchkey::client
