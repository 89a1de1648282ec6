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

}  // namespace latchkey::pipeline
