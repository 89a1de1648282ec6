#include "unit/store/store_conformance.h"

#include <algorithm>
#include <atomic>
#include <latch>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace latchkey::testing {

std::string backend_name(const ::testing::TestParamInfo<StoreBackend>& info) {
  return info.param.name;
}

void StoreConformanceTest::SetUp() {
  ASSERT_FALSE(dir_.path().empty());
  store_ = GetParam().open(dir_.path());
  ASSERT_NE(store_, nullptr);
}

void StoreConformanceTest::TearDown() { store_.reset(); }

void StoreConformanceTest::reopen() {
  store_.reset();
  store_ = GetParam().open(dir_.path());
  ASSERT_NE(store_, nullptr);
}

NewUser StoreConformanceTest::new_user(std::string_view name, bool api_access) const {
  NewUser user;
  user.id = "usr_" + std::string(name);
  user.name = std::string(name);
  user.type = UserType::kHuman;
  user.api_access = api_access;
  user.created_at = clock_.now();
  return user;
}

User StoreConformanceTest::make_user(std::string_view name) {
  auto user = store_->create_user(new_user(name));
  EXPECT_TRUE(user) << user.error().description;
  return user ? *user : User{};
}

ClientCredential StoreConformanceTest::new_credential(std::string_view user_id,
                                                      std::string_view client_id) {
  ClientCredential credential;
  credential.user_id = std::string(user_id);
  credential.client_id = std::string(client_id);
  credential.secret_digest = random_digest();
  credential.created_at = clock_.now();
  return credential;
}

AccountToken StoreConformanceTest::new_token(std::string_view user_id, std::string_view client_id) {
  AccountToken token;
  token.digest = random_digest();
  token.user_id = std::string(user_id);
  token.client_id = std::string(client_id);
  token.issued_at = clock_.now();
  token.expires_at = clock_.now() + std::chrono::days(365);
  token.issuer_ip = "192.0.2.10";
  token.issuer_user_agent = "curl/8.5.0";
  return token;
}

Digest StoreConformanceTest::random_digest() {
  Digest digest{};
  random_.fill(digest);
  return digest;
}

namespace {

using std::chrono::milliseconds;

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

void expect_same_user(const User& actual, const User& expected) {
  EXPECT_EQ(actual.id, expected.id);
  EXPECT_EQ(actual.name, expected.name);
  EXPECT_EQ(actual.type, expected.type);
  EXPECT_EQ(actual.disabled, expected.disabled);
  EXPECT_EQ(actual.api_access, expected.api_access);
  EXPECT_EQ(sorted(actual.modules), sorted(expected.modules));
  EXPECT_EQ(actual.created_at, expected.created_at);
  EXPECT_EQ(actual.updated_at, expected.updated_at);
}

void expect_same_token(const AccountToken& actual, const AccountToken& expected) {
  EXPECT_EQ(actual.digest, expected.digest);
  EXPECT_EQ(actual.user_id, expected.user_id);
  EXPECT_EQ(actual.client_id, expected.client_id);
  EXPECT_EQ(actual.issued_at, expected.issued_at);
  EXPECT_EQ(actual.expires_at, expected.expires_at);
  EXPECT_EQ(actual.issuer_ip, expected.issuer_ip);
  EXPECT_EQ(actual.issuer_user_agent, expected.issuer_user_agent);
}

void expect_same_credential(const ClientCredential& actual, const ClientCredential& expected) {
  EXPECT_EQ(actual.user_id, expected.user_id);
  EXPECT_EQ(actual.client_id, expected.client_id);
  EXPECT_EQ(actual.secret_digest, expected.secret_digest);
  EXPECT_EQ(actual.created_at, expected.created_at);
}

// --- users -----------------------------------------------------------------

// Test that a created user comes back, unchanged, by id, by name and in the list.
TEST_P(StoreConformanceTest, CreatedUserIsFoundByIdNameAndList) {
  NewUser fresh = new_user("alice");
  fresh.type = UserType::kService;
  fresh.modules = {"RISK", "ADMIN"};
  auto created = store_->create_user(fresh);
  ASSERT_TRUE(created) << created.error().description;
  User expected{fresh.id,         fresh.name,    fresh.type,       false,
                fresh.api_access, fresh.modules, fresh.created_at, fresh.created_at};
  expect_same_user(*created, expected);

  auto by_id = store_->get_user(fresh.id);
  ASSERT_TRUE(by_id) << by_id.error().description;
  expect_same_user(*by_id, expected);

  auto by_name = store_->find_user_by_name("alice");
  ASSERT_TRUE(by_name) << by_name.error().description;
  ASSERT_TRUE(by_name->has_value());
  expect_same_user(**by_name, expected);

  auto all = store_->list_users();
  ASSERT_TRUE(all) << all.error().description;
  ASSERT_EQ(all->size(), 1u);
  expect_same_user(all->front(), expected);
}

// Test that a user without modules comes back with none.
TEST_P(StoreConformanceTest, UserWithoutModulesHasNone) {
  const User created = make_user("bob");
  auto user = store_->get_user(created.id);
  ASSERT_TRUE(user) << user.error().description;
  EXPECT_TRUE(user->modules.empty());
}

// Test that creating a user with a taken name is a conflict and changes nothing.
TEST_P(StoreConformanceTest, DuplicateNameConflicts) {
  make_user("alice");
  NewUser twin = new_user("alice");
  twin.id = "usr_other";
  twin.modules = {"ADMIN"};
  auto created = store_->create_user(twin);
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, ErrorCode::kConflict);
  EXPECT_EQ(store_->get_user("usr_other").error().code, ErrorCode::kNotFound);
  auto all = store_->list_users();
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 1u);
}

