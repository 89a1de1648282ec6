// Interop with clients nobody here wrote (issue 6): Python's authlib, curl
// following seed 000 literally, and the Postman collection run by newman,
// each against a real latchkeyd with the bootstrap admin's credentials, and
// the OpenAPI document as the running server serves it. The scripts live in
// tests/interop/ and examples/postman/ (docs/interop.md runs them by hand).
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "integration/server_fixture.h"

namespace latchkey::testing {
namespace {

const std::string kSourceDir = LATCHKEY_SOURCE_DIR;

// 'text' quoted for the shell.
std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

struct ToolRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr, interleaved
};

// Runs a shell command, capturing its output.
ToolRun run_command(const std::string& command) {
  ToolRun result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe)) {
    result.output.append(buffer.data(), n);
  }
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

bool executable(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

// The first of `candidates` that exists and runs `probe` successfully.
std::string find_tool(std::initializer_list<const char*> candidates, const std::string& probe) {
  for (const char* candidate : candidates) {
    const std::string tool = candidate;
    if (tool.find('/') != std::string::npos && !executable(tool)) continue;
    if (run_command(quoted(tool) + " " + probe + " >/dev/null").exit_code == 0) return tool;
  }
  return "";
}

class Interop : public ServerTest {
 protected:
  // The bootstrap admin, as a user of latchkey would start.
  std::string url() const { return server_->url(); }
  const AdminCredentials& creds() const { return server_->admin(); }
};

// Test that Python's authlib, a generic OAuth 2.0 client, fetches a token with
// client credentials (client_secret_basic and client_secret_post), verifies
// the JWT against the JWKS (ES256), uses it, introspects and revokes it.
TEST_F(Interop, AuthlibClientCredentials) {
  // Debian's python3-authlib installs for the system interpreter; a python3
  // earlier on PATH (pyenv, venv) may not see it.
  const std::string python =
      find_tool({"/usr/bin/python3", "python3"}, "-c 'import authlib, requests, cryptography'");
  ASSERT_FALSE(python.empty())
      << "no python3 with authlib and requests: run scripts/install-deps.sh "
         "(python3-authlib python3-requests)";
  const ToolRun r = run_command(
      "LATCHKEY_URL=" + quoted(url()) + " LATCHKEY_CLIENT_ID=" + quoted(creds().client_id) +
      " LATCHKEY_CLIENT_SECRET=" + quoted(creds().client_secret) + " " + quoted(python) + " " +
      // No --issuer: the token's iss must be the RFC 8414 metadata issuer.
      quoted(kSourceDir + "/tests/interop/authlib_client_credentials.py"));
  EXPECT_EQ(r.exit_code, 0) << r.output << "\n--- latchkeyd:\n" << server_->output();
}

// Test that seed 000's shell commands, run literally with curl
// (`echo -n '{CLIENT}:{SECRET}' | base64`, Basic, then Bearer), work.
TEST_F(Interop, Seed000WithCurl) {
  ASSERT_FALSE(find_tool({"curl"}, "--version").empty()) << "curl is not installed";
  const ToolRun r = run_command("bash " + quoted(kSourceDir + "/tests/interop/seed000_curl.sh") +
                                " " + quoted(url()) + " " + quoted(creds().client_id) + " " +
                                quoted(creds().client_secret));
  EXPECT_EQ(r.exit_code, 0) << r.output << "\n--- latchkeyd:\n" << server_->output();
}

// Test that the Postman collection walks every seed flow green under newman.
TEST_F(Interop, PostmanCollectionWithNewman) {
  const std::string newman = find_tool({"newman"}, "--version");
  ASSERT_FALSE(newman.empty()) << "newman is not installed: run scripts/install-deps.sh "
                                  "(npm install -g newman)";
  const std::string dir = kSourceDir + "/examples/postman/";
  const ToolRun r = run_command(
      quoted(newman) + " run " + quoted(dir + "latchkey-seed-flows.postman_collection.json") +
      " -e " + quoted(dir + "latchkey-local.postman_environment.json") + " --env-var " +
      quoted("baseUrl=" + url()) + " --env-var " + quoted("clientId=" + creds().client_id) +
      " --env-var " + quoted("clientSecret=" + creds().client_secret) +
      " --reporters cli --color off --disable-unicode --timeout-request 10000");
  EXPECT_EQ(r.exit_code, 0) << r.output << "\n--- latchkeyd:\n" << server_->output();
}

// Test that the running server serves exactly docs/openapi.json at /openapi.json.
TEST_F(Interop, ServesTheOpenApiDocument) {
  std::ifstream file(kSourceDir + "/docs/openapi.json", std::ios::binary);
  std::stringstream text;
  text << file.rdbuf();
  const HttpResult r = get("/openapi.json");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, text.str()) << "rebuild latchkeyd: docs/openapi.json changed";
  EXPECT_EQ(json_of(r).at("openapi"), "3.1.0");
}

// Test that what the document says about credentials holds on the running
// server: every operation that requires them answers 401 without any, and
// every public one answers something else.
TEST_F(Interop, DocumentedSecurityHolds) {
  const Json doc = Json::parse(get("/openapi.json").body);
  int checked = 0;
  for (const auto& [path, item] : doc.at("paths").items()) {
    for (const auto& [method, op] : item.items()) {
      if (!op.is_object() || !op.contains("security")) continue;
      const Json& security = op.at("security");
      bool optional = security.empty();  // public
      for (const auto& requirement : security) optional = optional || requirement.empty();
      // A path parameter gets a value that names nothing.
      std::string target = path;
      for (std::size_t at = target.find('{'); at != std::string::npos; at = target.find('{')) {
        target.replace(at, target.find('}', at) - at + 1, "none");
      }
      std::string upper_method;
      for (char c : method) upper_method += static_cast<char>(std::toupper(c));
      const HttpResult r = send(upper_method, target, {"Content-Type: application/json"},
                                upper_method == "GET" || upper_method == "DELETE" ? "" : "{}");
      const std::string where = upper_method + " " + path + " -> " + std::to_string(r.status);
      if (security.empty()) {
        EXPECT_NE(r.status, 401) << where << ": documented as public";
        EXPECT_LT(r.status, 500) << where << ": " << r.body;
      } else if (!optional) {
        EXPECT_EQ(r.status, 401) << where << ": documented as requiring credentials";
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 50);
}

}  // namespace
}  // namespace latchkey::testing
