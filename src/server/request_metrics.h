// Per-request metrics for /metrics: requests by route, method and status,
// and a latency histogram per route. Fed by the HTTP server's observer
// (http::ServerOptions::observer); labels are route patterns, never raw
// paths, so a client cannot grow the label set.
#pragma once

#include <functional>

#include "http/server.h"

namespace latchkey::server {

// An observer that records into metrics::default_registry(). Label lookups
// are cached per thread, so a request costs two relaxed atomic adds.
std::function<void(const http::RequestObservation&)> request_metrics_observer();

}  // namespace latchkey::server
