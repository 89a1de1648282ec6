// Store conformance for service-account owners and expiry (issue 14 item 7,
// migration 12): the fields round-trip through create, update and reopen,
// and disabling an expired account is one atomic, conditional write. Runs on
// every backend through StoreConformanceTest.
#include <gtest/gtest.h>

#include "unit/store/store_conformance.h"

namespace latchkey::testing {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;

NewUser service_account(std::string_view name, Instant created, std::optional<Instant> expires) {
  NewUser user;
  user.id = "usr_" + std::string(name);
  user.name = std::string(name);
  user.type = UserType::kService;
  user.api_access = true;
  user.created_at = created;
  user.owner = "Team Payments";
  user.contact = "payments@example.com";
  user.description = "Nightly export to the warehouse";
  user.expires_at = expires;
  return user;
}

// Test that owner, contact, description and expires_at are stored at
// creation and read back by id, name, listing and after a reopen.
TEST_P(StoreConformanceTest, ServiceAccountFieldsRoundTrip) {
  const Instant expires = clock_.now() + hours(24 * 30);
  auto created = store_->create_user(service_account("etl", clock_.now(), expires));
  ASSERT_TRUE(created) << created.error().description;
  EXPECT_EQ(created->owner, "Team Payments");
  EXPECT_EQ(created->contact, "payments@example.com");
  EXPECT_EQ(created->description, "Nightly export to the warehouse");
  EXPECT_EQ(created->expires_at, expires);
  make_user("alice");  // a human: every field empty
  reopen();
  auto by_id = store_->get_user("usr_etl");
  ASSERT_TRUE(by_id);
  EXPECT_EQ(by_id->owner, "Team Payments");
  EXPECT_EQ(by_id->expires_at, expires);
  auto by_name = store_->find_user_by_name("etl");
  ASSERT_TRUE(by_name && *by_name);
  EXPECT_EQ((*by_name)->contact, "payments@example.com");
  auto list = store_->list_users();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].description, "Nightly export to the warehouse");
  EXPECT_EQ((*list)[1].owner, "");
  EXPECT_FALSE((*list)[1].expires_at);
}

// Test that an update changes only the fields it sets, that empty strings
// and a null expiry clear, and that updated_at moves.
TEST_P(StoreConformanceTest, ServiceAccountFieldsUpdateAndClear) {
  ASSERT_TRUE(store_->create_user(service_account("etl", clock_.now(), std::nullopt)));
  clock_.advance(milliseconds(1000));
  const Instant expires = clock_.now() + hours(48);
  UserUpdate update;
  update.owner = "Team Data";
  update.expires_at = expires;
  auto updated = store_->update_user("usr_etl", update, clock_.now());
  ASSERT_TRUE(updated) << updated.error().description;
  EXPECT_EQ(updated->owner, "Team Data");
  EXPECT_EQ(updated->contact, "payments@example.com");  // untouched
  EXPECT_EQ(updated->expires_at, expires);
  EXPECT_EQ(updated->updated_at, clock_.now());

  UserUpdate clear;
  clear.contact = "";
  clear.expires_at = std::optional<Instant>();
  auto cleared = store_->update_user("usr_etl", clear, clock_.now());
  ASSERT_TRUE(cleared);
  EXPECT_EQ(cleared->owner, "Team Data");
  EXPECT_EQ(cleared->contact, "");
  EXPECT_FALSE(cleared->expires_at);

  // A flag-only update keeps every field.
  auto flags = store_->update_user("usr_etl", UserUpdate{.api_access = false}, clock_.now());
  ASSERT_TRUE(flags);
  EXPECT_EQ(flags->owner, "Team Data");
  EXPECT_EQ(flags->description, "Nightly export to the warehouse");
}

// Test that only enabled service accounts at or past their expiry are
// listed, exactly from expires_at on.
TEST_P(StoreConformanceTest, ExpiredServiceAccountsAreListedFromTheirExpiry) {
  const Instant expires = clock_.now() + hours(1);
  ASSERT_TRUE(store_->create_user(service_account("etl", clock_.now(), expires)));
  ASSERT_TRUE(store_->create_user(service_account("never", clock_.now(), std::nullopt)));
  ASSERT_TRUE(store_->create_user(service_account("later", clock_.now(), expires + hours(1))));
  auto before = store_->list_expired_service_accounts(expires - milliseconds(1));
  ASSERT_TRUE(before) << before.error().description;
  EXPECT_TRUE(before->empty());
  auto at = store_->list_expired_service_accounts(expires);
  ASSERT_TRUE(at);
  ASSERT_EQ(at->size(), 1u);
  EXPECT_EQ((*at)[0].id, "usr_etl");
  ASSERT_TRUE(store_->update_user("usr_etl", UserUpdate{.disabled = true}, expires));
  auto after = store_->list_expired_service_accounts(expires);
  ASSERT_TRUE(after);
  EXPECT_TRUE(after->empty());
}

