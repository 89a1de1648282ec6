// KeyService::reroll (docs/rotation.md): a new key with the old one's name,
// role, scope, limits and remaining validity, revealed once; the old key
// works until its lapse (decided by the injected clock) and is then refused
// with reason "rotated"; who may reroll; what cannot be rerolled.
#include <gtest/gtest.h>

#include <functional>

#include "core/secret.h"
#include "keys/key_service.h"
#include "support/counter_random.h"
#include "support/fake_clock.h"
#include "unit/keys/mem_key_store.h"

namespace latchkey::keys {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::CounterRandom;
using testing::FakeClock;
using testing::MemKeyStore;

// A KeyStore over MemKeyStore whose reroll_key can run a hook right after
// the inner reroll commits (a concurrent change), report a lost outcome
// (commit, then kUnavailable: docs/security/faults.md "after_commit") or
// fail before writing; find_key can be made to fail too.
class RerollRaceStore final : public KeyStore {
 public:
  explicit RerollRaceStore(MemKeyStore& inner) : inner_(inner) {}

  Status insert_key(const ApiKey& key) override { return inner_.insert_key(key); }
  Result<std::optional<ApiKey>> find_key(std::string_view id) override {
    if (fail_find) return fail(Error::unavailable("disk gone"));
    return inner_.find_key(id);
  }
  Result<std::optional<ApiKey>> find_key_by_digest(const Digest& digest) override {
    return inner_.find_key_by_digest(digest);
  }
  Result<std::vector<ApiKey>> list_keys_of_user(std::string_view user_id) override {
    return inner_.list_keys_of_user(user_id);
  }
  Result<std::vector<ApiKey>> list_keys() override { return inner_.list_keys(); }
  Result<std::optional<ApiKey>> deactivate_key(std::string_view id, Instant at,
                                               std::string_view by) override {
    return inner_.deactivate_key(id, at, by);
  }
  Result<int> record_key_usage(const std::vector<KeyUsage>& usages) override {
    return inner_.record_key_usage(usages);
  }
  Result<KeyReroll> reroll_key(std::string_view old_id, const ApiKey& new_key, Instant lapses_at,
                               Instant at) override {
    if (fail_before_write) return fail(Error::unavailable("disk full"));
    auto rerolled = inner_.reroll_key(old_id, new_key, lapses_at, at);
    if (rerolled && after_commit) after_commit();
    if (rerolled && lose_outcome) return fail(Error::unavailable("connection lost"));
    return rerolled;
  }
  Result<std::optional<ApiKey>> set_key_limits(std::string_view id,
                                               const KeyLimitOverride& limits) override {
    return inner_.set_key_limits(id, limits);
  }
  Result<std::optional<ApiKey>> set_key_allowed_origins(
      std::string_view id, const std::vector<std::string>& cidrs) override {
    return inner_.set_key_allowed_origins(id, cidrs);
  }

  std::function<void()> after_commit;
  bool lose_outcome = false;
  bool fail_before_write = false;
  bool fail_find = false;

 private:
  MemKeyStore& inner_;
};

// "ok" when `api_key` authenticates, else the refusal's reason.
std::string reason_of(KeyService& service, const std::string& api_key) {
  auto r = service.authenticate(api_key);
  return r ? "ok" : r.error().reason;
}

Principal user(std::string id, bool admin = false) {
  Principal p;
  p.user_id = std::move(id);
  p.name = p.user_id;
  p.api_access = true;
  if (admin) p.modules.push_back(std::string(kModuleAdmin));
  return p;
}

class KeyRerollTest : public ::testing::Test {
 protected:
  CreatedKey create(const Principal& actor, bool read_only = false, std::string role = {}) {
    CreateKeyRequest r;
    r.name = "deploy";
    r.expires_in_days = 30;
    r.read_only = read_only;
    r.role_id = std::move(role);
    auto created = service_.create(actor, r);
    EXPECT_TRUE(created) << created.error().description;
    return created.value_or(CreatedKey{});
  }

