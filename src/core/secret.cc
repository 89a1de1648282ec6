#include "core/secret.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <boost/crc.hpp>

#include "core/encoding.h"

namespace latchkey {
namespace {

std::uint32_t crc32_of(std::string_view text) {
  boost::crc_32_type crc;
  crc.process_bytes(text.data(), text.size());
  return crc.checksum();
}

}  // namespace

std::string_view secret_prefix(SecretKind kind) {
  switch (kind) {
    case SecretKind::kClientSecret:
      return "lk_sec_";
    case SecretKind::kApiKey:
      return "lk_key_";
    case SecretKind::kAccessToken:
      return "lk_at_";
    case SecretKind::kConsoleSession:
      return "lk_cs_";
    case SecretKind::kInvitation:
      return "lk_inv_";
  }
  return "";
}

std::string generate_secret(SecretKind kind, Random& random) {
  std::string secret(secret_prefix(kind));
  secret += random_base62(random, kSecretBodyChars);
  secret += base62_encode_u64(crc32_of(secret), kSecretChecksumChars);
  return secret;
}

bool is_well_formed_secret(std::string_view text, SecretKind kind) {
  const std::string_view prefix = secret_prefix(kind);
  if (text.size() != prefix.size() + kSecretBodyChars + kSecretChecksumChars) return false;
  if (!text.starts_with(prefix)) return false;
  const std::string_view rest = text.substr(prefix.size());
  if (!is_base62(rest)) return false;
  const std::string_view signed_part = text.substr(0, text.size() - kSecretChecksumChars);
  const std::string_view checksum = text.substr(text.size() - kSecretChecksumChars);
  return base62_encode_u64(crc32_of(signed_part), kSecretChecksumChars) == checksum;
}

std::optional<SecretKind> classify_secret(std::string_view text) {
  for (SecretKind kind : {SecretKind::kClientSecret, SecretKind::kApiKey, SecretKind::kAccessToken,
                          SecretKind::kConsoleSession, SecretKind::kInvitation}) {
    if (is_well_formed_secret(text, kind)) return kind;
  }
  return std::nullopt;
}

Digest digest_secret(std::string_view secret) {
  Digest d{};
  SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), d.data());
  return d;
}

bool digests_equal(const Digest& a, const Digest& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

namespace {

bool is_base64url_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

// Length of the JWT-like run (three non-empty base64url segments, the first
// starting with "eyJ", i.e. '{"') starting at `pos`, or 0. `*scanned` is
// where the scan stopped.
std::size_t jwt_like_run(std::string_view text, std::size_t pos, std::size_t* scanned) {
  *scanned = pos;
  if (text.substr(pos, 3) != "eyJ") return 0;
  std::size_t end = pos;
  std::size_t segment = 0;
  int dots = 0;
  for (; end < text.size(); ++end) {
    const char c = text[end];
    if (c == '.' && segment > 0 && dots < 2) {
      ++dots;
      segment = 0;
    } else if (is_base64url_char(c)) {
      ++segment;
    } else {
      break;
    }
  }
  *scanned = end;
  return dots == 2 && segment > 0 ? end - pos : 0;
}

bool starts_with_secret_prefix(std::string_view text, std::size_t pos) {
  for (SecretKind kind : {SecretKind::kClientSecret, SecretKind::kApiKey, SecretKind::kAccessToken,
                          SecretKind::kConsoleSession, SecretKind::kInvitation}) {
    if (text.substr(pos).starts_with(secret_prefix(kind))) return true;
  }
  return false;
}

// Finds secret-shaped runs in one text, in one left-to-right pass of linear
// cost. When a JWT-like scan from p fails where it stopped (at s), every scan
// starting in (p, s) fails too (it meets the same end with no more dots), so
// those starts are not scanned again: "eyJeyJeyJ..." costs n, not n^2.
class RunFinder {
 public:
  explicit RunFinder(std::string_view text) : text_(text) {}

  // Length of the secret-shaped run starting at `pos`, or 0. Positions are
  // asked in increasing order.
  std::size_t at(std::size_t pos) {
    if (text_[pos] == 'l') return secret_like_run(pos);
    if (text_[pos] == 'e') return jwt_at(pos);
    return 0;
  }

 private:
  std::size_t jwt_at(std::size_t pos) {
    if (pos > failed_from_ && pos < failed_until_) return 0;
    std::size_t scanned = pos;
    const std::size_t run = jwt_like_run(text_, pos, &scanned);
    if (run == 0 && scanned > pos) {
      failed_from_ = pos;
      failed_until_ = scanned;
    }
    return run;
  }

  // Two leaks found by the bearer_key fuzz target
  // (fuzz/corpus/bearer_key/adjacent): the run stops where another secret's
  // prefix begins ("lk_key_...lk_at_..." glued together), else it took the
  // "lk" and the second secret was printed whole; and a JWT-like run that
  // starts inside the body and goes on past it is masked with it, else its
  // payload and signature were printed.
  std::size_t secret_like_run(std::size_t pos) {
    for (SecretKind kind :
         {SecretKind::kClientSecret, SecretKind::kApiKey, SecretKind::kAccessToken,
          SecretKind::kConsoleSession, SecretKind::kInvitation}) {
      const std::string_view prefix = secret_prefix(kind);
      if (text_.substr(pos, prefix.size()) != prefix) continue;
      const std::size_t body = pos + prefix.size();
      std::size_t end = body;
      while (end < text_.size() && is_base62(text_.substr(end, 1)) &&
             !starts_with_secret_prefix(text_, end)) {
        ++end;
      }
      if (end - body < 8) continue;
      for (std::size_t j = body; j < end; ++j) {
        const std::size_t jwt = jwt_at(j);
        if (j + jwt > end) return j + jwt - pos;
      }
      return end - pos;
    }
    return 0;
  }

  std::string_view text_;
  std::size_t failed_from_ = 0;
  std::size_t failed_until_ = 0;  // JWT scans starting in (from, until) fail
};

}  // namespace

namespace {

// One pass; true when it masked something.
bool redact_once(std::string_view text, std::string& out) {
  out.clear();
  out.reserve(text.size());
  bool masked = false;
  RunFinder runs(text);
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t run = runs.at(i);
    if (run > 0) {
      out += mask_secret(text.substr(i, run));
      i += run;
      masked = true;
    } else {
      out.push_back(text[i++]);
    }
  }
  return masked;
}

// Passes of redact_secrets() before it gives up and masks everything.
constexpr int kMaxRedactionPasses = 4;

}  // namespace

std::string redact_secrets(std::string_view text) {
  std::string out;
  if (!redact_once(text, out)) return out;
  // A mask keeps the last 4 characters, and they may start a new JWT-like
  // run with the text after them ("...eyJa" + ".b.c"; found by the
  // bearer_key fuzz target). Mask again until nothing is left: each pass
  // that masks removes at least 7 ASCII characters, so this ends.
  // Bounded: text built to need more passes is masked whole.
  std::string again;
  for (int pass = 1; redact_once(out, again); ++pass) {
    if (pass == kMaxRedactionPasses) return mask_secret({});
    out.swap(again);
  }
  return out;
}

bool contains_secret_like(std::string_view text) {
  RunFinder runs(text);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (runs.at(i) > 0) return true;
  }
  return false;
}

std::string mask_secret(std::string_view secret) {
  std::string masked = "\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2";  // ••••
  masked += secret.size() >= 4 ? secret.substr(secret.size() - 4) : std::string_view{};
  return masked;
}

}  // namespace latchkey
