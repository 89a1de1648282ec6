#include "server/service_metrics.h"

#include <array>
#include <string_view>

#include "audit/buffered_audit_log.h"
#include "authz/permission_service.h"
#include "metrics/metrics.h"
#include "tokens/jwt_service.h"

namespace latchkey::server {
namespace {

constexpr std::array<std::string_view, 8> kNames = {"latchkey_jwt_cache_hits_total",
                                                    "latchkey_jwt_signature_verifications_total",
                                                    "latchkey_jwt_cached_tokens",
                                                    "latchkey_permission_cache_hits_total",
                                                    "latchkey_permission_cache_misses_total",
                                                    "latchkey_audit_events_recorded_total",
                                                    "latchkey_audit_events_dropped_total",
                                                    "latchkey_audit_events_failed_total"};

}  // namespace

void register_service_metrics(const JwtService& jwts, const authz::PermissionService& permissions,
                              const BufferedAuditLog& audit) {
  auto& r = metrics::default_registry();
  auto d = [](auto v) { return static_cast<double>(v); };
  r.counter_callback(std::string(kNames[0]),
                     "JWT verifications answered from the verified-token cache.",
                     [&jwts, d] { return d(jwts.stats().cache_hits); });
  r.counter_callback(std::string(kNames[1]), "JWT verifications that ran ES256 (cache misses).",
                     [&jwts, d] { return d(jwts.stats().signature_verifications); });
  r.gauge_callback(std::string(kNames[2]), "JWTs in the verified-token cache.",
                   [&jwts, d] { return d(jwts.stats().cached_tokens); });
  r.counter_callback(std::string(kNames[3]), "Effective-permission lookups served from memory.",
                     [&permissions, d] { return d(permissions.cache_stats().hits); });
  r.counter_callback(std::string(kNames[4]), "Effective-permission lookups that read the store.",
                     [&permissions, d] { return d(permissions.cache_stats().misses); });
  r.counter_callback(std::string(kNames[5]), "Audit events accepted.",
                     [&audit, d] { return d(audit.stats().recorded); });
  r.counter_callback(std::string(kNames[6]), "Audit events dropped because the buffer was full.",
                     [&audit, d] { return d(audit.stats().dropped); });
  r.counter_callback(std::string(kNames[7]), "Audit events lost because the store refused them.",
                     [&audit, d] { return d(audit.stats().failed); });
}

void unregister_service_metrics() {
  for (auto name : kNames) metrics::default_registry().remove_callback(name);
}

}  // namespace latchkey::server