  MemKeyStore store_;
  FakeClock clock_;
  CounterRandom random_;
  KeyService service_{store_, clock_, random_};
  Principal alice_ = user("usr_alice");
  Principal bob_ = user("usr_bob");
  Principal admin_ = user("usr_admin", true);
};

// Test that the new key copies what it should, is revealed once, and keeps
// the remaining validity (not a fresh one).
TEST_F(KeyRerollTest, NewKeyKeepsNameRoleScopeLimitsAndRemainingValidity) {
  const CreatedKey old_key = create(alice_, /*read_only=*/true, "rol_reader");
  ASSERT_TRUE(service_.set_limits(admin_, old_key.key.id, {.requests_per_minute = 9}));
  clock_.advance(hours(24 * 10));
  auto rerolled = service_.reroll(alice_, old_key.key.id, seconds(60));
  ASSERT_TRUE(rerolled) << rerolled.error().description;
  const ApiKey& fresh = rerolled->created.key;
  EXPECT_TRUE(is_well_formed_secret(rerolled->created.api_key, SecretKind::kApiKey));
  EXPECT_NE(rerolled->created.api_key, old_key.api_key);
  EXPECT_EQ(fresh.digest, digest_secret(rerolled->created.api_key));
  EXPECT_NE(fresh.id, old_key.key.id);
  EXPECT_EQ(fresh.name, "deploy");
  EXPECT_EQ(fresh.role_id, "rol_reader");
  EXPECT_TRUE(fresh.read_only);
  EXPECT_EQ(fresh.limits.requests_per_minute, 9);
  EXPECT_EQ(service_.limits_of(fresh.id)->requests_per_minute, 9);
  EXPECT_EQ(fresh.expires_at, old_key.key.expires_at);
  EXPECT_EQ(fresh.created_at, clock_.now());
  EXPECT_EQ(fresh.rerolled_from, old_key.key.id);
  EXPECT_EQ(rerolled->old_key.replaced_by, fresh.id);
  EXPECT_EQ(rerolled->old_key.lapses_at, clock_.now() + seconds(60));
  EXPECT_EQ(rerolled->old_key.status, KeyStatus::kActive);
}

// Test that the new key carries the old key's allowed origins at once: in
// the answer, in memory (authenticate(), which the pipeline's key check
// and the token exchange use) and in the store.
TEST_F(KeyRerollTest, NewKeyKeepsTheAllowedOrigins) {
  const CreatedKey old_key = create(alice_);
  const std::vector<std::string> origins = {"192.0.2.0/24"};
  ASSERT_TRUE(service_.set_allowed_origins(alice_, old_key.key.id, origins));
  auto rerolled = service_.reroll(alice_, old_key.key.id, seconds(60));
  ASSERT_TRUE(rerolled) << rerolled.error().description;
  EXPECT_EQ(rerolled->created.key.allowed_origins, origins);
  auto authenticated = service_.authenticate(rerolled->created.api_key);
  ASSERT_TRUE(authenticated);
  EXPECT_EQ(authenticated->allowed_origins, origins);
  EXPECT_EQ(service_.get(alice_, rerolled->created.key.id)->allowed_origins, origins);
  EXPECT_EQ((*store_.find_key(rerolled->created.key.id))->allowed_origins, origins);
  EXPECT_EQ(service_.authenticate(old_key.api_key)->allowed_origins, origins);
}

// Test that rerolling B (A's new key) while A's overlap runs ends it: A is
// refused as "rotated" at once, B keeps its own overlap, C works.
TEST_F(KeyRerollTest, RerollingTheNewKeyEndsTheOldOnesOverlap) {
  const CreatedKey a = create(alice_);
  auto b = service_.reroll(alice_, a.key.id, hours(2));
  ASSERT_TRUE(b);
  clock_.advance(seconds(600));
  EXPECT_EQ(reason_of(service_, a.api_key), "ok");
  auto c = service_.reroll(alice_, b->created.key.id, hours(1));
  ASSERT_TRUE(c) << c.error().description;
  EXPECT_EQ(reason_of(service_, a.api_key), "rotated");
  EXPECT_FALSE(service_.is_active(a.key.id, clock_.now()));
  EXPECT_EQ(service_.find(a.key.id).value()->lapses_at, clock_.now());
  EXPECT_EQ(reason_of(service_, b->created.api_key), "ok");
  EXPECT_EQ(reason_of(service_, c->created.api_key), "ok");
  clock_.advance(hours(1));
  EXPECT_EQ(reason_of(service_, b->created.api_key), "rotated");
  EXPECT_EQ(reason_of(service_, c->created.api_key), "ok");
}

// Test that both keys work during the overlap, the old one is refused with
// "rotated" from its lapse on (not a millisecond before), and the new one
// keeps working.
TEST_F(KeyRerollTest, OldKeyWorksUntilItsLapseThenIsRotated) {
  const CreatedKey old_key = create(alice_);
  auto rerolled = service_.reroll(alice_, old_key.key.id, seconds(100));
  ASSERT_TRUE(rerolled);
  EXPECT_TRUE(service_.authenticate(old_key.api_key));
  EXPECT_TRUE(service_.authenticate(rerolled->created.api_key));
  clock_.advance(seconds(100) - milliseconds(1));
  EXPECT_TRUE(service_.authenticate(old_key.api_key));
  EXPECT_TRUE(service_.is_active(old_key.key.id, clock_.now()));
  clock_.advance(milliseconds(1));
  auto refused = service_.authenticate(old_key.api_key);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidToken);
  EXPECT_EQ(refused.error().reason, "rotated");
  EXPECT_EQ(refused.error().description.find(old_key.api_key), std::string::npos);
  EXPECT_FALSE(service_.is_active(old_key.key.id, clock_.now()));
  EXPECT_TRUE(service_.authenticate(rerolled->created.api_key));
  auto listed = service_.get(alice_, old_key.key.id);
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->status, KeyStatus::kRotated);
  EXPECT_EQ(to_string(listed->status), "rotated");
}

