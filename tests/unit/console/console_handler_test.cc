#include "console/console_handler.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "test_assets.h"

namespace latchkey::console {
namespace {

const AssetTable& table() {
  static const AssetTable t(testing::kTestAssets);
  return t;
}

http::Response get(std::string target, std::vector<http::Header> headers = {}) {
  http::Request request;
  request.method = "GET";
  request.target = std::move(target);
  for (const auto& h : headers) request.add_header(h.name, h.value);
  return serve_console(table(), request);
}

std::string header(const http::Response& r, std::string_view name) {
  return std::string(r.header(name).value_or("<absent>"));
}

void expect_security_headers(const http::Response& r, const std::string& target) {
  SCOPED_TRACE(target);
  EXPECT_EQ(header(r, "Content-Security-Policy"),
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
            "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'");
  EXPECT_EQ(header(r, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(header(r, "Referrer-Policy"), "no-referrer");
  EXPECT_EQ(header(r, "X-Frame-Options"), "DENY");
}

// Test that every kind of answer carries the console's security headers.
TEST(ConsoleHandler, EveryAnswerHasSecurityHeaders) {
  for (const char* target :
       {"/console", "/console/", "/console/users/usr_1", "/console/assets/app-AbC1.js",
        "/console/favicon.svg", "/console/assets/missing.js", "/console/../x", "/console/x.txt"}) {
    expect_security_headers(get(target), target);
  }
  expect_security_headers(get("/console/", {{"If-None-Match", "\"1111\""}}), "304");
}

// Test that /console redirects permanently to /console/, keeping the query.
TEST(ConsoleHandler, RedirectsToTheRoot) {
  http::Response r = get("/console");
  EXPECT_EQ(r.status, 308);
  EXPECT_EQ(header(r, "Location"), "/console/");
  r = get("/console?next=%2Fusers");
  EXPECT_EQ(r.status, 308);
  EXPECT_EQ(header(r, "Location"), "/console/?next=%2Fusers");
}

// Test that the root and client-side routes are index.html, revalidated on
// every use (no-cache), with its ETag.
TEST(ConsoleHandler, PagesAreIndexHtml) {
  for (const char* target : {"/console/", "/console/users/usr_1", "/console/invite?x=1"}) {
    SCOPED_TRACE(target);
    const http::Response r = get(target);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "<!doctype html><main></main>");
    EXPECT_EQ(header(r, "Content-Type"), "text/html; charset=utf-8");
    EXPECT_EQ(header(r, "Cache-Control"), "no-cache");
    EXPECT_EQ(header(r, "ETag"), "\"1111\"");
  }
}

// Test that hashed assets are served with their type and cached for ever,
// and other files are revalidated.
TEST(ConsoleHandler, FilesHaveTypeAndCaching) {
  http::Response r = get("/console/assets/app-AbC1.js?v=1");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "console.log(1);");
  EXPECT_EQ(header(r, "Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(header(r, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(header(r, "ETag"), "\"2222\"");
  r = get("/console/assets/app-XyZ2.css");
  EXPECT_EQ(header(r, "Content-Type"), "text/css; charset=utf-8");
  r = get("/console/favicon.svg");
  EXPECT_EQ(header(r, "Content-Type"), "image/svg+xml");
  EXPECT_EQ(header(r, "Cache-Control"), "no-cache");
}

// Test that If-None-Match naming the file's ETag answers 304 with no body
// but the validators, and any other tag the file.
TEST(ConsoleHandler, ConditionalGet) {
  for (const char* inm :
       {"\"2222\"", "W/\"2222\"", "\"x\", \"2222\"", " \"a\" ,W/\"2222\" ", "*"}) {
    SCOPED_TRACE(inm);
    const http::Response r = get("/console/assets/app-AbC1.js", {{"If-None-Match", inm}});
    EXPECT_EQ(r.status, 304);
    EXPECT_TRUE(r.body.empty());
    EXPECT_EQ(header(r, "ETag"), "\"2222\"");
    EXPECT_EQ(header(r, "Cache-Control"), "public, max-age=31536000, immutable");
  }
  for (const char* inm : {"\"1111\"", "2222", "\"22222\"", "", ",", "W/", "\"2222"}) {
    SCOPED_TRACE(inm);
    const http::Response r = get("/console/assets/app-AbC1.js", {{"If-None-Match", inm}});
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "console.log(1);");
  }
}

// Test the entity-tag list comparison on its own.
TEST(ConsoleHandler, IfNoneMatchComparison) {
  EXPECT_TRUE(if_none_match_names("\"a\"", "\"a\""));
  EXPECT_TRUE(if_none_match_names("W/\"a\"", "\"a\""));
  EXPECT_TRUE(if_none_match_names("\"b\",\"a\"", "\"a\""));
  EXPECT_TRUE(if_none_match_names("*", "\"a\""));
  EXPECT_FALSE(if_none_match_names("\"A\"", "\"a\""));
  EXPECT_FALSE(if_none_match_names("\"ab\"", "\"a\""));
  EXPECT_FALSE(if_none_match_names("", "\"a\""));
  EXPECT_FALSE(if_none_match_names(", ,", "\"a\""));
}

// Test that a missing file is 404 JSON and a traversal attempt 400 JSON,
// neither echoing the path.
TEST(ConsoleHandler, ErrorsAreJson) {
  http::Response r = get("/console/assets/missing-0000.js");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(header(r, "Content-Type"), "application/json");
  auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body.at("error"), "not_found");

  for (const char* target : {"/console/%2e%2e/%2e%2e/etc/passwd", "/console/../../etc/passwd",
                             "/console/assets%2f..%2f..%2fsecret", "/console/x%00.js"}) {
    SCOPED_TRACE(target);
    r = get(target);
    EXPECT_EQ(r.status, 400);
    body = nlohmann::json::parse(r.body);
    EXPECT_EQ(body.at("error"), "invalid_request");
    EXPECT_EQ(body.at("reason"), "invalid_path");
    EXPECT_EQ(r.body.find("passwd"), std::string::npos);
    EXPECT_EQ(r.body.find("secret"), std::string::npos);
  }
}

// Test that a latchkeyd built without the console says so at /console/.
TEST(ConsoleHandler, WithoutTheConsole) {
  const AssetTable empty({});
  http::Request request;
  request.method = "GET";
  request.target = "/console/";
  const http::Response r = serve_console(empty, request);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(nlohmann::json::parse(r.body).at("reason"), "console_not_built");
  expect_security_headers(r, "no console");
}

}  // namespace
}  // namespace latchkey::console
