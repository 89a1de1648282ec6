#include "tokens/signing_key_ring.h"

#include "core/ids.h"

namespace latchkey {

SigningKeyRing::SigningKeyRing(SigningKeyStore& store, const Clock& clock, Random& random,
                               Duration max_token_ttl, Duration rotation_period)
    : store_(store),
      clock_(clock),
      random_(random),
      max_token_ttl_(max_token_ttl),
      rotation_period_(rotation_period),
      keys_(std::make_shared<const std::vector<RingKey>>()) {}

Status SigningKeyRing::load() {
  std::lock_guard write(write_mu_);
  if (auto s = reload_locked(); !s) return s;
  bool has_current = false;
  {
    std::lock_guard lock(mu_);
    for (const RingKey& k : *keys_) has_current = has_current || !k.retired_at;
  }
  if (!has_current) {
    bool rotated = false;
    if (auto r = rotate_locked(std::nullopt, &rotated); !r) return fail(r.error());
  }
  return {};
}

Status SigningKeyRing::reload_locked() {
  auto records = store_.list_signing_keys();
  if (!records) return fail(records.error());
  auto keys = std::make_shared<std::vector<RingKey>>();
  for (const SigningKeyRecord& record : *records) {
    auto key = Es256Key::from_private_pem(record.private_key_pem);
    if (!key) return fail(key.error());
    keys->push_back(RingKey{record.kid, std::make_shared<const Es256Key>(std::move(*key)),
                            record.created_at, record.retired_at, record.verify_until});
  }
  std::lock_guard lock(mu_);
  keys_ = std::move(keys);
  return {};
}

RingKey SigningKeyRing::current() const {
  std::shared_ptr<const std::vector<RingKey>> keys;
  {
    std::lock_guard lock(mu_);
    keys = keys_;
  }
  for (auto it = keys->rbegin(); it != keys->rend(); ++it) {
    if (!it->retired_at) return *it;
  }
  return keys->empty() ? RingKey{} : keys->back();
}

std::shared_ptr<const Es256Key> SigningKeyRing::find(std::string_view kid, Instant now) const {
  std::shared_ptr<const std::vector<RingKey>> keys;
  {
    std::lock_guard lock(mu_);
    keys = keys_;
  }
  for (const RingKey& k : *keys) {
    if (k.kid != kid) continue;
    if (k.retired_at && (!k.verify_until || now > *k.verify_until)) return nullptr;
    return k.key;
  }
  return nullptr;
}

Result<RingKey> SigningKeyRing::rotate() {
  std::lock_guard write(write_mu_);
  bool rotated = false;
  return rotate_locked(std::nullopt, &rotated);
}

Result<bool> SigningKeyRing::rotate_if_due() {
  if (rotation_period_ <= Duration::zero()) return false;
  const Instant now = clock_.now();
  if (now - current().created_at < rotation_period_) return false;  // cheap check first
  std::lock_guard write(write_mu_);
  bool rotated = false;
  auto r = rotate_locked(now - rotation_period_ + Duration(1), &rotated);
  if (!r) return fail(r.error());
  return true;
}

Result<RingKey> SigningKeyRing::rotate_locked(std::optional<Instant> only_if_older_than,
                                              bool* rotated) {
  auto key = Es256Key::generate();
  if (!key) return fail(key.error());
  const Instant now = clock_.now();
  SigningKeyRecord record;
  record.kid = new_id("sk_", random_);
  record.private_key_pem = key->private_pem();
  record.created_at = now;
  auto stored = store_.rotate_signing_key(record, now, now + max_token_ttl_, only_if_older_than);
  if (!stored) return fail(stored.error());
  *rotated = *stored;
  // Another node may have rotated instead: the store is the truth.
  if (auto s = reload_locked(); !s) return fail(s.error());
  return current();
}

Status SigningKeyRing::reload() {
  std::lock_guard write(write_mu_);
  return reload_locked();
}

Result<int> SigningKeyRing::prune() {
  std::lock_guard write(write_mu_);
  auto pruned = store_.prune_signing_keys(clock_.now());
  if (!pruned) return fail(pruned.error());
  if (auto s = reload_locked(); !s) return fail(s.error());
  return *pruned;
}

std::vector<RingKey> SigningKeyRing::usable_keys(Instant now) const {
  std::shared_ptr<const std::vector<RingKey>> keys;
  {
    std::lock_guard lock(mu_);
    keys = keys_;
  }
  std::vector<RingKey> out;
  for (const RingKey& k : *keys) {
    if (k.retired_at && (!k.verify_until || now > *k.verify_until)) continue;
    out.push_back(k);
  }
  return out;
}

std::string SigningKeyRing::jwks_json(Instant now) const {
  std::string out = R"({"keys":[)";
  bool first = true;
  for (const RingKey& k : usable_keys(now)) {
    if (!first) out += ',';
    first = false;
    out += k.key->public_jwk_json(k.kid);
  }
  out += "]}";
  return out;
}

}  // namespace latchkey