// Test that no overlap stops the old key at once.
TEST_F(KeyRerollTest, NoOverlapStopsTheOldKeyAtOnce) {
  const CreatedKey old_key = create(alice_);
  auto rerolled = service_.reroll(alice_, old_key.key.id, seconds(0));
  ASSERT_TRUE(rerolled);
  auto refused = service_.authenticate(old_key.api_key);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().reason, "rotated");
  EXPECT_TRUE(service_.authenticate(rerolled->created.api_key));
}

// Test that a fresh service loading the store (a restart) keeps the rule.
TEST_F(KeyRerollTest, LapseHoldsAfterReload) {
  const CreatedKey old_key = create(alice_);
  ASSERT_TRUE(service_.reroll(alice_, old_key.key.id, seconds(30)));
  KeyService restarted(store_, clock_, random_);
  ASSERT_TRUE(restarted.load());
  EXPECT_TRUE(restarted.authenticate(old_key.api_key));
  clock_.advance(seconds(30));
  auto refused = restarted.authenticate(old_key.api_key);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().reason, "rotated");
}

// Test that inactive, expired and already rerolled keys are refused with a
// 409 and their reason, writing nothing.
TEST_F(KeyRerollTest, RefusesInactiveExpiredAndRerolledKeys) {
  const CreatedKey off = create(alice_);
  ASSERT_TRUE(service_.deactivate(alice_, off.key.id));
  const CreatedKey once = create(alice_);
  ASSERT_TRUE(service_.reroll(alice_, once.key.id, seconds(3600)));
  auto inactive = service_.reroll(alice_, off.key.id, seconds(0));
  ASSERT_FALSE(inactive);
  EXPECT_EQ(inactive.error().code, ErrorCode::kConflict);
  EXPECT_EQ(inactive.error().reason, "inactive");
  auto twice = service_.reroll(alice_, once.key.id, seconds(0));
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, ErrorCode::kConflict);
  EXPECT_EQ(twice.error().reason, "already_rerolled");
  const CreatedKey expiring = create(alice_);
  clock_.advance(hours(24 * 31));
  auto expired = service_.reroll(alice_, expiring.key.id, seconds(0));
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().code, ErrorCode::kConflict);
  EXPECT_EQ(expired.error().reason, "expired");
}

