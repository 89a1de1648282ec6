#include "client/internal/redact.h"

#include <array>
#include <cctype>

namespace latchkey::client::internal {
namespace {

constexpr std::array<std::string_view, 3> kSecretPrefixes = {"lk_sec_", "lk_at_", "lk_key_"};
constexpr std::string_view kMask = "\u2022\u2022\u2022\u2022";
// Shorter values are not secrets we generate; masking them would mangle text.
constexpr std::size_t kMinScrubLength = 4;
// A prefix followed by fewer characters is prose about secrets, not a secret.
constexpr std::size_t kMinSecretBodyLength = 8;

bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

std::string masked(std::string_view secret) {
  std::string out(kMask);
  if (secret.size() > 8) out += secret.substr(secret.size() - 4);
  return out;
}

std::string replace_all(std::string text, std::string_view secret) {
  if (secret.size() < kMinScrubLength) return text;
  const std::string mask = masked(secret);
  for (std::size_t at = text.find(secret); at != std::string::npos;
       at = text.find(secret, at + mask.size())) {
    text.replace(at, secret.size(), mask);
  }
  return text;
}

template <class Secrets>
std::string scrub_text(const std::string& text, const Secrets& secrets) {
  std::string out = text;
  for (std::string_view secret : secrets) out = replace_all(std::move(out), secret);
  return mask_secret_like(out);
}

}  // namespace

std::string mask_secret_like(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t prefix_length = 0;
    for (std::string_view prefix : kSecretPrefixes) {
      if (text.substr(i, prefix.size()) == prefix) prefix_length = prefix.size();
    }
    if (prefix_length == 0) {
      out += text[i++];
      continue;
    }
    std::size_t end = i + prefix_length;
    while (end < text.size() && is_alnum(text[end])) ++end;
    if (end - i - prefix_length < kMinSecretBodyLength) {  // "lk_at_" alone is prose
      out.append(text.substr(i, end - i));
    } else {
      out += masked(text.substr(i, end - i));
    }
    i = end;
  }
  return out;
}

template <class Secrets>
void scrub_all(ClientError& error, const Secrets& secrets) {
  error.error = scrub_text(error.error, secrets);
  error.description = scrub_text(error.description, secrets);
  error.reason = scrub_text(error.reason, secrets);
  error.request_id = scrub_text(error.request_id, secrets);
  for (auto& [key, value] : error.details) {
    key = scrub_text(key, secrets);
    value = scrub_text(value, secrets);
  }
}

void scrub(ClientError& error, std::initializer_list<std::string_view> secrets) {
  scrub_all(error, secrets);
}

void scrub(ClientError& error, const std::vector<std::string_view>& secrets) {
  scrub_all(error, secrets);
}

}  // namespace latchkey::client::internal
