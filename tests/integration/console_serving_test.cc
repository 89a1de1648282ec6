// The web console as a real latchkeyd serves it (docs/console.md, "Building
// and serving"): the embedded build at /console/ under a strict CSP, its
// caching, the client-side routes, and refusals of every traversal vector.
#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>

#include "integration/server_fixture.h"
#include "unit/http/raw_connection.h"

namespace latchkey::testing {
namespace {

constexpr const char* kCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'";

class Console : public ServerTest {
 protected:
  std::uint16_t port() const {
    const std::string& url = server_->url();
    return static_cast<std::uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
  }

  // The raw request line's target, sent as is (curl would normalise "..").
  http::RawResponse raw_get(const std::string& target) {
    http::RawConnection c(port());
    EXPECT_TRUE(
        c.send("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"));
    auto r = c.read_response();
    EXPECT_TRUE(r.has_value()) << target;
    return r.value_or(http::RawResponse{});
  }

  static void expect_security_headers(const HttpResult& r, const std::string& what) {
    SCOPED_TRACE(what);
    EXPECT_EQ(r.header("content-security-policy"), kCsp);
    EXPECT_EQ(r.header("x-content-type-options"), "nosniff");
    EXPECT_EQ(r.header("referrer-policy"), "no-referrer");
    EXPECT_EQ(r.header("x-frame-options"), "DENY");
  }

  // Every "/console/assets/..." URL that index.html names.
  static std::set<std::string> asset_urls(const std::string& html) {
    std::set<std::string> out;
    const std::regex url("(?:src|href)=\"(/console/assets/[^\"]+)\"");
    for (auto it = std::sregex_iterator(html.begin(), html.end(), url);
         it != std::sregex_iterator(); ++it) {
      out.insert((*it)[1]);
    }
    return out;
  }
};

// Test that GET /console/ is the console's HTML page with the CSP and the
// other security headers, revalidated on every use.
TEST_F(Console, RootIsHtmlWithCsp) {
  const HttpResult r = get("/console/");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(r.header("cache-control"), "no-cache");
  EXPECT_TRUE(std::regex_match(r.header("etag"), std::regex("\"[0-9a-f]{32}\"")));
  EXPECT_NE(r.body.find("<html"), std::string::npos);
  expect_security_headers(r, "GET /console/");
}

// Test that index.html has no inline script and names no other origin:
// every <script> has a src under /console/, and no URL is absolute.
TEST_F(Console, IndexHasNoInlineScriptAndNoOtherOrigin) {
  const HttpResult r = get("/console/");
  ASSERT_EQ(r.status, 200);
  const std::regex script("<script\\b([^>]*)>([\\s\\S]*?)</script>");
  int scripts = 0;
  for (auto it = std::sregex_iterator(r.body.begin(), r.body.end(), script);
       it != std::sregex_iterator(); ++it) {
    ++scripts;
    const std::string attributes = (*it)[1];
    EXPECT_TRUE(std::regex_search(attributes, std::regex("\\bsrc=\"/console/[^\"/][^\"]*\"")))
        << "a script without a same-origin src: " << attributes;
    EXPECT_TRUE((*it)[2].str().empty()) << "an inline script body";
  }
  EXPECT_GE(scripts, 1);
  const std::regex foreign("(?:src|href|action)=\"(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)");
  EXPECT_FALSE(std::regex_search(r.body, foreign)) << r.body;
  EXPECT_EQ(r.body.find("http://"), std::string::npos);
  EXPECT_EQ(r.body.find("https://"), std::string::npos);
  EXPECT_EQ(r.body.find(" style=\""), std::string::npos) << "an inline style attribute";
  EXPECT_EQ(r.body.find("<style"), std::string::npos) << "an inline <style>";
}

// Test that the JS and CSS index.html names are served with their content
// types, cached for ever, and answer 304 to their ETag.
TEST_F(Console, AssetsHaveTypesAndImmutableCaching) {
  const HttpResult index = get("/console/");
  ASSERT_EQ(index.status, 200);
  const std::set<std::string> urls = asset_urls(index.body);
  bool js = false;
  bool css = false;
  for (const std::string& url : urls) {
    SCOPED_TRACE(url);
    const HttpResult r = get(url);
    ASSERT_EQ(r.status, 200);
    EXPECT_FALSE(r.body.empty());
    EXPECT_EQ(r.header("cache-control"), "public, max-age=31536000, immutable");
    expect_security_headers(r, url);
    if (url.ends_with(".js")) {
      js = true;
      EXPECT_EQ(r.header("content-type"), "text/javascript; charset=utf-8");
    }
    if (url.ends_with(".css")) {
      css = true;
      EXPECT_EQ(r.header("content-type"), "text/css; charset=utf-8");
    }
    const HttpResult again = get(url, {"If-None-Match: " + r.header("etag")});
    EXPECT_EQ(again.status, 304);
    EXPECT_TRUE(again.body.empty());
    EXPECT_EQ(again.header("etag"), r.header("etag"));
  }
  EXPECT_TRUE(js) << "index.html names no script";
  EXPECT_TRUE(css) << "index.html names no stylesheet";
}

// Test that /console redirects to /console/ and that client-side routes
// (deep links) are index.html.
TEST_F(Console, RedirectAndClientSideRoutes) {
  HttpResult r = get("/console");
  EXPECT_EQ(r.status, 308);
  EXPECT_EQ(r.header("location"), "/console/");
  expect_security_headers(r, "/console");
  r = send("HEAD", "/console");
  EXPECT_EQ(r.status, 308);

  const HttpResult root = get("/console/");
  for (const char* route : {"/console/users/usr_1", "/console/invite", "/console/profile",
                            "/console/profile/api-keys?tab=keys"}) {
    SCOPED_TRACE(route);
    r = get(route);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, root.body);
    EXPECT_EQ(r.header("cache-control"), "no-cache");
    EXPECT_EQ(r.header("etag"), root.header("etag"));
    expect_security_headers(r, route);
  }
}

// Test that HEAD answers as GET without the body, and that index.html
// answers 304 to its own ETag.
TEST_F(Console, HeadAndConditionalIndex) {
  const HttpResult page = get("/console/");
  const HttpResult head = send("HEAD", "/console/");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(head.header("content-length"), std::to_string(page.body.size()));
  EXPECT_EQ(head.header("etag"), page.header("etag"));
  expect_security_headers(head, "HEAD /console/");

  const HttpResult cached = get("/console/", {"If-None-Match: " + page.header("etag")});
  EXPECT_EQ(cached.status, 304);
  EXPECT_TRUE(cached.body.empty());
  expect_security_headers(cached, "304");
  const HttpResult stale = get("/console/", {"If-None-Match: \"0000\""});
  EXPECT_EQ(stale.status, 200);
  EXPECT_EQ(stale.body, page.body);
}

// Test that a missing file is 404 JSON, and other methods 405.
TEST_F(Console, MissingFileIsJson404) {
  for (const char* path :
       {"/console/assets/nothing-0000.js", "/console/robots.txt", "/console/assets/"}) {
    SCOPED_TRACE(path);
    const HttpResult r = get(path);
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.header("content-type"), "application/json");
    EXPECT_EQ(json_of(r).value("error", ""), "not_found");
    expect_security_headers(r, path);
  }
  const HttpResult post_root = post("/console/", {}, "x");
  EXPECT_EQ(post_root.status, 405);
  EXPECT_EQ(post_root.header("allow"), "GET, HEAD");
}

