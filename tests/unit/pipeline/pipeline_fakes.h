// Fakes of the pipeline's services (services.h) for stage and chain tests:
// each answers what the test sets, counts its calls, and can fail.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "audit/audit_log.h"
#include "limits/limits.h"
#include "pipeline/pipeline.h"
#include "pipeline/services.h"
#include "support/fake_clock.h"

namespace latchkey::pipeline::testing {

class FakeBearer final : public BearerVerifier {
 public:
  Result<std::shared_ptr<const Principal>> verify(std::string_view token) override {
    ++calls;
    if (error) return fail(*error);
    if (token != "good") return fail(Error::invalid_token("unknown", "no such token"));
    return principal;
  }
  std::shared_ptr<const Principal> principal = std::make_shared<Principal>();
  std::optional<Error> error;
  int calls = 0;
};

class FakeClients final : public ClientVerifier {
 public:
  Result<AuthenticatedClient> verify(std::string_view id, std::string_view secret) override {
    ++calls;
    if (error) return fail(*error);
    if (secret != "right") return fail(Error::invalid_client("wrong client id or secret"));
    AuthenticatedClient c;
    c.client_id = std::string(id);
    c.user.id = "usr_" + std::string(id);
    return c;
  }
  std::optional<Error> error;
  int calls = 0;
};

class FakeKeys final : public ApiKeyVerifier {
 public:
  Result<KeyIdentity> verify(std::string_view) override {
    if (error) return fail(*error);
    return KeyIdentity{"key_x", ""};
  }
  std::optional<Error> error;
};

class FakeDecider final : public Decider {
 public:
  Result<authz::DecisionOutcome> decide(const Principal&,
                                        const policy::DecisionRequest& request) override {
    ++calls;
    if (error) return fail(*error);
    authz::DecisionOutcome out;
    out.decision.allow = allow;
    if (!allow) {
      out.decision.reason = "module_missing";
      out.decision.description = "the user lacks a module";
      out.decision.module = "RECORDS";
    }
    out.resolved = request;
    return out;
  }
  bool allow = true;
  std::optional<Error> error;
  int calls = 0;
};

class CollectingAuditLog final : public AuditLog {
 public:
  void record(AuditEvent event) override {
    std::lock_guard lock(mu_);
    events.push_back(std::move(event));
  }
  Status record_durably(AuditEvent event) override {
    record(std::move(event));
    return {};
  }
  std::vector<AuditEvent> events;

 private:
  std::mutex mu_;
};

// Services over the fakes; a test changes the fakes, then builds pipelines.
struct FakeServices {
  latchkey::testing::FakeClock clock;
  FakeBearer bearer;
  FakeClients clients;
  FakeKeys keys;
  FakeDecider decider;
  CollectingAuditLog audit;
  limits::Limits limits;
  NoConsoleSessions console;
  Services services() {
    return Services{clock, bearer, clients, keys, decider, audit, limits, console};
  }
};

}  // namespace latchkey::pipeline::testing
