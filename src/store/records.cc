#include "store/records.h"

namespace latchkey {

std::string_view to_string(UserType type) {
  return type == UserType::kService ? "service" : "human";
}

std::optional<UserType> parse_user_type(std::string_view text) {
  if (text == "human") return UserType::kHuman;
  if (text == "service") return UserType::kService;
  return std::nullopt;
}

std::string_view to_string(TokenEndReason reason) {
  switch (reason) {
    case TokenEndReason::kSuperseded:
      return "superseded";
    case TokenEndReason::kRevoked:
      return "revoked";
    case TokenEndReason::kExpired:
      return "expired";
    case TokenEndReason::kUserDisabled:
      return "user_disabled";
  }
  return "revoked";
}

std::optional<TokenEndReason> parse_token_end_reason(std::string_view text) {
  for (auto r : {TokenEndReason::kSuperseded, TokenEndReason::kRevoked, TokenEndReason::kExpired,
                 TokenEndReason::kUserDisabled}) {
    if (to_string(r) == text) return r;
  }
  return std::nullopt;
}

}  // namespace latchkey
