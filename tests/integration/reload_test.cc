// SIGHUP reload against a real latchkeyd (docs/operations.md, issue 15): a
// changed gateway route is served from the next request of a keep-alive
// connection opened before the reload, the process stays up, a bad file
// changes nothing, and a setting that needs a restart is named in the log.
// The tests wait for the reload's log line (bounded), never for time.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

#include "support/latchkeyd_process.h"
#include "unit/http/raw_connection.h"

namespace latchkey::testing {
namespace {

using http::RawConnection;

std::string gateway_config(const std::string& path_pattern, const std::string& extra = "") {
  return extra + "[[gateway_routes]]\nmethod = \"GET\"\npath = \"" + path_pattern +
         "\"\nupstream = \"http://127.0.0.1:9\"\naction = \"authenticated\"\n";
}

class ReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    config_path_ = ::testing::TempDir() + "/latchkey-reload-" + std::to_string(::getpid()) + "-" +
                   info->name() + ".toml";
    write_config(gateway_config("/before/{x}"));
    server_ =
        std::make_unique<LatchkeydProcess>(std::vector<std::string>{"--config", config_path_});
    port_ =
        static_cast<std::uint16_t>(std::stoi(server_->url().substr(server_->url().rfind(':') + 1)));
  }
  void TearDown() override {
    server_.reset();
    std::remove(config_path_.c_str());
  }

  // Atomically, as an editor or a config manager would.
  void write_config(const std::string& text) {
    { std::ofstream(config_path_ + ".tmp") << text; }
    ASSERT_EQ(std::rename((config_path_ + ".tmp").c_str(), config_path_.c_str()), 0);
  }

  // Sends SIGHUP and waits (at most 10 s) until the server has logged the
  // `count`-th reload outcome containing `needle`.
  bool reload_and_wait_for(const std::string& needle) {
    const std::size_t before = occurrences(needle);
    EXPECT_EQ(::kill(server_->pid(), SIGHUP), 0);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (occurrences(needle) > before) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling another process's log
    }
    ADD_FAILURE() << "no \"" << needle << "\" in the log within 10 s:\n" << server_->output();
    return false;
  }
  std::size_t occurrences(const std::string& needle) const {
    const std::string log = server_->output();
    std::size_t n = 0;
    for (auto at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1)) ++n;
    return n;
  }

  static int status_of(RawConnection& conn, const std::string& path) {
    if (!conn.send("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n")) return -1;
    auto response = conn.read_response();
    return response ? response->status : -1;
  }
  bool alive() const { return ::kill(server_->pid(), 0) == 0; }

  std::string config_path_;
  std::unique_ptr<LatchkeydProcess> server_;
  std::uint16_t port_ = 0;
};

// Test the acceptance case: SIGHUP changes a route without dropping
// an open keep-alive connection.
TEST_F(ReloadTest, SighupChangesARouteWithoutDroppingAKeepAliveConnection) {
  RawConnection conn(port_);
  ASSERT_TRUE(conn.connected());
  EXPECT_EQ(status_of(conn, "/before/1"), 401);  // the route exists: credentials wanted
  EXPECT_EQ(status_of(conn, "/after/1"), 404);

  write_config(gateway_config("/after/{x}"));
  ASSERT_TRUE(reload_and_wait_for("reload: applied gateway_routes"));

  // The same connection, its next requests: the new table.
  EXPECT_EQ(status_of(conn, "/after/1"), 401);
  EXPECT_EQ(status_of(conn, "/before/1"), 404);
  EXPECT_TRUE(conn.connected());
  EXPECT_TRUE(alive());
  // And new connections too.
  RawConnection fresh(port_);
  EXPECT_EQ(status_of(fresh, "/after/2"), 401);
}

// Test that a file with an error changes nothing, says where the error is,
// and that the server and the connection carry on.
TEST_F(ReloadTest, BadConfigurationChangesNothing) {
  RawConnection conn(port_);
  ASSERT_TRUE(conn.connected());
  EXPECT_EQ(status_of(conn, "/before/1"), 401);

  write_config(gateway_config("/after/{x}") + "timeout_ms = \"soon\"\n");
  ASSERT_TRUE(reload_and_wait_for("reload refused, nothing changed: " + config_path_ +
                                  ":6:14: " + "gateway_routes[0]: timeout_ms must be an integer"));
  EXPECT_EQ(status_of(conn, "/before/1"), 401);
  EXPECT_EQ(status_of(conn, "/after/1"), 404);

  write_config("[[gateway_routes]\n");  // a syntax error
  ASSERT_TRUE(reload_and_wait_for("reload refused, nothing changed: " + config_path_ + ":1:"));
  EXPECT_EQ(status_of(conn, "/before/1"), 401);
  EXPECT_TRUE(alive());
}

// Test that a change that needs a restart is named and not applied, while
// the reloadable changes of the same file are.
TEST_F(ReloadTest, RestartOnlyChangeIsReported) {
  write_config(gateway_config("/after/{x}", "max_body_bytes = 1234\nrate_limit_per_minute = 30\n"));
  ASSERT_TRUE(reload_and_wait_for(
      "reload: changed but NOT applied, restart latchkeyd to apply: max_body_bytes"));
  EXPECT_EQ(occurrences("reload: applied gateway_routes and rate_limit_per_minute"), 1u);
  RawConnection conn(port_);
  EXPECT_EQ(status_of(conn, "/after/1"), 401);
  EXPECT_TRUE(alive());
}

// Test the data directory: created mode 0700 by latchkeyd; an existing one
// open to others is warned about at start-up.
TEST_F(ReloadTest, DataDirectoryIsPrivate) {
  const std::string db = server_->data_dir() + "/db";
  struct stat st {};
  ASSERT_EQ(::stat(db.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(occurrences("WARNING: the data directory"), 0u);
  ASSERT_EQ(::chmod(db.c_str(), 0755), 0);
  server_->restart();
  EXPECT_EQ(occurrences("WARNING: the data directory " + db + " is mode 0755"), 1u)
      << server_->output();
}

}  // namespace
}  // namespace latchkey::testing
