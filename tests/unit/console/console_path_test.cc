#include "console/console_path.h"

#include <gtest/gtest.h>

#include <string>

#include "test_assets.h"

namespace latchkey::console {
namespace {

struct Case {
  std::string path;
  PathKind kind;
  std::string asset;  // the file named, for kFile and kPage
};

std::string describe(PathKind kind) {
  switch (kind) {
    case PathKind::kRedirect:
      return "redirect";
    case PathKind::kPage:
      return "page";
    case PathKind::kFile:
      return "file";
    case PathKind::kNotFound:
      return "not found";
    case PathKind::kInvalid:
      return "invalid";
  }
  return "?";
}

void expect_cases(const std::vector<Case>& cases) {
  const AssetTable table(testing::kTestAssets);
  for (const Case& c : cases) {
    const ResolvedPath r = resolve_console_path(table, c.path);
    EXPECT_EQ(describe(r.kind), describe(c.kind)) << c.path;
    if (!c.asset.empty()) {
      ASSERT_NE(r.asset, nullptr) << c.path;
      EXPECT_EQ(r.asset->path, c.asset) << c.path;
    } else if (r.kind == PathKind::kNotFound || r.kind == PathKind::kInvalid) {
      EXPECT_EQ(r.asset, nullptr) << c.path;
    }
  }
}

// Test that the console's own paths resolve: the redirect, the root, files,
// and client-side routes (index.html).
TEST(ConsolePath, ResolvesPagesAndFiles) {
  expect_cases({
      {"/console", PathKind::kRedirect, ""},
      {"/console/", PathKind::kPage, "index.html"},
      {"/console/index.html", PathKind::kFile, "index.html"},
      {"/console/assets/app-AbC1.js", PathKind::kFile, "assets/app-AbC1.js"},
      {"/console/assets/app-XyZ2.css", PathKind::kFile, "assets/app-XyZ2.css"},
      {"/console/favicon.svg", PathKind::kFile, "favicon.svg"},
      {"/console/users", PathKind::kPage, "index.html"},
      {"/console/users/usr_1", PathKind::kPage, "index.html"},
      {"/console/users/usr_1/", PathKind::kPage, "index.html"},
      {"/console/invite", PathKind::kPage, "index.html"},
      {"/console/profile/api-keys", PathKind::kPage, "index.html"},
      {"/console/users/a%20b", PathKind::kPage, "index.html"},
      {"/console/users/%C3%A9", PathKind::kPage, "index.html"},
      {"/console/~admin:x@y", PathKind::kPage, "index.html"},
  });
}

// Test that only files under assets/ are cached for ever.
TEST(ConsolePath, OnlyHashedAssetsAreImmutable) {
  const AssetTable table(testing::kTestAssets);
  EXPECT_TRUE(resolve_console_path(table, "/console/assets/app-AbC1.js").immutable);
  EXPECT_FALSE(resolve_console_path(table, "/console/favicon.svg").immutable);
  EXPECT_FALSE(resolve_console_path(table, "/console/index.html").immutable);
  EXPECT_FALSE(resolve_console_path(table, "/console/").immutable);
  EXPECT_FALSE(resolve_console_path(table, "/console/users").immutable);
}

// Test that a missing file is 404, not the page: a dot in the last segment
// or anything under assets/.
TEST(ConsolePath, MissingFilesAreNotFound) {
  expect_cases({
      {"/console/assets/app-0000.js", PathKind::kNotFound, ""},
      {"/console/assets/nothing", PathKind::kNotFound, ""},
      {"/console/assets/", PathKind::kNotFound, ""},
      {"/console/assets", PathKind::kNotFound, ""},
      {"/console/robots.txt", PathKind::kNotFound, ""},
      {"/console/users/usr_1.json", PathKind::kNotFound, ""},
      {"/console/assets/app-AbC1.js/", PathKind::kNotFound, ""},
      {"/console/Assets/app-AbC1.js", PathKind::kNotFound, ""},
      {"/console/assets/app-AbC1.JS", PathKind::kNotFound, ""},
      {"/console/assets/app%2DAbC1.js", PathKind::kNotFound, ""},  // only exact names
      {"/consolex", PathKind::kNotFound, ""},
      {"/console/" + std::string(kMaxConsolePathBytes + 1, 'a'), PathKind::kNotFound, ""},
  });
  // Exactly the limit is still a route.
  expect_cases(
      {{"/console/" + std::string(kMaxConsolePathBytes, 'a'), PathKind::kPage, "index.html"}});
}

// Test that traversal and smuggling vectors are refused outright, whatever
// their last segment: dot segments (plain and escaped), escaped separators,
// backslashes, NUL and control bytes, double escaping, malformed escapes and
// bytes outside RFC 3986.
TEST(ConsolePath, RefusesTraversalVectors) {
  expect_cases({
      {"/console/..", PathKind::kInvalid, ""},
      {"/console/../etc/passwd", PathKind::kInvalid, ""},
      {"/console/assets/../index.html", PathKind::kInvalid, ""},
      {"/console/./index.html", PathKind::kInvalid, ""},
      {"/console/assets/.", PathKind::kInvalid, ""},
      {"/console/%2e%2e/%2e%2e/etc/passwd", PathKind::kInvalid, ""},
      {"/console/%2E%2E/secret", PathKind::kInvalid, ""},
      {"/console/.%2e/x", PathKind::kInvalid, ""},
      {"/console/assets%2fapp-AbC1.js", PathKind::kInvalid, ""},
      {"/console/assets%2Fapp-AbC1.js", PathKind::kInvalid, ""},
      {"/console/..%2f..%2fetc", PathKind::kInvalid, ""},
      {"/console/assets%5capp-AbC1.js", PathKind::kInvalid, ""},
      {"/console/assets\\app-AbC1.js", PathKind::kInvalid, ""},
      {"/console/..\\..\\windows", PathKind::kInvalid, ""},
      {"/console/index.html%00.js", PathKind::kInvalid, ""},
      {"/console/users%00", PathKind::kInvalid, ""},
      {std::string("/console/users\0x", 16), PathKind::kInvalid, ""},
      {"/console/users\r\nx", PathKind::kInvalid, ""},
      {"/console/%252e%252e/x", PathKind::kInvalid, ""},
      {"/console/%", PathKind::kInvalid, ""},
      {"/console/%2", PathKind::kInvalid, ""},
      {"/console/%zz", PathKind::kInvalid, ""},
      {"/console/users/%7f", PathKind::kInvalid, ""},
      {"/console//etc/passwd", PathKind::kInvalid, ""},
      {"/console/users//x", PathKind::kInvalid, ""},
      {"/console/a b", PathKind::kInvalid, ""},
      {"/console/<script>", PathKind::kInvalid, ""},
      {"/console/\"x\"", PathKind::kInvalid, ""},
      {"/console/\xc3\xa9", PathKind::kInvalid, ""},
      {"/console/users?x", PathKind::kInvalid, ""},  // a query is never part of the path
      {"/console/users#x", PathKind::kInvalid, ""},
  });
}

}  // namespace
}  // namespace latchkey::console