// Test that traversal and smuggling vectors, sent byte for byte, never
// reach anything outside the embedded files and never cause a 5xx.
TEST_F(Console, RefusesTraversalVectors) {
  const std::string index = get("/console/").body;
  const std::vector<std::string> vectors = {
      "/console/../../../../etc/passwd",
      "/console/assets/../../../etc/passwd",
      "/console/%2e%2e/%2e%2e/etc/passwd",
      "/console/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
      "/console/..%2f..%2f..%2fetc%2fpasswd",
      "/console/assets%2f..%2f..%2fsrc%2fserver%2fmain.cc",
      "/console/..%5c..%5cetc%5cpasswd",
      "/console/%252e%252e/%252e%252e/etc/passwd",
      "/console/index.html%00.js",
      "/console/%00",
      "/console/./index.html",
      "/console//etc/passwd",
      "/console/assets/..;/..;/etc/passwd",
      "/console/" + std::string(4000, 'a'),
      "/console/" + std::string(2000, 'a') + ".js",
      "/console/?../../etc/passwd",
      "/console/assets/x.js?/../../etc/passwd",
      "/console/%c0%ae%c0%ae/etc/passwd",
  };
  for (const std::string& target : vectors) {
    SCOPED_TRACE(target.substr(0, 80));
    const http::RawResponse r = raw_get(target);
    EXPECT_GT(r.status, 0);
    EXPECT_LT(r.status, 500);
    EXPECT_EQ(r.body.find("root:"), std::string::npos);
    EXPECT_EQ(r.body.find("#include"), std::string::npos);
    if (r.status == 200) {
      EXPECT_EQ(r.body, index) << "a 200 is only ever index.html";
    }
  }
  // The plain dot-segment and escape vectors are refused, not served.
  for (const char* target : {"/console/../../../../etc/passwd", "/console/%2e%2e/%2e%2e/etc/passwd",
                             "/console/..%2f..%2fetc%2fpasswd", "/console/index.html%00.js"}) {
    SCOPED_TRACE(target);
    const http::RawResponse r = raw_get(target);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.json().value("reason", ""), "invalid_path");
  }
}

}  // namespace
}  // namespace latchkey::testing