// Test that disabling an expired service account deletes its tokens as
// kUserDisabled in the same write, and does nothing for an account that is
// not expired (an admin moved the expiry), already disabled, or unknown.
TEST_P(StoreConformanceTest, DisableExpiredServiceAccountIsConditional) {
  const Instant expires = clock_.now() + hours(1);
  ASSERT_TRUE(store_->create_user(service_account("etl", clock_.now(), expires)));
  const AccountToken token = new_token("usr_etl");
  ASSERT_TRUE(store_->issue_account_token(token));

  auto early = store_->disable_expired_service_account("usr_etl", expires - milliseconds(1));
  ASSERT_TRUE(early) << early.error().description;
  EXPECT_FALSE(*early);
  auto live = store_->find_account_token(token.digest);
  ASSERT_TRUE(live);
  EXPECT_TRUE(live->live);

  auto done = store_->disable_expired_service_account("usr_etl", expires);
  ASSERT_TRUE(done) << done.error().description;
  ASSERT_TRUE(*done);
  EXPECT_TRUE((*done)->disabled);
  EXPECT_EQ((*done)->updated_at, expires);
  auto ended = store_->find_account_token(token.digest);
  ASSERT_TRUE(ended);
  EXPECT_FALSE(ended->live);
  ASSERT_TRUE(ended->ended);
  EXPECT_EQ(ended->ended->reason, TokenEndReason::kUserDisabled);
  EXPECT_EQ(ended->ended->ended_at, expires);

  auto again = store_->disable_expired_service_account("usr_etl", expires + hours(1));
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
  auto unknown = store_->disable_expired_service_account("usr_nobody", expires);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);

  // A human with an expiry in the past (never set through the API) is not
  // a service account: nothing happens.
  NewUser human = new_user("alice");
  human.expires_at = clock_.now();
  ASSERT_TRUE(store_->create_user(human));
  auto person = store_->disable_expired_service_account("usr_alice", expires);
  ASSERT_TRUE(person);
  EXPECT_FALSE(*person);
}

NewOutboxEvent outbox_row(std::string id, std::string dedup_key, Instant at) {
  NewOutboxEvent row;
  row.id = std::move(id);
  row.type = "service_account.expired";
  row.occurred_at = at;
  row.data_json = "{}";
  row.dedup_key = std::move(dedup_key);
  row.enqueued_at = at;
  return row;
}

// Test that the rows the caller builds for the disabled account are
// enqueued in the disable's own transaction: present once it is disabled,
// absent when nothing was disabled, a stored dedup key skipped, and a row
// that cannot be stored (its id taken) undoes the disable too, so that
// the account is listed again by the next scan.
TEST_P(StoreConformanceTest, DisableExpiredServiceAccountEnqueuesItsEvents) {
  const Instant expires = clock_.now() + hours(1);
  ASSERT_TRUE(store_->create_user(service_account("etl", clock_.now(), expires)));
  ASSERT_TRUE(store_->create_user(service_account("ops", clock_.now(), expires)));
  auto& outbox = store_->outbox();
  ASSERT_TRUE(*outbox.enqueue(outbox_row("evt_taken", "", expires)));
  ASSERT_TRUE(*outbox.enqueue(outbox_row("evt_dup0", "user.disabled:usr_etl", expires)));
  int calls = 0;
  auto rows_for = [&](const User& user) {
    ++calls;
    EXPECT_TRUE(user.disabled);
    return std::vector<NewOutboxEvent>{
        outbox_row("evt_exp_" + user.name, "service_account.expired:" + user.id, expires),
        outbox_row("evt_dis_" + user.name, "user.disabled:" + user.id, expires)};
  };

  auto early = store_->disable_expired_service_account("usr_etl", expires - seconds(1), rows_for);
  ASSERT_TRUE(early) << early.error().description;
  EXPECT_FALSE(*early);
  EXPECT_EQ(calls, 0);
  EXPECT_FALSE(outbox.get("evt_exp_etl")->has_value());

  auto done = store_->disable_expired_service_account("usr_etl", expires, rows_for);
  ASSERT_TRUE(done) << done.error().description;
  ASSERT_TRUE(*done);
  ASSERT_TRUE(outbox.get("evt_exp_etl")->has_value());
  EXPECT_EQ(outbox.get("evt_exp_etl")->value().status, OutboxStatus::kPending);
  EXPECT_FALSE(outbox.get("evt_dis_etl")->has_value());  // its dedup key was stored

  auto taken = [&](const User& user) {
    return std::vector<NewOutboxEvent>{
        outbox_row("evt_exp_" + user.name, "service_account.expired:" + user.id, expires),
        outbox_row("evt_taken", "", expires)};
  };
  auto refused = store_->disable_expired_service_account("usr_ops", expires, taken);
  ASSERT_FALSE(refused);
  EXPECT_FALSE(store_->get_user("usr_ops")->disabled);
  EXPECT_FALSE(outbox.get("evt_exp_ops")->has_value());
  auto listed = store_->list_expired_service_accounts(expires);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().id, "usr_ops");
}

}  // namespace
}  // namespace latchkey::testing
