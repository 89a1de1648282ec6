// The one decision of who the client of a request is (docs/proxies.md).
//
// `peer` is the address the connection came from: the TCP peer, or the
// source a trusted proxy named in a PROXY protocol header. When `peer` is in
// trusted_proxies, X-Forwarded-For is read right to left, skipping trusted
// hops: the first address not in trusted_proxies is the client (all trusted:
// the leftmost). A malformed entry met on the way makes the peer the client.
// From an untrusted peer X-Forwarded-For is ignored.
//
// Everything that acts on the client's address (the auth throttle, the
// audit trail, the access log, a gateway upstream's X-Forwarded-For) reads
// the result through http::Request::remote_ip; nothing else reads the header.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "core/cidr.h"
#include "http/message.h"

namespace latchkey::http {

struct ClientAddress {
  std::string client;         // the address the pipeline uses
  bool peer_trusted = false;  // X-Forwarded-For was read (and may be passed on)
};

// Every X-Forwarded-For field of `request`, in order, joined by ", ".
std::string forwarded_for_chain(const Request& request);

ClientAddress resolve_client_address(const CidrSet& trusted_proxies, std::string_view peer,
                                     const Request& request);

}  // namespace latchkey::http
