// KeyService (keys/key_service.h): seed 002's separation of duties and
// one-time reveal, seed 004's validity cap, status with the injected clock,
// deactivation in memory and the coalesced last use.
#include "keys/key_service.h"

#include <gtest/gtest.h>

#include "core/secret.h"
#include "support/counter_random.h"
#include "support/fake_clock.h"
#include "unit/keys/mem_key_store.h"

namespace latchkey::keys {
namespace {

using std::chrono::hours;
using std::chrono::seconds;
using testing::CounterRandom;
using testing::FakeClock;
using testing::MemKeyStore;

constexpr auto kDay = hours(24);

Principal user(std::string id, bool admin = false) {
  Principal p;
  p.user_id = std::move(id);
  p.name = p.user_id;
  p.api_access = true;
  if (admin) p.modules.push_back(std::string(kModuleAdmin));
  return p;
}

CreateKeyRequest request(int days = 30, std::string name = "deploy") {
  CreateKeyRequest r;
  r.name = std::move(name);
  r.expires_in_days = days;
  return r;
}

class KeyServiceTest : public ::testing::Test {
 protected:
  CreatedKey create(const Principal& actor, CreateKeyRequest r = request()) {
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

// Test that a created key is well formed, revealed once, and kept only as a
// digest and a masked form (seed 002).
TEST_F(KeyServiceTest, CreateRevealsOnceAndStoresOnlyDigestAndMask) {
  const CreatedKey created = create(alice_);
  EXPECT_TRUE(is_well_formed_secret(created.api_key, SecretKind::kApiKey));
  EXPECT_TRUE(created.api_key.starts_with("lk_key_"));
  EXPECT_EQ(created.key.masked, "••••" + created.api_key.substr(created.api_key.size() - 4));
  EXPECT_EQ(created.key.digest, digest_secret(created.api_key));
  EXPECT_EQ(created.key.user_id, "usr_alice");
  EXPECT_EQ(created.key.status, KeyStatus::kActive);
  EXPECT_EQ(created.key.expires_at - created.key.created_at, 30 * kDay);
  EXPECT_FALSE(created.key.read_only);  // default scope: write

  auto listed = service_.list(alice_, std::nullopt);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].masked, created.key.masked);
}

// Test that validity is required and capped at one year (seed 004), with a
// clear reason when too long.
TEST_F(KeyServiceTest, ValidityIsCappedAtOneYear) {
  EXPECT_TRUE(service_.create(alice_, request(365)));
  EXPECT_TRUE(service_.create(alice_, request(1)));
  for (int days : {366, 1000, 0, -5}) {
    auto refused = service_.create(alice_, request(days));
    ASSERT_FALSE(refused) << days;
    EXPECT_EQ(refused.error().code, ErrorCode::kInvalidRequest);
    EXPECT_NE(refused.error().description.find("one year"), std::string::npos);
    EXPECT_EQ(refused.error().reason, days > 365 ? "validity_too_long" : "");
  }
  KeyService shorter(store_, clock_, random_, KeyServiceOptions{.max_validity_days = 90});
  EXPECT_FALSE(shorter.create(alice_, request(91)));
  EXPECT_TRUE(shorter.create(alice_, request(90)));
}

// Test seed 002's creation cell: nobody, not even an admin, creates a key
// for someone else; a key-derived token creates no keys at all.
TEST_F(KeyServiceTest, NobodyCreatesKeysForOthers) {
  for (const Principal& actor : {alice_, admin_}) {
    CreateKeyRequest r = request();
    r.for_user_id = "usr_bob";
    auto refused = service_.create(actor, r);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::kForbidden);
  }
  CreateKeyRequest own = request();
  own.for_user_id = "usr_alice";
  EXPECT_TRUE(service_.create(alice_, own));

  Principal via_key = alice_;
  via_key.key = KeyGrant{"key_x", "••••abcd", "", false, ""};
  auto escalation = service_.create(via_key, request());
  ASSERT_FALSE(escalation);
  EXPECT_EQ(escalation.error().code, ErrorCode::kForbidden);
  // Nor a token narrowed to scope "read", whatever path reached the service.
  Principal read_scope = alice_;
  read_scope.read_only = true;
  auto narrowed = service_.create(read_scope, request());
  ASSERT_FALSE(narrowed);
  EXPECT_EQ(narrowed.error().reason, "insufficient_scope");
  EXPECT_EQ(store_.list_keys()->size(), 1u);
}

// Test that a key's role must be one its owner holds when a membership check
// is wired, and has a valid shape otherwise.
TEST_F(KeyServiceTest, RoleMustBeHeldByTheOwner) {
  CreateKeyRequest r = request();
  r.role_id = "bad role!";
  EXPECT_EQ(service_.create(alice_, r).error().code, ErrorCode::kInvalidRequest);
  r.role_id = "rol_readers";
  EXPECT_TRUE(service_.create(alice_, r));  // no membership check wired: shape only

  service_.set_role_membership([](std::string_view user_id, std::string_view role_id) {
    return Result<bool>(user_id == "usr_alice" && role_id == "rol_readers");
  });
  EXPECT_TRUE(service_.create(alice_, r));
  auto refused = service_.create(bob_, r);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kForbidden);
}

