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

 private:
  void* curl_;
};

}  // namespace latchkey::testing
