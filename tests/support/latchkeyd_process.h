// Runs a real latchkeyd for integration tests: loopback, any free port, a
// fresh data directory, the test clock enabled. The first start bootstraps
// the admin; restart() keeps the data directory and the port (for
// durability tests; the JWT issuer is the server's URL).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "support/http_client.h"

namespace latchkey::testing {

struct AdminCredentials {
  std::string user_id;
  std::string client_id;
  std::string client_secret;
};

class LatchkeydProcess {
 public:
  // Starts the server; fails the current test (ADD_FAILURE) if it does not come up.
  explicit LatchkeydProcess(std::vector<std::string> extra_args = {});
  // expect_bootstrap false: a node joining a shared store that another node
  // already bootstrapped (--store postgres://...). It must write no
  // bootstrap file; admin() is then empty.
  LatchkeydProcess(std::vector<std::string> extra_args, bool expect_bootstrap);
  ~LatchkeydProcess();

  const std::string& url() const { return url_; }
  const AdminCredentials& admin() const { return admin_; }
  const std::string& data_dir() const { return data_dir_; }
  std::string bootstrap_path() const { return data_dir_ + "/bootstrap.json"; }
  // Everything the server wrote to stdout and stderr so far.
  std::string output() const;

  void kill_hard();       // SIGKILL, no drain
  int stop_gracefully();  // SIGTERM; returns the exit status
  void restart();         // start again on the same data directory
  void advance_clock_seconds(long long seconds);
  pid_t pid() const { return pid_; }  // e.g. to send SIGHUP (reload)

 private:
  void start();

  std::vector<std::string> extra_args_;
  std::string listen_ = "127.0.0.1:0";  // the first start's port after it
  std::string data_dir_;
  std::string url_;
  std::string log_path_;
  AdminCredentials admin_;
  pid_t pid_ = -1;
};

// "Basic base64(id:secret)" as seed 000 builds it.
std::string basic_header(const std::string& client_id, const std::string& client_secret);
std::string bearer_header(const std::string& token);

}  // namespace latchkey::testing