// Test seed 002's deactivation cells: owner yes, admin any, another user
// refused without learning whether the key exists; idempotent.
TEST_F(KeyServiceTest, DeactivationFollowsSeparationOfDuties) {
  const CreatedKey a1 = create(alice_);
  const CreatedKey a2 = create(alice_);

  auto by_bob = service_.deactivate(bob_, a1.key.id);
  ASSERT_FALSE(by_bob);
  EXPECT_EQ(by_bob.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(service_.deactivate(bob_, "key_missing").error().code, ErrorCode::kNotFound);

  auto own = service_.deactivate(alice_, a1.key.id);
  ASSERT_TRUE(own);
  EXPECT_EQ(own->status, KeyStatus::kInactive);
  auto again = service_.deactivate(alice_, a1.key.id);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->deactivated_at, own->deactivated_at);

  auto by_admin = service_.deactivate(admin_, a2.key.id);
  ASSERT_TRUE(by_admin);
  EXPECT_EQ(by_admin->status, KeyStatus::kInactive);
  EXPECT_EQ(by_admin->deactivated_by, "usr_admin");

  Principal read_only_key = alice_;
  read_only_key.key = KeyGrant{"key_y", "••••abcd", "", true, ""};
  const CreatedKey a3 = create(alice_);
  EXPECT_EQ(service_.deactivate(read_only_key, a3.key.id).error().code, ErrorCode::kForbidden);
}

// Test that a deactivation the store cannot confirm answers kUnavailable
// but refuses the key in memory all the same (fail closed), and that the
// retry makes it durable.
TEST_F(KeyServiceTest, DeactivationFailsClosedWhenTheStoreFails) {
  const CreatedKey k = create(alice_);
  std::vector<std::string> heard;
  service_.add_deactivation_listener([&](const ApiKey& key) { heard.push_back(key.id); });
  store_.fail_deactivate = true;
  auto failed = service_.deactivate(alice_, k.key.id);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kUnavailable);  // 503: retry
  // Refused by this process all the same (docs/security/faults.md).
  EXPECT_FALSE(service_.is_active(k.key.id, clock_.now()));
  EXPECT_FALSE(service_.authenticate(k.api_key));
  EXPECT_EQ(heard, std::vector<std::string>{k.key.id});
  // The retry makes it durable.
  store_.fail_deactivate = false;
  ASSERT_TRUE(service_.deactivate(alice_, k.key.id));
  auto stored = store_.find_key(k.key.id);
  ASSERT_TRUE(stored && *stored);
  EXPECT_TRUE((*stored)->deactivated_at.has_value());
}

// Test that is_active and authenticate see a deactivation as soon as it
// returns, and that listeners run before it returns.
TEST_F(KeyServiceTest, DeactivationIsVisibleInMemoryAtOnce) {
  const CreatedKey k = create(alice_);
  std::vector<std::string> heard;
  service_.add_deactivation_listener([&](const ApiKey& key) { heard.push_back(key.id); });
  EXPECT_TRUE(service_.is_active(k.key.id, clock_.now()));
  const int reads_before = store_.reads;
  ASSERT_TRUE(service_.authenticate(k.api_key));
  EXPECT_EQ(store_.reads, reads_before);  // served from memory

  ASSERT_TRUE(service_.deactivate(alice_, k.key.id));
  EXPECT_EQ(heard, std::vector<std::string>{k.key.id});
  EXPECT_FALSE(service_.is_active(k.key.id, clock_.now()));
  auto refused = service_.authenticate(k.api_key);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidToken);
  EXPECT_EQ(refused.error().reason, "revoked");
  EXPECT_EQ(refused.error().description.find(k.api_key), std::string::npos);
}

// Test that a reload for another node's change that fails (pool timeout)
// does not leave the key active in memory: lookups read the store, which
// says it was deactivated there.
TEST_F(KeyServiceTest, AFailedReloadForgetsTheKeyInsteadOfKeepingItActive) {
  const CreatedKey k = create(alice_);
  ASSERT_TRUE(service_.is_active(k.key.id, clock_.now()));  // in memory
  // Another node deactivated it in the shared store.
  ASSERT_TRUE(store_.deactivate_key(k.key.id, clock_.now(), "usr_admin"));
  store_.fail_reads = true;
  EXPECT_FALSE(service_.reload_key(k.key.id));
  EXPECT_FALSE(service_.is_active(k.key.id, clock_.now()));  // store unreachable: refused
  EXPECT_FALSE(service_.authenticate(k.api_key));
  store_.fail_reads = false;
  EXPECT_FALSE(service_.is_active(k.key.id, clock_.now()));
  auto refused = service_.authenticate(k.api_key);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().reason, "revoked");
}

