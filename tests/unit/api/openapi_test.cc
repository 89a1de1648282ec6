// The OpenAPI document (docs/openapi.json, embedded at build time) against
// the router (issue 6: "a test fails when a route exists that the document
// lacks, or the other way round").
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "api/openapi_handlers.h"
#include "api/routes.h"
#include "authz/permission_service.h"
#include "gateway/gateway.h"
#include "support/counter_random.h"
#include "support/fake_clock.h"

namespace latchkey::api {
namespace {

using Json = nlohmann::json;

// Routes deliberately left out of the document (its info.description says so).
const std::set<std::string> kUndocumented = {
    "POST /_test/clock/advance",
    // Envoy ext_authz: an OpenAPI path parameter cannot hold '/'.
    "GET /v1/ext-authz/{path+}", "HEAD /v1/ext-authz/{path+}", "POST /v1/ext-authz/{path+}",
    "PUT /v1/ext-authz/{path+}", "PATCH /v1/ext-authz/{path+}", "DELETE /v1/ext-authz/{path+}",
    "OPTIONS /v1/ext-authz/{path+}", "GET /v1/ext-authz", "HEAD /v1/ext-authz",
    "POST /v1/ext-authz", "PUT /v1/ext-authz", "PATCH /v1/ext-authz", "DELETE /v1/ext-authz",
    "OPTIONS /v1/ext-authz",
    // The web console: HTML and its files, not API operations (docs/console.md).
    "GET /console", "HEAD /console", "GET /console/{path+}", "HEAD /console/{path+}"};

const std::set<std::string> kHttpMethods = {"get",   "put",     "post", "delete",
                                            "patch", "options", "head", "trace"};

Json document() { return Json::parse(openapi_document()); }

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// "METHOD /path" for every operation of the document.
std::set<std::string> documented_operations(const Json& doc) {
  std::set<std::string> out;
  for (const auto& [path, item] : doc.at("paths").items()) {
    for (const auto& [method, operation] : item.items()) {
      if (kHttpMethods.contains(method)) out.insert(upper(method) + " " + path);
    }
  }
  return out;
}

// A router as latchkeyd builds it, on a throw-away store, with every optional
// area whose routes depend on it. The test clock is set, so that the
// test-only route is there and must be excluded explicitly.
class RouterUnderTest {
 public:
  RouterUnderTest() {
    char tmpl[] = "/tmp/latchkey-openapi-XXXXXX";
    dir_ = mkdtemp(tmpl);
    auto store = open_sqlite_store({.data_dir = dir_});
    if (!store) throw std::runtime_error("cannot open a store in " + dir_);
    store_ = std::move(*store);
    tokens_ = std::make_unique<AccountTokenService>(*store_, cache_, clock_, random_,
                                                    AccountTokenOptions{});
    clients_ = std::make_unique<ClientAuthenticator>(*store_);
    users_ = std::make_unique<UserService>(*store_, clock_, random_, [](std::string_view) {});
    // The permission model's routes exist only with it (server/main.cc wires it).
    permissions_ = std::make_unique<authz::PermissionService>(*store_, clock_, random_);
    ctx_ = std::make_unique<ApiContext>(
        ApiContext{*store_, clock_, *clients_, *tokens_, *users_, &test_clock_});
    ctx_->permissions = permissions_.get();
    router_ = build_router(*ctx_);
  }
  ~RouterUnderTest() {
    router_ = http::Router{};
    ctx_.reset();
    permissions_.reset();
    users_.reset();
    clients_.reset();
    tokens_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  const http::Router& router() const { return router_; }
  const ApiContext& ctx() const { return *ctx_; }

 private:
  std::string dir_;
  std::unique_ptr<Store> store_;
  testing::FakeClock clock_;
  testing::CounterRandom random_;
  AccountTokenCache cache_;
  AdjustableClock test_clock_;
  std::unique_ptr<AccountTokenService> tokens_;
  std::unique_ptr<ClientAuthenticator> clients_;
  std::unique_ptr<UserService> users_;
  std::unique_ptr<authz::PermissionService> permissions_;
  std::unique_ptr<ApiContext> ctx_;
  http::Router router_;
};

std::string list(const std::set<std::string>& items) {
  std::ostringstream out;
  for (const auto& item : items) out << "\n  " << item;
  return out.str();
}

// Test that the document is OpenAPI 3.1 JSON and says what it leaves out.
TEST(OpenApi, DocumentIsOpenApi31) {
  Json doc;
  ASSERT_NO_THROW(doc = document());
  EXPECT_EQ(doc.at("openapi"), "3.1.0");
  EXPECT_TRUE(doc.at("info").contains("title"));
  EXPECT_TRUE(doc.at("info").contains("version"));
  const std::string description = doc.at("info").at("description");
  EXPECT_NE(description.find("ateway"), std::string::npos)
      << "must say gateway routes are not in it";
  EXPECT_NE(description.find("/_test/clock/advance"), std::string::npos);
  EXPECT_EQ(doc.at("paths").count("/_test/clock/advance"), 0u);
}

// Test that every route of the router is documented and every documented
// operation is routed (the difference is printed).
TEST(OpenApi, DocumentMatchesRouter) {
  RouterUnderTest under_test;
  std::set<std::string> routed;
  for (const auto& route : under_test.router().describe()) {
    if (!kUndocumented.contains(route)) routed.insert(route);
  }
  ASSERT_FALSE(routed.empty());
  const std::set<std::string> documented = documented_operations(document());

  std::set<std::string> undocumented;
  std::set<std::string> unrouted;
  for (const auto& r : routed) {
    if (!documented.contains(r)) undocumented.insert(r);
  }
  for (const auto& d : documented) {
    if (!routed.contains(d)) unrouted.insert(d);
  }
  EXPECT_TRUE(undocumented.empty())
      << "routes missing from docs/openapi.json:" << list(undocumented);
  EXPECT_TRUE(unrouted.empty()) << "documented operations with no route in api::build_router:"
                                << list(unrouted);
}

// Resolves a local "#/components/..." reference.
const Json* resolve(const Json& doc, const std::string& ref) {
  if (!ref.starts_with("#/")) return nullptr;
  const Json* node = &doc;
  std::istringstream parts(ref.substr(2));
  for (std::string part; std::getline(parts, part, '/');) {
    if (!node->is_object() || !node->contains(part)) return nullptr;
    node = &node->at(part);
  }
  return node;
}

// Test that every $ref in the document points at something.
TEST(OpenApi, EveryReferenceResolves) {
  const Json doc = document();
  std::set<std::string> broken;
  std::function<void(const Json&)> walk = [&](const Json& node) {
    if (node.is_object()) {
      if (auto it = node.find("$ref"); it != node.end() && it->is_string()) {
        if (resolve(doc, *it) == nullptr) broken.insert(it->get<std::string>());
      }
      for (const auto& [k, v] : node.items()) walk(v);
    } else if (node.is_array()) {
      for (const auto& v : node) walk(v);
    }
  };
  walk(doc);
  EXPECT_TRUE(broken.empty()) << "unresolved references:" << list(broken);
}

// Follows a $ref (once or more) to the object it names.
const Json& deref(const Json& doc, const Json& node) {
  const Json* at = &node;
  while (at->is_object() && at->contains("$ref")) {
    const Json* next = resolve(doc, at->at("$ref"));
    if (next == nullptr) break;
    at = next;
  }
  return *at;
}

// Test that every operation has a summary, an explicit security requirement,
// its path parameters, JSON schemas for JSON bodies, and error responses whose
// body is the shared Error shape (or RFC 6749's for the OAuth endpoints).
TEST(OpenApi, EveryOperationIsComplete) {
  const Json doc = document();
  const Json& schemes = doc.at("components").at("securitySchemes");
  for (const auto& [path, item] : doc.at("paths").items()) {
    // Path template parameters: "{id}" -> "id".
    std::set<std::string> templated;
    for (std::size_t at = path.find('{'); at != std::string::npos; at = path.find('{', at + 1)) {
      templated.insert(path.substr(at + 1, path.find('}', at) - at - 1));
    }
    for (const auto& [method, op] : item.items()) {
      if (!kHttpMethods.contains(method)) continue;
      const std::string where = upper(method) + " " + path;
      EXPECT_TRUE(op.contains("summary") && !op.at("summary").get<std::string>().empty()) << where;
      ASSERT_TRUE(op.contains("security")) << where << ": say `security: []` when public";
      for (const auto& requirement : op.at("security")) {
        for (const auto& [scheme, scopes] : requirement.items()) {
          EXPECT_TRUE(schemes.contains(scheme)) << where << ": unknown scheme " << scheme;
        }
      }
      std::set<std::string> declared;
      for (const auto& p : op.value("parameters", Json::array())) {
        const Json& param = deref(doc, p);
        if (param.at("in") == "path") {
          EXPECT_TRUE(param.value("required", false)) << where;
          declared.insert(param.at("name"));
        }
      }
      EXPECT_EQ(declared, templated) << where << ": path parameters";
      if (op.contains("requestBody")) {
        for (const auto& [type, media] : op.at("requestBody").at("content").items()) {
          EXPECT_TRUE(media.contains("schema")) << where << " " << type;
        }
      }
      ASSERT_TRUE(op.contains("responses")) << where;
      bool has_success = false;
      for (const auto& [status, r] : op.at("responses").items()) {
        const Json& response = deref(doc, r);
        EXPECT_TRUE(response.contains("description")) << where << " " << status;
        if (status.starts_with("2")) has_success = true;
        if (status.starts_with("4") || status.starts_with("5")) {
          ASSERT_TRUE(response.contains("content")) << where << " " << status << ": no body";
          const Json& schema =
              deref(doc, response.at("content").at("application/json").at("schema"));
          const Json& required = schema.contains("allOf")
                                     ? deref(doc, schema.at("allOf").at(0)).at("required")
                                     : schema.at("required");
          EXPECT_NE(std::find(required.begin(), required.end(), "error"), required.end())
              << where << " " << status << ": error body without `error`";
        }
      }
      EXPECT_TRUE(has_success) << where;
    }
  }
}

// Test that the shared Error schema matches src/http/error_response.cc:
// required `error` and `error_description`, optional `reason`, extra fields.
TEST(OpenApi, ErrorSchemaMatchesErrorResponse) {
  const Json doc = document();
  const Json& error = doc.at("components").at("schemas").at("Error");
  EXPECT_EQ(error.at("required"), Json({"error", "error_description"}));
  EXPECT_TRUE(error.at("properties").contains("reason"));
  EXPECT_EQ(error.at("additionalProperties"), true);
  for (const char* code :
       {"invalid_request", "unauthorized", "invalid_client", "invalid_token", "forbidden",
        "not_found", "conflict", "too_many_requests", "server_error", "temporarily_unavailable"}) {
    const Json& names = error.at("properties").at("error").at("enum");
    EXPECT_NE(std::find(names.begin(), names.end(), code), names.end()) << code;
  }
}

// Test that GET /openapi.json serves the embedded document as JSON, inline
// and without credentials.
TEST(OpenApi, ServedAtOpenApiJson) {
  RouterUnderTest under_test;
  auto match = under_test.router().match("GET", "/openapi.json");
  ASSERT_NE(match.handler, nullptr);
  EXPECT_EQ(match.dispatch, http::Dispatch::kInline);
  http::Request request;
  request.method = "GET";
  request.target = "/openapi.json";
  const http::Response response = (*match.handler)(request, match.params);
  EXPECT_EQ(response.status, 200);
  bool json_type = false;
  for (const auto& [name, value] : response.headers) {
    if (name == "Content-Type" && value.starts_with("application/json")) json_type = true;
  }
  EXPECT_TRUE(json_type);
  EXPECT_EQ(response.body, openapi_document());
  EXPECT_EQ(Json::parse(response.body).at("openapi"), "3.1.0");
}

// Test that the router holds exactly the route table's entries, in table
// order: no route is registered outside the table (and so outside the
// pipeline), gateway routes included.
TEST(RouteTable, RouterIsExactlyTheTable) {
  RouterUnderTest under_test;
  auto spec = gateway::compile_gateway_routes({{.method = "GET",
                                                .path = "/apps/{app}/records",
                                                .upstream = "http://127.0.0.1:9",
                                                .action = "read_records",
                                                .application_param = "app",
                                                .step = "stp_1"}});
  ASSERT_TRUE(spec.has_value()) << spec.error().description;
  const pipeline::RouteTable table =
      route_table(under_test.ctx(), gateway::gateway_route_entries(*spec));
  std::vector<std::string> entries;
  for (const auto& e : table.entries()) entries.push_back(e.method + " " + e.pattern);
  const http::Router router = build_router(under_test.ctx(), gateway::gateway_route_entries(*spec));
  EXPECT_EQ(router.describe(), entries);
  EXPECT_EQ(entries.back(), "GET /apps/{app}/records");
}

// Test that every route of the surface declares what it needs: the public
// routes are exactly the health, metadata and description endpoints and the web console; every
// call that can change latchkey's state refuses read-only callers; the
// decision endpoints decide in the pipeline; gateway routes are limited per
// key and route.
TEST(RouteTable, EveryRouteHasARequirement) {
  RouterUnderTest under_test;
  auto spec = gateway::compile_gateway_routes({{.method = "POST",
                                                .path = "/apps/{app}/records",
                                                .upstream = "http://127.0.0.1:9",
                                                .action = "create_record",
                                                .application_param = "app"}});
  ASSERT_TRUE(spec.has_value());
  const pipeline::RouteTable table =
      route_table(under_test.ctx(), gateway::gateway_route_entries(*spec));
  const std::set<std::string> kPublic = {
      "GET /.well-known/jwks.json", "GET /.well-known/oauth-authorization-server", "GET /healthz",
      "GET /readyz", "GET /openapi.json", "GET /metrics", "POST /_test/clock/advance",
      // The web console's files (docs/console.md).
      "GET /console", "HEAD /console", "GET /console/{path+}", "HEAD /console/{path+}",
      // The web console's sign-in (docs/console.md):
      // throttled per username and IP.
      "POST /api/v1/console/sign-in", "POST /api/v1/console/invitations/inspect",
      "POST /api/v1/console/invitations/accept"};
  std::set<std::string> open;
  for (const pipeline::RouteEntry& e : table.entries()) {
    const std::string name = e.method + " " + e.pattern;
    const pipeline::Requirement& req = e.requirement;
    if (req.credential == pipeline::Credential::kNone) open.insert(name);
    if (e.pattern.starts_with("/api/v1/console/") &&
        req.credential == pipeline::Credential::kNone) {
      EXPECT_EQ(req.throttle, pipeline::Throttle::kConsole) << name;
    }
    // The console's cookie: every /api/v1/ bearer route, nothing else (the
    // data plane, the exchanges and the gateway never take it).
    EXPECT_EQ(req.session_cookie,
              req.credential == pipeline::Credential::kBearer && e.pattern.starts_with("/api/v1/"))
        << name;
    if (req.credential == pipeline::Credential::kBearer) {
      EXPECT_NE(req.key_limit, pipeline::KeyLimit::kNone) << name << ": keys must count";
      EXPECT_FALSE(req.audit_action.empty()) << name << ": every bearer call is audited";
    }
    if (e.pattern.starts_with("/api/") && e.method != "GET" &&
        req.credential == pipeline::Credential::kBearer) {
      EXPECT_TRUE(req.write) << name << " changes state: read-only callers are refused";
    }
    if (e.pattern == "/v1/authorize" || e.pattern == "/v1/auth-request" ||
        e.pattern == "/v1/ext-authz/{path+}" || e.pattern == "/v1/ext-authz" ||
        e.pattern == "/apps/{app}/records") {
      EXPECT_NE(req.decision, nullptr) << name;
    }
    if (e.pattern == "/apps/{app}/records") {
      EXPECT_EQ(req.key_limit, pipeline::KeyLimit::kRateAndConcurrency);
      EXPECT_EQ(req.limit_scope, "POST /apps/{app}/records");
    }
    if (e.pattern == "/v1/auth-request") {
      EXPECT_EQ(req.audience, pipeline::Audience::kNginx);
    }
    if (e.pattern == "/api/v1/account/token" && e.method == "POST") {
      EXPECT_EQ(req.credential, pipeline::Credential::kClientSecret);
      EXPECT_EQ(req.throttle, pipeline::Throttle::kClientId);
    }
    if (e.pattern == "/v2/auth/token/access" || e.pattern == "/auth/login") {
      EXPECT_EQ(req.credential, pipeline::Credential::kApiKey);
      EXPECT_EQ(req.throttle, pipeline::Throttle::kApiKey);
      EXPECT_EQ(req.key_limit, pipeline::KeyLimit::kRate);
    }
  }
  EXPECT_EQ(open, kPublic);
}

}  // namespace
}  // namespace latchkey::api
