#include "console/assets.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <regex>
#include <string>

#include "core/encoding.h"
#include "test_assets.h"

namespace latchkey::console {
namespace {

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  return hex_encode(std::string_view(reinterpret_cast<const char*>(digest), length));
}

// Test that lookups are exact, byte for byte: no case folding, no
// normalisation, no prefix match.
TEST(AssetTable, FindsOnlyExactPaths) {
  const AssetTable table(testing::kTestAssets);
  EXPECT_EQ(table.size(), 4u);
  ASSERT_NE(table.find("assets/app-AbC1.js"), nullptr);
  EXPECT_EQ(table.find("assets/app-AbC1.js")->bytes, "console.log(1);");
  EXPECT_EQ(table.find("favicon.svg")->content_type, "image/svg+xml");
  for (const char* miss :
       {"", "assets", "assets/", "assets/app-abc1.js", "/index.html", "index.html/", "./index.html",
        "assets//app-AbC1.js", "assets/app-AbC1.j", "INDEX.HTML"}) {
    EXPECT_EQ(table.find(miss), nullptr) << miss;
  }
  ASSERT_NE(table.index(), nullptr);
  EXPECT_EQ(table.index()->path, "index.html");
}

// Test that a table without index.html (a build without the console) has no page.
TEST(AssetTable, EmptyTableHasNoIndex) {
  const AssetTable table({});
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.index(), nullptr);
  EXPECT_EQ(table.find("index.html"), nullptr);
}

// Test that the embedded console is what the build wrote: index.html, the
// hashed assets with their content types, and a strong ETag that is the
// first 128 bits of each file's SHA-256.
TEST(EmbeddedAssets, AreTheConsoleBuild) {
  const AssetTable& table = AssetTable::embedded();
  if (!LATCHKEY_CONSOLE_BUILT) {
    EXPECT_EQ(table.size(), 0u);
    GTEST_SKIP() << "built with -DLATCHKEY_CONSOLE=OFF";
  }
  ASSERT_NE(table.index(), nullptr);
  EXPECT_EQ(table.index()->content_type, "text/html; charset=utf-8");
  bool has_script = false;
  bool has_style = false;
  const std::regex plain_name("[A-Za-z0-9_][A-Za-z0-9._/-]*");
  for (const Asset& asset : embedded_assets()) {
    SCOPED_TRACE(std::string(asset.path));
    EXPECT_TRUE(std::regex_match(std::string(asset.path), plain_name));
    EXPECT_EQ(asset.etag, "\"" + sha256_hex(asset.bytes).substr(0, 32) + "\"");
    EXPECT_FALSE(asset.content_type.empty());
    if (asset.path.ends_with(".js")) {
      has_script = true;
      EXPECT_EQ(asset.content_type, "text/javascript; charset=utf-8");
      EXPECT_TRUE(asset.path.starts_with("assets/"));
    }
    if (asset.path.ends_with(".css")) {
      has_style = true;
      EXPECT_EQ(asset.content_type, "text/css; charset=utf-8");
    }
  }
  EXPECT_TRUE(has_script);
  EXPECT_TRUE(has_style);
}

// Test that index.html loads its scripts from files of the table (no
// inline script, nothing from another origin).
TEST(EmbeddedAssets, IndexScriptsAreEmbeddedFiles) {
  if (!LATCHKEY_CONSOLE_BUILT) GTEST_SKIP() << "built with -DLATCHKEY_CONSOLE=OFF";
  const AssetTable& table = AssetTable::embedded();
  ASSERT_NE(table.index(), nullptr);
  const std::string html(table.index()->bytes);
  const std::regex script_tag("<script\\b([^>]*)>");
  const std::regex src_attr("\\bsrc=\"/console/([^\"]+)\"");
  int scripts = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), script_tag);
       it != std::sregex_iterator(); ++it) {
    ++scripts;
    const std::string attributes = (*it)[1];
    std::smatch src;
    ASSERT_TRUE(std::regex_search(attributes, src, src_attr))
        << "inline or foreign: " << attributes;
    EXPECT_NE(table.find(src[1].str()), nullptr) << src[1];
  }
  EXPECT_GE(scripts, 1);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("=\"//"), std::string::npos) << "a protocol-relative URL";
}

}  // namespace
}  // namespace latchkey::console
