// Metrics read from the HTTP server's connection table when /metrics is
// scraped (docs/security/connections.md): open connections, distinct client
// addresses, connections admitted and refused at each cap, failed accepts.
#pragma once

namespace latchkey::http {
class Server;
}

namespace latchkey::server {

// Registers callback metrics reading `server`, which must outlive any later
// scrape; unregister_connection_metrics() before it is destroyed.
void register_connection_metrics(const http::Server& server);
void unregister_connection_metrics();

}  // namespace latchkey::server