// Test that creating a user with a taken id is a conflict.
TEST_P(StoreConformanceTest, DuplicateIdConflicts) {
  make_user("alice");
  NewUser twin = new_user("alice2");
  twin.id = "usr_alice";
  auto created = store_->create_user(twin);
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, ErrorCode::kConflict);
  auto by_name = store_->find_user_by_name("alice2");
  ASSERT_TRUE(by_name);
  EXPECT_FALSE(by_name->has_value());
}

// Test that getting a missing user is kNotFound and finding one by name is empty.
TEST_P(StoreConformanceTest, MissingUserIsNotFound) {
  auto user = store_->get_user("usr_nobody");
  ASSERT_FALSE(user);
  EXPECT_EQ(user.error().code, ErrorCode::kNotFound);
  auto by_name = store_->find_user_by_name("nobody");
  ASSERT_TRUE(by_name) << by_name.error().description;
  EXPECT_FALSE(by_name->has_value());
  auto all = store_->list_users();
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->empty());
}

// Test that users are listed in creation order, not by id or name.
TEST_P(StoreConformanceTest, ListUsersIsOrderedByCreationTime) {
  NewUser zed = new_user("zed");
  zed.modules = {"A"};
  ASSERT_TRUE(store_->create_user(zed));
  clock_.advance(milliseconds(5));
  NewUser amy = new_user("amy");
  ASSERT_TRUE(store_->create_user(amy));
  clock_.advance(milliseconds(5));
  NewUser bob = new_user("bob");
  bob.modules = {"B", "C"};
  ASSERT_TRUE(store_->create_user(bob));

  auto all = store_->list_users();
  ASSERT_TRUE(all) << all.error().description;
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].name, "zed");
  EXPECT_EQ((*all)[1].name, "amy");
  EXPECT_EQ((*all)[2].name, "bob");
  EXPECT_EQ(sorted((*all)[0].modules), std::vector<std::string>({"A"}));
  EXPECT_TRUE((*all)[1].modules.empty());
  EXPECT_EQ(sorted((*all)[2].modules), std::vector<std::string>({"B", "C"}));
}

// Test that an update changes only the given flags and stamps updated_at.
TEST_P(StoreConformanceTest, UpdateUserChangesGivenFlagsAndUpdatedAt) {
  const User alice = make_user("alice");
  clock_.advance(milliseconds(1000));
  const Instant later = clock_.now();
  auto updated = store_->update_user(alice.id, UserUpdate{std::nullopt, false}, later);
  ASSERT_TRUE(updated) << updated.error().description;
  EXPECT_FALSE(updated->api_access);
  EXPECT_FALSE(updated->disabled);
  EXPECT_EQ(updated->created_at, alice.created_at);
  EXPECT_EQ(updated->updated_at, later);

  auto got = store_->get_user(alice.id);
  ASSERT_TRUE(got);
  expect_same_user(*got, *updated);

  auto disabled = store_->update_user(alice.id, UserUpdate{true, std::nullopt}, later);
  ASSERT_TRUE(disabled) << disabled.error().description;
  EXPECT_TRUE(disabled->disabled);
  EXPECT_FALSE(disabled->api_access);
}

// Test that updating a missing user is kNotFound.
TEST_P(StoreConformanceTest, UpdateMissingUserIsNotFound) {
  auto updated = store_->update_user("usr_nobody", UserUpdate{true, true}, clock_.now());
  ASSERT_FALSE(updated);
  EXPECT_EQ(updated.error().code, ErrorCode::kNotFound);
}

