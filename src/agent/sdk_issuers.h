// The keeper's Issuer and Checker on top of the client SDK
// (include/latchkey/client/): the agent has no HTTP client of its own.
//
// AccountIssuer: seed 000, AccountTokenSource::refresh() (POST
// /api/v1/account/token with HTTP Basic). The secret is read from its source
// before every issuance, so a rotated secret file is used without a restart.
//
// ApiKeyIssuer: seeds 003/004, ApiKeyTokenSource::refresh() (POST
// /v2/auth/token/access {"api_key"}: a new 15-minute JWT each time; no
// supersede exists for JWTs). The key is re-read like the secret.
//
// MeChecker: GET /api/v1/account/me with the token, through
// Client::call_once (it never regenerates a token on 401: the agent decides
// what a refusal means).
//
// Each is used by one thread at a time (the keeper's).
#pragma once

#include <memory>
#include <string>

#include "agent/agent_config.h"
#include "agent/token_keeper.h"
#include "latchkey/client/client.h"

namespace latchkey::agent {

class AccountIssuer final : public Issuer {
 public:
  AccountIssuer(std::string base_url, std::string client_id, SecretSource secret, GetEnv getenv,
                std::shared_ptr<client::Transport> transport, client::UnixClock clock);
  client::Result<client::Token> issue() override;

 private:
  const std::string base_url_;
  const std::string client_id_;
  const SecretSource secret_;
  const GetEnv getenv_;
  const std::shared_ptr<client::Transport> transport_;
  const client::UnixClock clock_;
  std::string secret_in_use_;
  std::unique_ptr<client::AccountTokenSource> source_;
};

class ApiKeyIssuer final : public Issuer {
 public:
  ApiKeyIssuer(std::string base_url, SecretSource api_key, GetEnv getenv,
               std::shared_ptr<client::Transport> transport, client::UnixClock clock);
  client::Result<client::Token> issue() override;

 private:
  const std::string base_url_;
  const SecretSource api_key_;
  const GetEnv getenv_;
  const std::shared_ptr<client::Transport> transport_;
  const client::UnixClock clock_;
  std::string key_in_use_;
  std::unique_ptr<client::ApiKeyTokenSource> source_;
};

class MeChecker final : public Checker {
 public:
  MeChecker(std::string base_url, std::shared_ptr<client::Transport> transport);
  client::Status check(const client::Token& token) override;
  client::Result<std::string> owner(const client::Token& token) override;

 private:
  client::Result<client::HttpResponse> me(const client::Token& token);

  const std::string base_url_;
  const std::shared_ptr<client::Transport> transport_;
};

// The Issuer for `config.credential`.
std::unique_ptr<Issuer> make_issuer(const AgentConfig& config, const GetEnv& getenv,
                                    std::shared_ptr<client::Transport> transport,
                                    client::UnixClock clock);

}  // namespace latchkey::agent
