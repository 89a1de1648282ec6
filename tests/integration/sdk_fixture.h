// What the SDK's integration tests (sdk_*_test.cc) share: a real latchkeyd,
// the SDK's libcurl transport, a sleeper that moves the server's test clock
// instead of sleeping (so a real 429's Retry-After passes at once), API key
// creation, and running an example program with credentials in its
// environment only.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "integration/server_fixture.h"
#include "latchkey/client/client.h"

namespace latchkey::testing {

struct ExampleRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

struct ApiKey {
  std::string id;
  std::string secret;  // the full lk_key_..., shown once at creation
};

class SdkTest : public ServerTest {
 protected:
  void SetUp() override;

  // Records each wait and advances the server's clock by it (rounded up to
  // whole seconds) instead of sleeping.
  client::Sleeper server_clock_sleeper();
  std::vector<std::chrono::milliseconds> waits() const;

  // POST /api/v1/keys with `owner`'s account token.
  ApiKey create_key(const Credentials& owner, const std::string& name);

  // Runs examples/sdk's `program` (e.g. "sdk_account_token") with exactly
  // `env` as its environment and no arguments.
  ExampleRun run_example(const std::string& program,
                         const std::vector<std::pair<std::string, std::string>>& env);

  // A RetryPolicy without jitter, so the recorded waits are exact.
  static client::RetryPolicy exact_retry();

  std::shared_ptr<client::Transport> transport_;

 private:
  mutable std::mutex mu_;
  std::vector<std::chrono::milliseconds> waits_;
};

}  // namespace latchkey::testing
