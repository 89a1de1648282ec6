// FaultyStore (store/faulty_store.h): which writes fail, where, and that
// nothing else changes. Its faithful forwarding of every method is proven by
// the whole conformance suite (store_conformance_test.cc, "FaultsDisarmed").
#include "store/faulty_store.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "store/audit_store.h"
#include "unit/store/temp_dir.h"

namespace latchkey::testing {
namespace {

class FaultyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto inner = open_sqlite_store({.data_dir = dir_.path()});
    ASSERT_TRUE(inner) << inner.error().description;
    store_ = make_faulty_store(std::move(*inner), faults_);
  }

  Result<User> create(const std::string& name) {
    return store_->create_user(NewUser{.id = "usr_" + name, .name = name});
  }
  bool exists(const std::string& name) {
    auto found = store_->find_user_by_name(name);
    return found && found->has_value();
  }

  TempDir dir_;
  std::shared_ptr<FaultInjector> faults_ = std::make_shared<FaultInjector>();
  std::unique_ptr<Store> store_;
};

// Test that the N-th counted write fails once, before the backend: nothing
// of it is written, the writes around it are.
TEST_F(FaultyStoreTest, FailsTheNthWriteOnceBeforeTheBackend) {
  faults_->arm({.nth = 2});
  EXPECT_TRUE(create("a"));
  auto second = create("b");
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(create("c"));
  EXPECT_TRUE(exists("a"));
  EXPECT_FALSE(exists("b"));
  EXPECT_TRUE(exists("c"));
  EXPECT_EQ(faults_->stats().writes, 3u);
  EXPECT_EQ(faults_->stats().failed, 1u);
}

// Test that mode "forever" fails the N-th write and every later one.
TEST_F(FaultyStoreTest, ForeverFailsEveryWriteFromTheNth) {
  faults_->arm({.nth = 2, .forever = true});
  EXPECT_TRUE(create("a"));
  EXPECT_FALSE(create("b"));
  EXPECT_FALSE(create("c"));
  EXPECT_EQ(faults_->stats().failed, 2u);
  faults_->arm({});  // disarmed: counting restarts, nothing fails
  EXPECT_TRUE(create("d"));
  EXPECT_EQ(faults_->stats().writes, 1u);
  EXPECT_EQ(faults_->stats().failed, 0u);
}

// Test that "after commit" writes, then reports kUnavailable.
TEST_F(FaultyStoreTest, AfterCommitWritesThenFails) {
  faults_->arm({.nth = 1, .point = FaultInjector::Point::kAfterCommit});
  auto created = create("a");
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(exists("a"));
}

// Test that the backend's own errors pass through, counted, and that reads
// and background writes (audit batches) are not counted.
TEST_F(FaultyStoreTest, CountsOnlyRequestWrites) {
  faults_->arm({.nth = 1, .point = FaultInjector::Point::kAfterCommit});
  EXPECT_TRUE(exists("nobody") == false);
  AuditEvent event;
  event.action = "test";
  EXPECT_TRUE(store_->audit().append(std::span<const AuditEvent>(&event, 1)));
  EXPECT_EQ(faults_->stats().writes, 0u);
  EXPECT_FALSE(create("a"));  // counted and failed (after its commit)
  auto again = create("a");   // the backend's conflict, not a fault
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_EQ(faults_->stats().writes, 2u);
  EXPECT_EQ(faults_->stats().failed, 1u);
}

}  // namespace
}  // namespace latchkey::testing