// Test that disabling a user deletes their token and tombstones it as
// user_disabled, keeping its expiry (seed 000).
TEST_P(StoreConformanceTest, DisablingUserDeletesTokensWithUserDisabledTombstone) {
  const User alice = make_user("alice");
  const User bob = make_user("bob");
  const AccountToken token = new_token(alice.id);
  const AccountToken bobs = new_token(bob.id);
  ASSERT_TRUE(store_->issue_account_token(token));
  ASSERT_TRUE(store_->issue_account_token(bobs));

  clock_.advance(milliseconds(60'000));
  const Instant at = clock_.now();
  auto disabled = store_->update_user(alice.id, UserUpdate{true, std::nullopt}, at);
  ASSERT_TRUE(disabled) << disabled.error().description;
  EXPECT_TRUE(disabled->disabled);

  auto lookup = store_->find_account_token(token.digest);
  ASSERT_TRUE(lookup) << lookup.error().description;
  EXPECT_FALSE(lookup->live);
  ASSERT_TRUE(lookup->ended);
  EXPECT_EQ(lookup->ended->digest, token.digest);
  EXPECT_EQ(lookup->ended->user_id, alice.id);
  EXPECT_EQ(lookup->ended->reason, TokenEndReason::kUserDisabled);
  EXPECT_EQ(lookup->ended->ended_at, at);
  EXPECT_EQ(lookup->ended->expires_at, token.expires_at);
  EXPECT_EQ(lookup->ended->by_client_id, "");
  EXPECT_EQ(lookup->ended->by_ip, "");
  EXPECT_EQ(lookup->ended->by_user_agent, "");

  auto other = store_->find_account_token(bobs.digest);
  ASSERT_TRUE(other);
  EXPECT_TRUE(other->live);

  // Enabling again does not bring the token back.
  ASSERT_TRUE(store_->update_user(alice.id, UserUpdate{false, std::nullopt}, at));
  auto after = store_->find_account_token(token.digest);
  ASSERT_TRUE(after);
  EXPECT_FALSE(after->live);
}

// Test that an update that does not disable the user keeps their token.
TEST_P(StoreConformanceTest, UpdateWithoutDisablingKeepsTokens) {
  const User alice = make_user("alice");
  const AccountToken token = new_token(alice.id);
  ASSERT_TRUE(store_->issue_account_token(token));
  ASSERT_TRUE(store_->update_user(alice.id, UserUpdate{false, false}, clock_.now()));
  auto lookup = store_->find_account_token(token.digest);
  ASSERT_TRUE(lookup);
  EXPECT_TRUE(lookup->live);
}

// Test that bootstrap creates the first user with its credential.
TEST_P(StoreConformanceTest, BootstrapCreatesFirstUserWithCredential) {
  NewUser admin = new_user("admin");
  admin.modules = {std::string(kModuleAdmin)};
  const ClientCredential credential = new_credential(admin.id, "cli_admin");
  auto done = store_->bootstrap_first_user(admin, credential);
  ASSERT_TRUE(done) << done.error().description;
  EXPECT_TRUE(*done);

  auto user = store_->get_user(admin.id);
  ASSERT_TRUE(user) << user.error().description;
  EXPECT_EQ(user->modules, std::vector<std::string>({std::string(kModuleAdmin)}));
  auto found = store_->find_client_credential("cli_admin");
  ASSERT_TRUE(found);
  ASSERT_TRUE(found->has_value());
  expect_same_credential(**found, credential);
}

// Test that bootstrap writes nothing once any user exists.
TEST_P(StoreConformanceTest, BootstrapDoesNothingWhenAUserExists) {
  make_user("alice");
  const NewUser admin = new_user("admin");
  auto done = store_->bootstrap_first_user(admin, new_credential(admin.id, "cli_admin"));
  ASSERT_TRUE(done) << done.error().description;
  EXPECT_FALSE(*done);
  EXPECT_EQ(store_->get_user(admin.id).error().code, ErrorCode::kNotFound);
  auto found = store_->find_client_credential("cli_admin");
  ASSERT_TRUE(found);
  EXPECT_FALSE(found->has_value());
}

// Test that of many concurrent bootstraps exactly one creates a user.
TEST_P(StoreConformanceTest, ConcurrentBootstrapsCreateExactlyOneUser) {
  constexpr int kThreads = 16;
  std::vector<NewUser> admins;
  std::vector<ClientCredential> credentials;
  for (int i = 0; i < kThreads; ++i) {
    admins.push_back(new_user("admin" + std::to_string(i)));
    credentials.push_back(new_credential(admins.back().id, "cli_" + std::to_string(i)));
  }
  std::vector<Result<bool>> results(kThreads, false);
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      results[i] = store_->bootstrap_first_user(admins[i], credentials[i]);
    });
  }
  for (auto& t : threads) t.join();

  int created = 0;
  int winner = -1;
  for (int i = 0; i < kThreads; ++i) {
    ASSERT_TRUE(results[i]) << results[i].error().description;
    if (*results[i]) {
      ++created;
      winner = i;
    }
  }
  ASSERT_EQ(created, 1);
  auto all = store_->list_users();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->front().id, admins[winner].id);
  auto credential = store_->client_credential_of_user(admins[winner].id);
  ASSERT_TRUE(credential);
  ASSERT_TRUE(credential->has_value());
  expect_same_credential(**credential, credentials[winner]);
}

// --- client credentials --------------------------------------------------------

// Test that a stored credential is found by client id and by user.
TEST_P(StoreConformanceTest, CredentialIsFoundByClientIdAndByUser) {
  const User alice = make_user("alice");
  const ClientCredential credential = new_credential(alice.id, "cli_alice");
  ASSERT_TRUE(store_->put_client_credential(credential));

  auto by_client = store_->find_client_credential("cli_alice");
  ASSERT_TRUE(by_client) << by_client.error().description;
  ASSERT_TRUE(by_client->has_value());
  expect_same_credential(**by_client, credential);

  auto of_user = store_->client_credential_of_user(alice.id);
  ASSERT_TRUE(of_user) << of_user.error().description;
  ASSERT_TRUE(of_user->has_value());
  expect_same_credential(**of_user, credential);

  auto unknown = store_->find_client_credential("cli_nobody");
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(unknown->has_value());
  auto none = store_->client_credential_of_user("usr_nobody");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
}

// Test that a credential for a missing user is kNotFound.
TEST_P(StoreConformanceTest, CredentialForMissingUserIsNotFound) {
  auto put = store_->put_client_credential(new_credential("usr_nobody", "cli_x"));
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().code, ErrorCode::kNotFound);
  auto found = store_->find_client_credential("cli_x");
  ASSERT_TRUE(found);
  EXPECT_FALSE(found->has_value());
}

