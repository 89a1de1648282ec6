// A gtest fixture owning one latchkeyd per test, with helpers for the seed
// flows. Each helper asserts transport success and returns parsed JSON.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "support/latchkeyd_process.h"

namespace latchkey::testing {

using Json = nlohmann::json;

struct Credentials {
  std::string user_id;
  std::string client_id;
  std::string client_secret;
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override;
  virtual std::vector<std::string> server_args() { return {}; }

  HttpResult get(const std::string& path, const std::vector<std::string>& headers = {});
  HttpResult post(const std::string& path, const std::vector<std::string>& headers = {},
                  const std::string& body = "");
  HttpResult send(const std::string& method, const std::string& path,
                  const std::vector<std::string>& headers = {}, const std::string& body = "");

  // POST /api/v1/account/token with Basic credentials.
  HttpResult issue(const std::string& client_id, const std::string& secret,
                   const std::string& user_agent = "latchkey-tests");
  // The access token of a successful issue (fails the test otherwise).
  std::string issue_token(const Credentials& c, const std::string& user_agent = "latchkey-tests");
  HttpResult me(const std::string& token);

  const std::string& admin_token();
  Credentials admin() const;
  // Creates a user as admin and gives it credentials (service: admin reset;
  // human: enrolment). Returns its id and credentials.
  Credentials create_user_with_credentials(const std::string& name, const std::string& type,
                                           bool api_access);
  std::string create_user(const std::string& name, const std::string& type, bool api_access);
  HttpResult patch_user(const std::string& id, const std::string& body);

  static Json json_of(const HttpResult& r);

  std::unique_ptr<LatchkeydProcess> server_;
  HttpClient http_;
  std::string admin_token_;
};

}  // namespace latchkey::testing