// Test that a reload keeps what memory already refuses (a deactivation
// whose write failed here) even when the store still says active.
TEST_F(KeyServiceTest, AReloadKeepsADeactivationKnownOnlyInMemory) {
  const CreatedKey k = create(alice_);
  store_.fail_deactivate = true;
  ASSERT_FALSE(service_.deactivate(alice_, k.key.id));
  store_.fail_deactivate = false;
  ASSERT_TRUE(service_.reload_key(k.key.id));
  EXPECT_FALSE(service_.is_active(k.key.id, clock_.now()));
}

// Test that a read of the store that began before another node's change
// (and before its forget_key) is not remembered when it finishes after it:
// the next lookup reads the store again and sees the deactivation.
TEST_F(KeyServiceTest, AStaleReadFinishingAfterAForgetIsNotRemembered) {
  const CreatedKey k = create(alice_);
  service_.forget_key(k.key.id);  // a 'k' for an earlier change
  store_.after_next_find = [&] {
    // Between the read (active) and its use: another node deactivates the
    // key and its message arrives here.
    ASSERT_TRUE(store_.deactivate_key(k.key.id, clock_.now(), "usr_admin"));
    service_.forget_key(k.key.id);
  };
  EXPECT_TRUE(service_.is_active(k.key.id, clock_.now()));   // answered from the earlier read
  EXPECT_FALSE(service_.is_active(k.key.id, clock_.now()));  // not remembered: read again
}

// Test that a limits change whose write failed (its commit may have
// happened) is still announced to the listeners (the other nodes re-read
// the key) and re-read here.
TEST_F(KeyServiceTest, AFailedLimitsChangeIsStillAnnounced) {
  const CreatedKey k = create(alice_);
  std::vector<std::string> heard;
  service_.add_change_listener([&](const ApiKey& key) { heard.push_back(key.id); });
  store_.fail_limits = true;
  EXPECT_FALSE(service_.set_limits(admin_, k.key.id, {.requests_per_minute = 9}));
  EXPECT_EQ(heard, std::vector<std::string>{k.key.id});
  const int reads = store_.reads;
  EXPECT_TRUE(service_.is_active(k.key.id, clock_.now()));
  EXPECT_EQ(store_.reads, reads + 1);  // forgotten here: read from the store
}

// Test that status moves from active to expired with the clock, and that a
// deactivated key reads inactive even after its expiry.
TEST_F(KeyServiceTest, StatusTransitionsWithTheClock) {
  const CreatedKey k = create(alice_, request(10));
  const CreatedKey d = create(alice_, request(10));
  ASSERT_TRUE(service_.deactivate(alice_, d.key.id));
  EXPECT_EQ(status_of(k.key, clock_.now()), KeyStatus::kActive);

  clock_.advance(10 * kDay - seconds(1));
  EXPECT_TRUE(service_.authenticate(k.api_key));
  EXPECT_TRUE(service_.is_active(k.key.id, clock_.now()));

  clock_.advance(seconds(1));
  auto expired = service_.authenticate(k.api_key);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().reason, "expired");
  EXPECT_FALSE(service_.is_active(k.key.id, clock_.now()));

  auto listed = service_.list(alice_, std::nullopt);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].status, KeyStatus::kExpired);
  EXPECT_EQ((*listed)[1].status, KeyStatus::kInactive);
}

// Test the 401 reasons: malformed (shape or checksum), unknown.
TEST_F(KeyServiceTest, AuthenticateSaysWhy) {
  const CreatedKey k = create(alice_);
  std::string typo = k.api_key;
  typo[10] = typo[10] == 'a' ? 'b' : 'a';
  for (const std::string& bad : {std::string("nope"), typo, std::string("lk_sec_abc")}) {
    auto refused = service_.authenticate(bad);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().reason, "malformed");
  }
  CounterRandom other(999);
  const std::string stranger = generate_secret(SecretKind::kApiKey, other);
  auto unknown = service_.authenticate(stranger);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kInvalidToken);
  EXPECT_EQ(unknown.error().reason, "unknown");
  auto ok = service_.authenticate(k.api_key);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->id, k.key.id);
  EXPECT_EQ(ok->status, KeyStatus::kActive);
}