// Test that replacing a credential makes the old secret digest and the old
// client id unfindable (seed 000: Reset Secret Key).
TEST_P(StoreConformanceTest, ReplacingCredentialForgetsTheOldOne) {
  const User alice = make_user("alice");
  const ClientCredential first = new_credential(alice.id, "cli_one");
  ASSERT_TRUE(store_->put_client_credential(first));

  // Same client id, new secret: the old digest no longer matches.
  clock_.advance(milliseconds(10));
  const ClientCredential reset = new_credential(alice.id, "cli_one");
  ASSERT_NE(reset.secret_digest, first.secret_digest);
  ASSERT_TRUE(store_->put_client_credential(reset));
  auto found = store_->find_client_credential("cli_one");
  ASSERT_TRUE(found);
  ASSERT_TRUE(found->has_value());
  expect_same_credential(**found, reset);

  // New client id: the old one is gone.
  const ClientCredential moved = new_credential(alice.id, "cli_two");
  ASSERT_TRUE(store_->put_client_credential(moved));
  auto old = store_->find_client_credential("cli_one");
  ASSERT_TRUE(old);
  EXPECT_FALSE(old->has_value());
  auto current = store_->client_credential_of_user(alice.id);
  ASSERT_TRUE(current);
  ASSERT_TRUE(current->has_value());
  expect_same_credential(**current, moved);
}

// Test that a client id held by another user is a conflict that changes nothing.
TEST_P(StoreConformanceTest, ClientIdOfAnotherUserConflicts) {
  const User alice = make_user("alice");
  const User bob = make_user("bob");
  const ClientCredential alices = new_credential(alice.id, "cli_shared");
  const ClientCredential bobs = new_credential(bob.id, "cli_bob");
  ASSERT_TRUE(store_->put_client_credential(alices));
  ASSERT_TRUE(store_->put_client_credential(bobs));

  auto stolen = store_->put_client_credential(new_credential(bob.id, "cli_shared"));
  ASSERT_FALSE(stolen);
  EXPECT_EQ(stolen.error().code, ErrorCode::kConflict);

  auto shared = store_->find_client_credential("cli_shared");
  ASSERT_TRUE(shared);
  ASSERT_TRUE(shared->has_value());
  expect_same_credential(**shared, alices);
  auto kept = store_->client_credential_of_user(bob.id);
  ASSERT_TRUE(kept);
  ASSERT_TRUE(kept->has_value());
  expect_same_credential(**kept, bobs);
}

// --- account tokens --------------------------------------------------------------

// Test that an issued token is found live with every field, and an unknown
// digest finds nothing.
TEST_P(StoreConformanceTest, IssuedTokenIsFoundLive) {
  const User alice = make_user("alice");
  const AccountToken token = new_token(alice.id);
  ASSERT_TRUE(store_->issue_account_token(token));

  auto lookup = store_->find_account_token(token.digest);
  ASSERT_TRUE(lookup) << lookup.error().description;
  ASSERT_TRUE(lookup->live);
  EXPECT_FALSE(lookup->ended);
  expect_same_token(*lookup->live, token);

  auto unknown = store_->find_account_token(random_digest());
  ASSERT_TRUE(unknown) << unknown.error().description;
  EXPECT_FALSE(unknown->live);
  EXPECT_FALSE(unknown->ended);
}

