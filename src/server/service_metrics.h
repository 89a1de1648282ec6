// Metrics read from latchkeyd's services when /metrics is scraped: cache hit
// counts, cache sizes, audit buffer totals. The services keep their own
// counters (they also serve tests); this only exposes them.
#pragma once

namespace latchkey {
class JwtService;
class BufferedAuditLog;
namespace authz {
class PermissionService;
}
}  // namespace latchkey

namespace latchkey::server {

// Registers callback metrics reading these services. They must outlive any
// later /metrics scrape; unregister_service_metrics() before they die.
void register_service_metrics(const JwtService& jwts, const authz::PermissionService& permissions,
                              const BufferedAuditLog& audit);
void unregister_service_metrics();

}  // namespace latchkey::server
