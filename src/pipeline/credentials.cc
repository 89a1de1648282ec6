#include "pipeline/credentials.h"

#include "core/encoding.h"
#include "http/message.h"

namespace latchkey::pipeline {
namespace {

// "Scheme credentials" with a case-insensitive scheme; nullopt if another scheme.
std::optional<std::string_view> credentials_of_scheme(std::string_view header,
                                                      std::string_view scheme) {
  if (header.size() <= scheme.size() || header[scheme.size()] != ' ') return std::nullopt;
  if (!http::iequals(header.substr(0, scheme.size()), scheme)) return std::nullopt;
  std::string_view rest = header.substr(scheme.size() + 1);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  return rest;
}

}  // namespace

Result<BasicCredentials> parse_basic_authorization(std::optional<std::string_view> header) {
  if (!header) {
    return fail(
        Error::invalid_client("client authentication required: send Authorization: Basic "
                              "base64(client_id:client_secret)"));
  }
  if (header->size() > kMaxAuthorizationBytes) {
    return fail(Error::invalid_client("the Authorization header is too long"));
  }
  const auto encoded = credentials_of_scheme(*header, "Basic");
  if (!encoded) {
    return fail(Error::invalid_client("the Authorization header must use the Basic scheme"));
  }
  const auto decoded = base64_decode(*encoded);
  if (!decoded) {
    return fail(Error::invalid_client("the Basic credentials are not valid base64"));
  }
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) {
    return fail(Error::invalid_client("the Basic credentials must be client_id:client_secret"));
  }
  BasicCredentials out{decoded->substr(0, colon), decoded->substr(colon + 1)};
  if (out.client_id.empty() || out.client_secret.empty()) {
    return fail(
        Error::invalid_client("the client id and the client secret must both be non-empty"));
  }
  return out;
}

Result<std::string_view> parse_bearer_authorization(std::optional<std::string_view> header) {
  if (!header || header->empty()) {
    return fail(Error{ErrorCode::kMissingCredentials,
                      "authentication required: send Authorization: Bearer <access_token>"});
  }
  if (header->size() > kMaxAuthorizationBytes) {
    return fail(Error::invalid_token("malformed", "the Authorization header is too long"));
  }
  const auto token = credentials_of_scheme(*header, "Bearer");
  if (!token || token->empty()) {
    return fail(Error::invalid_token("malformed",
                                     "the Authorization header must be Bearer <access_token>"));
  }
  return *token;
}

std::optional<std::string_view> cookie_value(std::optional<std::string_view> header,
                                             std::string_view name) {
  std::vector<std::string_view> all = cookie_values(header, name);
  if (all.empty()) return std::nullopt;
  return all.front();
}

std::vector<std::string_view> cookie_values(std::optional<std::string_view> header,
                                            std::string_view name) {
  std::vector<std::string_view> out;
  if (!header) return out;
  std::string_view rest = *header;
  while (!rest.empty()) {
    const std::size_t end = rest.find(';');
    std::string_view pair = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    while (!pair.empty() && (pair.front() == ' ' || pair.front() == '\t')) pair.remove_prefix(1);
    while (!pair.empty() && (pair.back() == ' ' || pair.back() == '\t')) pair.remove_suffix(1);
    const std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    if (pair.substr(0, eq) != name) continue;
    std::string_view value = pair.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    out.push_back(value);
  }
  return out;
}

namespace {

bool ascii_iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace

bool same_origin(std::string_view origin, std::string_view host, std::string_view public_origin) {
  if (!public_origin.empty() && ascii_iequal(origin, public_origin)) return true;
  std::string_view authority;
  if (origin.starts_with("http://")) {
    authority = origin.substr(7);
  } else if (origin.starts_with("https://")) {
    authority = origin.substr(8);
  } else {
    return false;
  }
  if (authority.empty() || host.empty()) return false;
  return ascii_iequal(authority, host);
}

}  // namespace latchkey::pipeline