// Test who may reroll: the owner; others learn nothing (404); an admin who
// is not the owner is refused (the new key would be revealed to them);
// key-derived and read-only tokens are refused; the overlap is bounded.
TEST_F(KeyRerollTest, OnlyTheOwnerRerollsWithinBounds) {
  const CreatedKey key = create(alice_);
  auto by_bob = service_.reroll(bob_, key.key.id, seconds(0));
  ASSERT_FALSE(by_bob);
  EXPECT_EQ(by_bob.error().code, ErrorCode::kNotFound);
  auto by_admin = service_.reroll(admin_, key.key.id, seconds(0));
  ASSERT_FALSE(by_admin);
  EXPECT_EQ(by_admin.error().code, ErrorCode::kForbidden);
  Principal with_key = alice_;
  with_key.key = KeyGrant{};
  with_key.key->key_id = key.key.id;
  EXPECT_EQ(service_.reroll(with_key, key.key.id, seconds(0)).error().code, ErrorCode::kForbidden);
  Principal read_only = alice_;
  read_only.read_only = true;
  EXPECT_EQ(service_.reroll(read_only, key.key.id, seconds(0)).error().code, ErrorCode::kForbidden);
  EXPECT_EQ(service_.reroll(alice_, key.key.id, seconds(604801)).error().code,
            ErrorCode::kInvalidRequest);
  EXPECT_EQ(service_.reroll(alice_, key.key.id, seconds(-1)).error().code,
            ErrorCode::kInvalidRequest);
  EXPECT_EQ(service_.reroll(alice_, "key_nope", seconds(0)).error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(service_.reroll(alice_, key.key.id, seconds(604800)));
}

// Test that a deactivation committed between the reroll's commit and its
// update of memory stays in force: the reroll merges only replaced_by and
// lapses_at, so the old key (and what is derived from it) is not revived.
TEST_F(KeyRerollTest, RerollNeverRevivesAConcurrentDeactivation) {
  RerollRaceStore racing(store_);
  KeyService service(racing, clock_, random_);
  CreateKeyRequest r;
  r.name = "deploy";
  r.expires_in_days = 30;
  auto old_key = service.create(alice_, r);
  ASSERT_TRUE(old_key);
  int dropped = 0;
  service.add_deactivation_listener([&](const ApiKey& key) {
    if (key.id == old_key->key.id) ++dropped;
  });
  racing.after_commit = [&] { ASSERT_TRUE(service.deactivate(alice_, old_key->key.id)); };
  auto rerolled = service.reroll(alice_, old_key->key.id, seconds(3600));
  ASSERT_TRUE(rerolled) << rerolled.error().description;
  EXPECT_EQ(dropped, 1);
  EXPECT_FALSE(service.is_active(old_key->key.id, clock_.now()));
  auto refused = service.authenticate(old_key->api_key);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().reason, "revoked");
  auto shown = service.get(alice_, old_key->key.id);
  ASSERT_TRUE(shown);
  EXPECT_EQ(shown->status, KeyStatus::kInactive);
  EXPECT_EQ(shown->replaced_by, rerolled->created.key.id);
  EXPECT_TRUE(service.authenticate(rerolled->created.api_key));
}