// Test that a key created elsewhere (only in the store) is found on a miss,
// and that load() fills memory.
TEST_F(KeyServiceTest, MissesFallBackToTheStore) {
  const CreatedKey k = create(alice_);
  KeyService fresh(store_, clock_, random_);
  EXPECT_TRUE(fresh.authenticate(k.api_key));
  EXPECT_TRUE(fresh.is_active(k.key.id, clock_.now()));
  KeyService loaded(store_, clock_, random_);
  ASSERT_TRUE(loaded.load());
  const int reads = store_.reads;
  EXPECT_TRUE(loaded.is_active(k.key.id, clock_.now()));
  EXPECT_EQ(store_.reads, reads);
}

// Test that uses are coalesced in memory (no store write per use), visible
// at once in listings, and written in ONE batch by flush.
TEST_F(KeyServiceTest, LastUsedIsCoalescedAndFlushedInOneBatch) {
  const CreatedKey k1 = create(alice_);
  const CreatedKey k2 = create(alice_);
  const int writes = store_.writes;
  for (int i = 0; i < 100; ++i) {
    clock_.advance(seconds(1));
    service_.note_used(k1.key.id, clock_.now());
    service_.note_used(k2.key.id, clock_.now() - seconds(30));
  }
  EXPECT_EQ(store_.writes, writes);  // nothing written yet
  EXPECT_EQ(service_.pending_last_used(), 2u);
  auto listed = service_.list(alice_, std::nullopt);
  ASSERT_TRUE(listed);
  EXPECT_EQ((*listed)[0].last_used_at, clock_.now());  // merged from memory

  auto flushed = service_.flush_last_used();
  ASSERT_TRUE(flushed);
  EXPECT_EQ(*flushed, 2u);
  EXPECT_EQ(store_.usage_batches, 1);
  EXPECT_EQ(store_.writes, writes + 1);
  EXPECT_EQ(service_.pending_last_used(), 0u);
  EXPECT_EQ((*store_.find_key(k1.key.id))->last_used_at, clock_.now());
  EXPECT_EQ((*store_.find_key(k2.key.id))->last_used_at, clock_.now() - seconds(30));

  // Nothing pending: no write at all.
  ASSERT_TRUE(service_.flush_last_used());
  EXPECT_EQ(store_.usage_batches, 1);
}

// Test that a failed flush keeps the uses for the next one.
TEST_F(KeyServiceTest, FailedFlushKeepsUses) {
  const CreatedKey k = create(alice_);
  service_.note_used(k.key.id, clock_.now());
  store_.fail_usage = true;
  EXPECT_FALSE(service_.flush_last_used());
  EXPECT_EQ(service_.pending_last_used(), 1u);
  store_.fail_usage = false;
  ASSERT_TRUE(service_.flush_last_used());
  EXPECT_EQ((*store_.find_key(k.key.id))->last_used_at, clock_.now());
}

// Test listing rules: own keys; another user's or everyone's for admins only.
TEST_F(KeyServiceTest, ListingRules) {
  create(alice_);
  create(bob_);
  EXPECT_EQ(service_.list(alice_, std::nullopt)->size(), 1u);
  EXPECT_EQ(service_.list(alice_, "usr_bob").error().code, ErrorCode::kForbidden);
  EXPECT_EQ(service_.list(alice_, std::nullopt, true).error().code, ErrorCode::kForbidden);
  EXPECT_EQ(service_.list(admin_, "usr_bob")->size(), 1u);
  EXPECT_EQ(service_.list(admin_, std::nullopt, true)->size(), 2u);
  EXPECT_EQ(service_.report(alice_).error().code, ErrorCode::kForbidden);
  EXPECT_EQ(service_.report(admin_)->size(), 2u);
}

// Test the expiry warning: only within 14 days of expiry, only while active.
TEST_F(KeyServiceTest, ExpiryWarningWithinFourteenDays) {
  const CreatedKey k = create(alice_, request(30));
  EXPECT_FALSE(expiry_warning(k.key, clock_.now()));
  clock_.advance(16 * kDay - seconds(1));
  EXPECT_FALSE(expiry_warning(k.key, clock_.now()));
  clock_.advance(seconds(1));
  auto warning = expiry_warning(k.key, clock_.now());
  ASSERT_TRUE(warning);
  EXPECT_EQ(*warning, format_rfc3339(k.key.expires_at));
  clock_.advance(14 * kDay);
  EXPECT_FALSE(expiry_warning(k.key, clock_.now()));  // expired: no longer "soon"
}

// Test that a change aborted by the before-change hook (e.g. the audit
// record could not be written) is not applied.
TEST_F(KeyServiceTest, BeforeChangeFailureAbortsTheChange) {
  auto failing = [](const ApiKey&) -> Status { return fail(Error::unavailable("audit down")); };
  auto created = service_.create(alice_, request(), failing);
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(store_.list_keys()->empty());

  const CreatedKey k = create(alice_);
  EXPECT_FALSE(service_.deactivate(alice_, k.key.id, failing));
  EXPECT_TRUE(service_.is_active(k.key.id, clock_.now()));
}

}  // namespace
}  // namespace latchkey::keys
