#include "integration/server_fixture.h"

namespace latchkey::testing {

void ServerTest::SetUp() { server_ = std::make_unique<LatchkeydProcess>(server_args()); }

HttpResult ServerTest::send(const std::string& method, const std::string& path,
                            const std::vector<std::string>& headers, const std::string& body) {
  HttpResult r = http_.send(method, server_->url() + path, headers, body);
  EXPECT_NE(r.status, 0) << method << " " << path << ": " << r.error;
  return r;
}

HttpResult ServerTest::get(const std::string& path, const std::vector<std::string>& headers) {
  return send("GET", path, headers);
}

HttpResult ServerTest::post(const std::string& path, const std::vector<std::string>& headers,
                            const std::string& body) {
  return send("POST", path, headers, body);
}

HttpResult ServerTest::issue(const std::string& client_id, const std::string& secret,
                             const std::string& user_agent) {
  return post("/api/v1/account/token",
              {basic_header(client_id, secret), "User-Agent: " + user_agent});
}

std::string ServerTest::issue_token(const Credentials& c, const std::string& user_agent) {
  HttpResult r = issue(c.client_id, c.client_secret, user_agent);
  EXPECT_EQ(r.status, 200) << r.body;
  return json_of(r).value("access_token", "");
}

HttpResult ServerTest::me(const std::string& token) {
  return get("/api/v1/account/me", {bearer_header(token)});
}

Credentials ServerTest::admin() const {
  const auto& a = server_->admin();
  return {a.user_id, a.client_id, a.client_secret};
}

const std::string& ServerTest::admin_token() {
  if (admin_token_.empty()) admin_token_ = issue_token(admin(), "admin-tests");
  return admin_token_;
}

std::string ServerTest::create_user(const std::string& name, const std::string& type,
                                    bool api_access) {
  Json body = {{"name", name}, {"type", type}, {"api_access", api_access}};
  HttpResult r =
      post("/api/v1/users", {bearer_header(admin_token()), "Content-Type: application/json"},
           body.dump());
  EXPECT_EQ(r.status, 201) << r.body;
  return json_of(r).value("id", "");
}

Credentials ServerTest::create_user_with_credentials(const std::string& name,
                                                     const std::string& type, bool api_access) {
  const std::string id = create_user(name, type, api_access);
  HttpResult r = post("/api/v1/users/" + id + "/access-key", {bearer_header(admin_token())});
  EXPECT_EQ(r.status, 200) << r.body;
  Json j = json_of(r);
  return {id, j.value("client_id", ""), j.value("client_secret", "")};
}

HttpResult ServerTest::patch_user(const std::string& id, const std::string& body) {
  return send("PATCH", "/api/v1/users/" + id,
              {bearer_header(admin_token()), "Content-Type: application/json"}, body);
}

Json ServerTest::json_of(const HttpResult& r) {
  Json j = Json::parse(r.body, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << "not JSON: " << r.body;
  return j.is_discarded() ? Json::object() : j;
}

}  // namespace latchkey::testing