// Test that issuing supersedes the user's earlier token, tombstoned with the
// new token's issuer as by_* (seed 000: regenerating invalidates all prior tokens).
TEST_P(StoreConformanceTest, IssuingSupersedesEarlierTokenRecordingTheNewIssuer) {
  const User alice = make_user("alice");
  const AccountToken first = new_token(alice.id, "cli_laptop");
  ASSERT_TRUE(store_->issue_account_token(first));

  clock_.advance(milliseconds(90'000));
  AccountToken second = new_token(alice.id, "cli_ci");
  second.issuer_ip = "2001:db8::7";
  second.issuer_user_agent = "ci-runner/2.1";
  ASSERT_TRUE(store_->issue_account_token(second));

  auto old = store_->find_account_token(first.digest);
  ASSERT_TRUE(old) << old.error().description;
  EXPECT_FALSE(old->live);
  ASSERT_TRUE(old->ended);
  EXPECT_EQ(old->ended->digest, first.digest);
  EXPECT_EQ(old->ended->user_id, alice.id);
  EXPECT_EQ(old->ended->reason, TokenEndReason::kSuperseded);
  EXPECT_EQ(old->ended->ended_at, second.issued_at);
  EXPECT_EQ(old->ended->expires_at, first.expires_at);
  EXPECT_EQ(old->ended->by_client_id, "cli_ci");
  EXPECT_EQ(old->ended->by_ip, "2001:db8::7");
  EXPECT_EQ(old->ended->by_user_agent, "ci-runner/2.1");

  auto current = store_->find_account_token(second.digest);
  ASSERT_TRUE(current);
  ASSERT_TRUE(current->live);
  expect_same_token(*current->live, second);
}

// Test that issuing for one user leaves other users' tokens alone.
TEST_P(StoreConformanceTest, IssuingTouchesOnlyThatUsersTokens) {
  const User alice = make_user("alice");
  const User bob = make_user("bob");
  const AccountToken bobs = new_token(bob.id);
  ASSERT_TRUE(store_->issue_account_token(bobs));
  ASSERT_TRUE(store_->issue_account_token(new_token(alice.id)));
  ASSERT_TRUE(store_->issue_account_token(new_token(alice.id)));
  auto lookup = store_->find_account_token(bobs.digest);
  ASSERT_TRUE(lookup);
  EXPECT_TRUE(lookup->live);
}

// Test that issuing for a missing user is kNotFound and stores nothing.
TEST_P(StoreConformanceTest, IssuingForMissingUserIsNotFound) {
  const AccountToken token = new_token("usr_nobody");
  auto issued = store_->issue_account_token(token);
  ASSERT_FALSE(issued);
  EXPECT_EQ(issued.error().code, ErrorCode::kNotFound);
  auto lookup = store_->find_account_token(token.digest);
  ASSERT_TRUE(lookup);
  EXPECT_FALSE(lookup->live);
  EXPECT_FALSE(lookup->ended);
}

// Test that issuing for a disabled user is refused inside the store, so an
// issuance racing a disable cannot leave a live token behind.
TEST_P(StoreConformanceTest, IssuingForDisabledUserIsRefused) {
  const User alice = make_user("alice");
  ASSERT_TRUE(store_->update_user(alice.id, UserUpdate{true, std::nullopt}, clock_.now()));
  const AccountToken token = new_token(alice.id);
  auto issued = store_->issue_account_token(token);
  ASSERT_FALSE(issued);
  EXPECT_EQ(issued.error().code, ErrorCode::kConflict);
  EXPECT_EQ(issued.error().reason, "user_disabled");
  auto lookup = store_->find_account_token(token.digest);
  ASSERT_TRUE(lookup);
  EXPECT_FALSE(lookup->live);
}

// Test that ending a token tombstones it with the reason, and that ending it
// again (or ending an unknown digest) returns false.
TEST_P(StoreConformanceTest, EndAccountTokenTombstonesOnce) {
  const User alice = make_user("alice");
  const AccountToken token = new_token(alice.id);
  ASSERT_TRUE(store_->issue_account_token(token));

  clock_.advance(milliseconds(30'000));
  const Instant at = clock_.now();
  auto ended = store_->end_account_token(token.digest, TokenEndReason::kRevoked, at);
  ASSERT_TRUE(ended) << ended.error().description;
  EXPECT_TRUE(*ended);

  auto lookup = store_->find_account_token(token.digest);
  ASSERT_TRUE(lookup);
  EXPECT_FALSE(lookup->live);
  ASSERT_TRUE(lookup->ended);
  EXPECT_EQ(lookup->ended->reason, TokenEndReason::kRevoked);
  EXPECT_EQ(lookup->ended->user_id, alice.id);
  EXPECT_EQ(lookup->ended->ended_at, at);
  EXPECT_EQ(lookup->ended->expires_at, token.expires_at);
  EXPECT_EQ(lookup->ended->by_client_id, "");

  auto again = store_->end_account_token(token.digest, TokenEndReason::kExpired, at);
  ASSERT_TRUE(again) << again.error().description;
  EXPECT_FALSE(*again);
  auto still = store_->find_account_token(token.digest);
  ASSERT_TRUE(still);
  ASSERT_TRUE(still->ended);
  EXPECT_EQ(still->ended->reason, TokenEndReason::kRevoked);

  auto unknown = store_->end_account_token(random_digest(), TokenEndReason::kRevoked, at);
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(*unknown);
}

// Test that an expired token ends with reason expired (seed 000: removed on first use).
TEST_P(StoreConformanceTest, EndAccountTokenRecordsExpiry) {
  const User alice = make_user("alice");
  const AccountToken token = new_token(alice.id);
  ASSERT_TRUE(store_->issue_account_token(token));
  auto ended = store_->end_account_token(token.digest, TokenEndReason::kExpired, token.expires_at);
  ASSERT_TRUE(ended);
  EXPECT_TRUE(*ended);
  auto lookup = store_->find_account_token(token.digest);
  ASSERT_TRUE(lookup);
  ASSERT_TRUE(lookup->ended);
  EXPECT_EQ(lookup->ended->reason, TokenEndReason::kExpired);
}

// Test that ending every token of a user ends only that user's tokens and
// counts them.
TEST_P(StoreConformanceTest, EndAccountTokensOfUserEndsOnlyThatUser) {
  const User alice = make_user("alice");
  const User bob = make_user("bob");
  const AccountToken alices = new_token(alice.id);
  const AccountToken bobs = new_token(bob.id);
  ASSERT_TRUE(store_->issue_account_token(alices));
  ASSERT_TRUE(store_->issue_account_token(bobs));

  const Instant at = clock_.now() + milliseconds(1);
  auto count = store_->end_account_tokens_of_user(alice.id, TokenEndReason::kRevoked, at);
  ASSERT_TRUE(count) << count.error().description;
  EXPECT_EQ(*count, 1);

  auto lookup = store_->find_account_token(alices.digest);
  ASSERT_TRUE(lookup);
  EXPECT_FALSE(lookup->live);
  ASSERT_TRUE(lookup->ended);
  EXPECT_EQ(lookup->ended->reason, TokenEndReason::kRevoked);
  EXPECT_EQ(lookup->ended->ended_at, at);
  auto other = store_->find_account_token(bobs.digest);
  ASSERT_TRUE(other);
  EXPECT_TRUE(other->live);

  auto again = store_->end_account_tokens_of_user(alice.id, TokenEndReason::kRevoked, at);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0);
  auto nobody = store_->end_account_tokens_of_user("usr_nobody", TokenEndReason::kRevoked, at);
  ASSERT_TRUE(nobody);
  EXPECT_EQ(*nobody, 0);
}

// Test that pruning forgets exactly the tombstones that expired before now.
TEST_P(StoreConformanceTest, PruneForgetsOnlyTombstonesExpiredBeforeNow) {
  const User alice = make_user("alice");
  const Instant now = clock_.now() + std::chrono::days(30);
  std::vector<AccountToken> tokens;
  for (Duration offset : {milliseconds(-1), milliseconds(0), milliseconds(1)}) {
    AccountToken token = new_token(alice.id);
    token.expires_at = now + offset;
    ASSERT_TRUE(store_->issue_account_token(token));
    tokens.push_back(token);
  }
  // The third token is live; end it too.
  ASSERT_TRUE(store_->end_account_token(tokens[2].digest, TokenEndReason::kRevoked, clock_.now()));

  auto pruned = store_->prune_tombstones(now);
  ASSERT_TRUE(pruned) << pruned.error().description;
  EXPECT_EQ(*pruned, 1);

  auto gone = store_->find_account_token(tokens[0].digest);
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->live);
  EXPECT_FALSE(gone->ended);
  for (int i : {1, 2}) {
    auto kept = store_->find_account_token(tokens[i].digest);
    ASSERT_TRUE(kept);
    EXPECT_TRUE(kept->ended) << i;
  }
  auto again = store_->prune_tombstones(now);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0);
}

// Test that pruning never touches live tokens, even expired ones.
TEST_P(StoreConformanceTest, PruneKeepsLiveTokens) {
  const User alice = make_user("alice");
  const AccountToken token = new_token(alice.id);
  ASSERT_TRUE(store_->issue_account_token(token));
  auto pruned = store_->prune_tombstones(token.expires_at + std::chrono::days(1));
  ASSERT_TRUE(pruned);
  EXPECT_EQ(*pruned, 0);
  auto lookup = store_->find_account_token(token.digest);
  ASSERT_TRUE(lookup);
  EXPECT_TRUE(lookup->live);
}

// --- durability ------------------------------------------------------------------

// Test that everything written survives closing and reopening the store.
TEST_P(StoreConformanceTest, ReopeningKeepsEverything) {
  NewUser fresh = new_user("alice");
  fresh.modules = {"ADMIN", "RISK"};
  ASSERT_TRUE(store_->create_user(fresh));
  const ClientCredential credential = new_credential(fresh.id, "cli_alice");
  ASSERT_TRUE(store_->put_client_credential(credential));
  const AccountToken first = new_token(fresh.id);
  ASSERT_TRUE(store_->issue_account_token(first));
  clock_.advance(milliseconds(1));
  const AccountToken second = new_token(fresh.id, "cli_other");
  ASSERT_TRUE(store_->issue_account_token(second));

  reopen();

  auto user = store_->get_user(fresh.id);
  ASSERT_TRUE(user) << user.error().description;
  EXPECT_EQ(user->name, "alice");
  EXPECT_EQ(sorted(user->modules), sorted(fresh.modules));
  auto found = store_->find_client_credential("cli_alice");
  ASSERT_TRUE(found);
  ASSERT_TRUE(found->has_value());
  expect_same_credential(**found, credential);
  auto live = store_->find_account_token(second.digest);
  ASSERT_TRUE(live);
  ASSERT_TRUE(live->live);
  expect_same_token(*live->live, second);
  auto ended = store_->find_account_token(first.digest);
  ASSERT_TRUE(ended);
  ASSERT_TRUE(ended->ended);
  EXPECT_EQ(ended->ended->reason, TokenEndReason::kSuperseded);
  EXPECT_EQ(ended->ended->by_client_id, "cli_other");

  // And the reopened store takes writes.
  ASSERT_TRUE(store_->issue_account_token(new_token(fresh.id)));
}

// --- concurrency -----------------------------------------------------------------

// Test that 64 threads issuing for one user leave exactly one live token,
// every other token superseded by exactly one later issuance (a single
// chain), and that no observer ever sees two live tokens (invariant 1).
TEST_P(StoreConformanceTest, ConcurrentIssuersForOneUserLeaveExactlyOneLiveToken) {
  constexpr int kThreads = 64;
  constexpr int kPerThread = 6;
  constexpr int kTokens = kThreads * kPerThread;
  const User alice = make_user("alice");
  std::vector<AccountToken> tokens;
  for (int i = 0; i < kTokens; ++i) {
    AccountToken token = new_token(alice.id, "cli_" + std::to_string(i));
    token.issued_at = clock_.now() + milliseconds(i);
    token.expires_at = token.issued_at + std::chrono::days(365);
    token.issuer_ip = "10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256);
    token.issuer_user_agent = "agent/" + std::to_string(i);
    tokens.push_back(token);
  }

  auto probe = GetParam().open_probe(dir_.path());
  ASSERT_NE(probe, nullptr);
  std::atomic<bool> storm_over{false};
  std::atomic<int> most_live_seen{0};
  std::atomic<int> probes{0};
  std::thread watcher([&] {
    do {
      const int live = probe->count_live_tokens(alice.id);
      most_live_seen.store(std::max(most_live_seen.load(), live));
      probes.fetch_add(1);
    } while (!storm_over.load());
  });

  // A reader through the Store: a token acknowledged as issued is never
  // unknown afterwards (it is live or superseded).
  std::vector<std::atomic<bool>> acknowledged(kTokens);
  std::atomic<int> unknown_after_ack{0};
  std::thread reader([&] {
    do {
      for (int i = 0; i < kTokens; ++i) {
        if (!acknowledged[i].load()) continue;
        auto lookup = store_->find_account_token(tokens[i].digest);
        if (!lookup || (!lookup->live && !lookup->ended)) unknown_after_ack.fetch_add(1);
      }
    } while (!storm_over.load());
  });

  std::vector<Status> results(kTokens);
  std::latch start(kThreads);
  std::vector<std::thread> issuers;
  for (int t = 0; t < kThreads; ++t) {
    issuers.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int k = 0; k < kPerThread; ++k) {
        const int i = t * kPerThread + k;
        results[i] = store_->issue_account_token(tokens[i]);
        if (results[i]) acknowledged[i].store(true);
      }
    });
  }
  for (auto& t : issuers) t.join();
  storm_over.store(true);
  watcher.join();
  reader.join();

  for (int i = 0; i < kTokens; ++i) {
    ASSERT_TRUE(results[i]) << results[i].error().description;
  }
  EXPECT_LE(most_live_seen.load(), 1);
  EXPECT_GT(probes.load(), 0);
  EXPECT_EQ(unknown_after_ack.load(), 0);
  EXPECT_EQ(probe->count_live_tokens(alice.id), 1);

  std::map<std::string, int> by_client;  // client id -> token index
  for (int i = 0; i < kTokens; ++i) by_client[tokens[i].client_id] = i;
  int live = 0;
  int live_index = -1;
  std::set<int> superseders;
  for (int i = 0; i < kTokens; ++i) {
    auto lookup = store_->find_account_token(tokens[i].digest);
    ASSERT_TRUE(lookup) << lookup.error().description;
    if (lookup->live) {
      ++live;
      live_index = i;
      continue;
    }
    ASSERT_TRUE(lookup->ended) << "token " << i << " vanished";
    const TokenTombstone& ended = *lookup->ended;
    EXPECT_EQ(ended.reason, TokenEndReason::kSuperseded);
    EXPECT_EQ(ended.expires_at, tokens[i].expires_at);
    auto it = by_client.find(ended.by_client_id);
    ASSERT_NE(it, by_client.end()) << ended.by_client_id;
    const AccountToken& next = tokens[it->second];
    EXPECT_NE(it->second, i);
    EXPECT_EQ(ended.ended_at, next.issued_at);
    EXPECT_EQ(ended.by_ip, next.issuer_ip);
    EXPECT_EQ(ended.by_user_agent, next.issuer_user_agent);
    EXPECT_TRUE(superseders.insert(it->second).second)
        << "token " << it->second << " superseded two tokens";
  }
  EXPECT_EQ(live, 1);
  // Every token but the first committed superseded exactly one other: the
  // issuances form one chain that ends at the live token.
  EXPECT_EQ(superseders.size(), static_cast<std::size_t>(kTokens - 1));
  EXPECT_TRUE(superseders.count(live_index) == 1 || kTokens == 1);
}

