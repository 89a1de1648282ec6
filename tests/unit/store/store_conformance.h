// The Store conformance suite: every rule of store.h and the DESIGN
// invariants that live in the store, as one parameterised test suite that
// every backend must pass. A backend joins by instantiating it:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformanceTest,
//                            ::testing::Values(sqlite_backend()), backend_name);
//
// Each test gets a fresh, empty temporary directory and opens the backend
// there (a backend that is not file-based may use the path as a namespace).
//
// Thread-safety: a StoreBackend's functions may be called from any thread;
// a LiveTokenProbe is used by one thread at a time.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "store/store.h"
#include "support/counter_random.h"
#include "support/fake_clock.h"
#include "unit/store/temp_dir.h"

namespace latchkey::testing {

// Looks into the backend with its own connection, bypassing Store, so that a
// test can watch invariant 1 while writers run.
class LiveTokenProbe {
 public:
  virtual ~LiveTokenProbe() = default;
  // Live account-token rows of the user at this instant.
  virtual int count_live_tokens(std::string_view user_id) = 0;
};

struct StoreBackend {
  std::string name;
  // Opens (or reopens) the store whose state lives under `dir`; nullptr on
  // failure (the factory reports the error itself).
  std::function<std::unique_ptr<Store>(const std::string& dir)> open;
  // A probe into the store under `dir`, opened while the store is open.
  std::function<std::unique_ptr<LiveTokenProbe>(const std::string& dir)> open_probe;
};

std::string backend_name(const ::testing::TestParamInfo<StoreBackend>& info);

class StoreConformanceTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Closes the store and opens it again on the same directory.
  void reopen();

  // A user named `name` (id "usr_<name>") created at the clock's now.
  NewUser new_user(std::string_view name, bool api_access = true) const;
  // Creates new_user(name) or fails the test.
  User make_user(std::string_view name);
  // A credential for `user_id` with a digest drawn from random_.
  ClientCredential new_credential(std::string_view user_id, std::string_view client_id);
  // A token of `user_id` issued now by `client_id`, living one year.
  AccountToken new_token(std::string_view user_id, std::string_view client_id = "cli_a");
  Digest random_digest();

  TempDir dir_;
  std::unique_ptr<Store> store_;
  FakeClock clock_;
  CounterRandom random_;
};

}  // namespace latchkey::testing
