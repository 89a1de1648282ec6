// A tiny blocking HTTP client for tests (libcurl). One HttpClient per thread.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace latchkey::testing {

struct HttpResult {
  long status = 0;                             // 0: transport error
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string error;  // transport error text

  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "" : it->second;
  }
};

class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpResult send(const std::string& method, const std::string& url,
                  const std::vector<std::string>& headers = {}, const std::string& body = "");

  // Connect from this local address (e.g. the loopback alias "127.0.0.2",
  // another client to a server on 127.0.0.1); empty: the system's choice.
  void set_source_address(std::string address) { source_address_ = std::move(address); }

 private:
  void* curl_;
  std::string source_address_;
};

}  // namespace latchkey::testing