// Test that concurrent issuers for many users leave one live token per user.
TEST_P(StoreConformanceTest, ConcurrentIssuersForManyUsersLeaveOneTokenEach) {
  constexpr int kUsers = 8;
  constexpr int kThreads = 32;
  constexpr int kPerThread = 4;
  std::vector<User> users;
  for (int u = 0; u < kUsers; ++u) users.push_back(make_user("user" + std::to_string(u)));
  std::vector<AccountToken> tokens;
  for (int i = 0; i < kThreads * kPerThread; ++i) {
    tokens.push_back(new_token(users[i % kUsers].id, "cli_" + std::to_string(i)));
  }
  std::latch start(kThreads);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int k = 0; k < kPerThread; ++k) {
        if (!store_->issue_account_token(tokens[t * kPerThread + k])) failures.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);

  auto probe = GetParam().open_probe(dir_.path());
  ASSERT_NE(probe, nullptr);
  std::vector<int> live(kUsers, 0);
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    auto lookup = store_->find_account_token(tokens[i].digest);
    ASSERT_TRUE(lookup);
    if (lookup->live) ++live[i % kUsers];
  }
  for (int u = 0; u < kUsers; ++u) {
    EXPECT_EQ(live[u], 1) << users[u].id;
    EXPECT_EQ(probe->count_live_tokens(users[u].id), 1) << users[u].id;
  }
}

