#include "agent/sdk_issuers.h"

#include <nlohmann/json.hpp>

namespace latchkey::agent {

AccountIssuer::AccountIssuer(std::string base_url, std::string client_id, SecretSource secret,
                             GetEnv getenv, std::shared_ptr<client::Transport> transport,
                             client::UnixClock clock)
    : base_url_(std::move(base_url)),
      client_id_(std::move(client_id)),
      secret_(std::move(secret)),
      getenv_(std::move(getenv)),
      transport_(std::move(transport)),
      clock_(std::move(clock)) {}

client::Result<client::Token> AccountIssuer::issue() {
  auto secret = secret_.read(getenv_);
  if (!secret) return std::unexpected(std::move(secret.error()));
  if (!source_ || *secret != secret_in_use_) {
    secret_in_use_ = *secret;
    source_ = std::make_unique<client::AccountTokenSource>(client::AccountTokenSourceOptions{
        .base_url = base_url_,
        .credentials = {client_id_, *secret},
        .transport = transport_,
        .cache = std::make_shared<client::MemoryTokenCache>(),
        .clock = clock_,
    });
  }
  // Every call is a new issuance: the keeper only asks when it needs one.
  return source_->refresh();
}

ApiKeyIssuer::ApiKeyIssuer(std::string base_url, SecretSource api_key, GetEnv getenv,
                           std::shared_ptr<client::Transport> transport, client::UnixClock clock)
    : base_url_(std::move(base_url)),
      api_key_(std::move(api_key)),
      getenv_(std::move(getenv)),
      transport_(std::move(transport)),
      clock_(std::move(clock)) {}

client::Result<client::Token> ApiKeyIssuer::issue() {
  auto key = api_key_.read(getenv_);
  if (!key) return std::unexpected(std::move(key.error()));
  if (!source_ || *key != key_in_use_) {
    key_in_use_ = *key;
    source_ = std::make_unique<client::ApiKeyTokenSource>(client::ApiKeyTokenSourceOptions{
        .base_url = base_url_,
        .api_key = *key,
        .transport = transport_,
        .clock = clock_,
        .cache = std::make_shared<client::MemoryTokenCache>(),
    });
  }
  return source_->refresh();
}

MeChecker::MeChecker(std::string base_url, std::shared_ptr<client::Transport> transport)
    : base_url_(std::move(base_url)), transport_(std::move(transport)) {}

client::Result<client::HttpResponse> MeChecker::me(const client::Token& token) {
  client::Client client(base_url_, transport_,
                        std::make_shared<client::StaticTokenSource>(token.access_token));
  return client.call_once("GET", "/api/v1/account/me");
}

client::Status MeChecker::check(const client::Token& token) {
  auto answer = me(token);
  if (!answer) return std::unexpected(std::move(answer.error()));
  return {};
}

client::Result<std::string> MeChecker::owner(const client::Token& token) {
  auto answer = me(token);
  if (!answer) return std::unexpected(std::move(answer.error()));
  const auto body = nlohmann::json::parse(answer->body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object() && body.contains("client_id") && body["client_id"].is_string()) {
    return body["client_id"].get<std::string>();
  }
  return std::string();
}

std::unique_ptr<Issuer> make_issuer(const AgentConfig& config, const GetEnv& getenv,
                                    std::shared_ptr<client::Transport> transport,
                                    client::UnixClock clock) {
  if (config.credential == CredentialKind::kApiKey) {
    return std::make_unique<ApiKeyIssuer>(config.server_url, config.secret, getenv,
                                          std::move(transport), std::move(clock));
  }
  return std::make_unique<AccountIssuer>(config.server_url, config.client_id, config.secret, getenv,
                                         std::move(transport), std::move(clock));
}

}  // namespace latchkey::agent