// Test that a reroll whose commit outcome is lost (committed, then
// kUnavailable) leaves memory as the store has it: with no overlap the old
// key is refused at once, with one it lapses on time.
TEST_F(KeyRerollTest, LostRerollOutcomeIsReadBackFromTheStore) {
  RerollRaceStore racing(store_);
  KeyService service(racing, clock_, random_);
  CreateKeyRequest r;
  r.name = "deploy";
  r.expires_in_days = 30;
  auto now_key = service.create(alice_, r);
  auto later_key = service.create(alice_, r);
  ASSERT_TRUE(now_key && later_key);
  racing.lose_outcome = true;
  auto lost = service.reroll(alice_, now_key->key.id, seconds(0));
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().code, ErrorCode::kUnavailable);
  EXPECT_FALSE(service.is_active(now_key->key.id, clock_.now()));
  EXPECT_EQ(reason_of(service, now_key->api_key), "rotated");

  ASSERT_FALSE(service.reroll(alice_, later_key->key.id, seconds(60)));
  EXPECT_EQ(reason_of(service, later_key->api_key), "ok");
  clock_.advance(seconds(60));
  EXPECT_FALSE(service.is_active(later_key->key.id, clock_.now()));
  EXPECT_EQ(reason_of(service, later_key->api_key), "rotated");
  // A retry is told where the key went.
  racing.lose_outcome = false;
  auto retry = service.reroll(alice_, later_key->key.id, seconds(0));
  ASSERT_FALSE(retry);
  EXPECT_EQ(retry.error().reason, "already_rerolled");
}

// Test that a 409 "already_rerolled" from the store (another process
// rerolled the key) teaches memory the reroll: the old key lapses here too.
TEST_F(KeyRerollTest, AlreadyRerolledInTheStoreIsLearned) {
  const CreatedKey old_key = create(alice_);
  KeyService other(store_, clock_, random_);  // another latchkeyd, same store
  ASSERT_TRUE(other.load());
  ASSERT_TRUE(service_.reroll(alice_, old_key.key.id, seconds(0)));
  EXPECT_TRUE(other.is_active(old_key.key.id, clock_.now()));  // not told yet
  auto again = other.reroll(alice_, old_key.key.id, seconds(0));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().reason, "already_rerolled");
  EXPECT_FALSE(other.is_active(old_key.key.id, clock_.now()));
  EXPECT_EQ(reason_of(other, old_key.api_key), "rotated");
}

// Test that when neither the reroll nor the read-back can say what the
// store holds, a reroll without overlap fails closed (the old key is
// refused here), and a retry still rerolls it.
TEST_F(KeyRerollTest, UnknownRerollOutcomeFailsClosedWithoutOverlap) {
  RerollRaceStore racing(store_);
  KeyService service(racing, clock_, random_);
  CreateKeyRequest r;
  r.name = "deploy";
  r.expires_in_days = 30;
  auto old_key = service.create(alice_, r);
  ASSERT_TRUE(old_key);
  racing.fail_before_write = true;
  racing.fail_find = true;
  auto failed = service.reroll(alice_, old_key->key.id, seconds(0));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kUnavailable);
  EXPECT_FALSE(service.is_active(old_key->key.id, clock_.now()));
  EXPECT_EQ(reason_of(service, old_key->api_key), "rotated");
  racing.fail_before_write = false;
  racing.fail_find = false;
  auto retry = service.reroll(alice_, old_key->key.id, seconds(30));
  ASSERT_TRUE(retry) << retry.error().description;
  EXPECT_EQ(reason_of(service, retry->created.api_key), "ok");
  auto found = service.find(old_key->key.id);
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->replaced_by, retry->created.key.id);
  EXPECT_EQ((*found)->lapses_at, clock_.now() + seconds(30));
}

// Test that get() shows a key to its owner and admins only.
TEST_F(KeyRerollTest, GetIsForTheOwnerAndAdmins) {
  const CreatedKey key = create(alice_);
  EXPECT_TRUE(service_.get(alice_, key.key.id));
  EXPECT_TRUE(service_.get(admin_, key.key.id));
  EXPECT_EQ(service_.get(bob_, key.key.id).error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace latchkey::keys