// Test that a write failing inside a group commit fails alone: of two
// concurrent creations with the same name exactly one gets kConflict, and
// every other concurrent write commits.
TEST_P(StoreConformanceTest, FailingWriteDoesNotFailItsBatchMates) {
  constexpr int kThreads = 32;
  constexpr int kDuplicatePairs = 4;  // threads 2k and 2k+1 (k < 4) share a name
  std::vector<NewUser> users;
  for (int i = 0; i < kThreads; ++i) {
    const std::string name =
        i < 2 * kDuplicatePairs ? "dup" + std::to_string(i / 2) : "solo" + std::to_string(i);
    NewUser user = new_user(name);
    user.id = "usr_t" + std::to_string(i);
    user.modules = {"M" + std::to_string(i)};
    users.push_back(user);
  }
  std::vector<Result<User>> results(kThreads, fail(Error::internal("not run")));
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      results[i] = store_->create_user(users[i]);
    });
  }
  for (auto& t : threads) t.join();

  for (int k = 0; k < kDuplicatePairs; ++k) {
    const auto& a = results[2 * k];
    const auto& b = results[2 * k + 1];
    EXPECT_NE(a.has_value(), b.has_value()) << "pair " << k;
    const auto& loser = a ? b : a;
    if (!loser) {
      EXPECT_EQ(loser.error().code, ErrorCode::kConflict);
    }
  }
  for (int i = 2 * kDuplicatePairs; i < kThreads; ++i) {
    ASSERT_TRUE(results[i]) << results[i].error().description;
  }
  auto all = store_->list_users();
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), static_cast<std::size_t>(kThreads - kDuplicatePairs));
  for (int i = 0; i < kThreads; ++i) {
    auto user = store_->get_user(users[i].id);
    EXPECT_EQ(user.has_value(), results[i].has_value()) << i;
    // The loser's modules were rolled back with it.
    if (user) {
      EXPECT_EQ(user->modules, users[i].modules);
    }
  }
}

