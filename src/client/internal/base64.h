// Standard base64 with padding (RFC 4648), for the HTTP Basic header. The
// client library does not depend on latchkey's server-side core, so it keeps
// its own few lines. Pure function.
#pragma once

#include <string>
#include <string_view>

namespace latchkey::client::internal {

std::string base64_encode(std::string_view bytes);

}  // namespace latchkey::client::internal