// Test that a read on one thread sees every write another thread had
// acknowledged before the read started.
TEST_P(StoreConformanceTest, ReadsSeeEveryAcknowledgedWrite) {
  constexpr int kWrites = 200;
  std::vector<AccountToken> tokens;
  std::vector<NewUser> users;
  for (int i = 0; i < kWrites; ++i) {
    users.push_back(new_user("u" + std::to_string(i)));
    tokens.push_back(new_token(users.back().id));
  }
  std::atomic<int> acknowledged{0};
  std::atomic<int> misses{0};
  std::atomic<int> checks{0};
  std::thread reader([&] {
    int seen = 0;
    while (seen < kWrites) {
      const int n = acknowledged.load();
      if (n == seen) {
        std::this_thread::yield();
        continue;
      }
      seen = n;
      auto user = store_->get_user(users[n - 1].id);
      auto lookup = store_->find_account_token(tokens[n - 1].digest);
      if (!user || !lookup || !lookup->live) misses.fetch_add(1);
      checks.fetch_add(1);
    }
  });
  for (int i = 0; i < kWrites; ++i) {
    EXPECT_TRUE(store_->create_user(users[i]));
    EXPECT_TRUE(store_->issue_account_token(tokens[i]));
    acknowledged.store(i + 1);  // even after a failure, so the reader ends
  }
  reader.join();
  EXPECT_EQ(misses.load(), 0);
  EXPECT_GT(checks.load(), 0);
}

}  // namespace
}  // namespace latchkey::testing

namespace latchkey::testing {

// Test that setting a secret keeps the client id once there is one and
// replaces the digest (seed 000: the client stays visible, the old secret dies).
TEST_P(StoreConformanceTest, SetClientSecretKeepsTheClientId) {
  const User alice = make_user("alice");
  const Digest first = random_digest();
  auto created = store_->set_client_secret(alice.id, "cli_first", first, clock_.now(), false);
  ASSERT_TRUE(created) << created.error().description;
  EXPECT_EQ(created->client_id, "cli_first");

  const Digest second = random_digest();
  auto reset = store_->set_client_secret(alice.id, "cli_other", second, clock_.now(), false);
  ASSERT_TRUE(reset);
  EXPECT_EQ(reset->client_id, "cli_first");
  auto found = store_->find_client_credential("cli_first");
  ASSERT_TRUE(found && found->has_value());
  EXPECT_TRUE(digests_equal((*found)->secret_digest, second));
  EXPECT_FALSE(store_->find_client_credential("cli_other")->has_value());
  EXPECT_EQ(
      store_->set_client_secret("usr_nobody", "cli_x", second, clock_.now(), false).error().code,
      ErrorCode::kNotFound);
}

// Test that "only if none" enrols once and then refuses without writing.
TEST_P(StoreConformanceTest, EnrolmentHappensOnce) {
  const User alice = make_user("alice");
  const Digest first = random_digest();
  ASSERT_TRUE(store_->set_client_secret(alice.id, "cli_a", first, clock_.now(), true));
  auto again = store_->set_client_secret(alice.id, "cli_b", random_digest(), clock_.now(), true);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kForbidden);
  EXPECT_TRUE(digests_equal((*store_->find_client_credential("cli_a"))->secret_digest, first));
}

// Test that concurrent enrolments of one user leave exactly one credential:
// the check and the write are one transaction.
TEST_P(StoreConformanceTest, ConcurrentEnrolmentsLeaveOneCredential) {
  const User alice = make_user("alice");
  constexpr int kThreads = 16;
  std::atomic<int> enrolled{0}, refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      Digest d{};
      d.fill(static_cast<std::uint8_t>(i + 1));
      auto r =
          store_->set_client_secret(alice.id, "cli_" + std::to_string(i), d, clock_.now(), true);
      if (r)
        ++enrolled;
      else if (r.error().code == ErrorCode::kForbidden)
        ++refused;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(enrolled, 1);
  EXPECT_EQ(refused, kThreads - 1);
}

// Test that a token which had already expired when it was superseded is
// remembered as expired, not superseded.
TEST_P(StoreConformanceTest, EndingAnExpiredTokenRecordsExpired) {
  const User alice = make_user("alice");
  const AccountToken old = new_token(alice.id);
  ASSERT_TRUE(store_->issue_account_token(old));
  clock_.advance(std::chrono::days(366));
  ASSERT_TRUE(store_->issue_account_token(new_token(alice.id)));
  auto lookup = store_->find_account_token(old.digest);
  ASSERT_TRUE(lookup && lookup->ended);
  EXPECT_EQ(lookup->ended->reason, TokenEndReason::kExpired);
}

}  // namespace latchkey::testing
