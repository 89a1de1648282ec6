#include "tokens/principal_of_user.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/time.h"

namespace latchkey {
namespace {

// Test that GET /me's JSON rendered at cache fill is byte for byte what the
// JSON library writes for the same object (sorted keys), with any name.
TEST(PrincipalOfUser, RendersMeOnceAsTheLibraryWould) {
  User user;
  user.id = "usr_1";
  user.name = "risk \"sync\" \\ ünï\x01";
  user.type = UserType::kService;
  user.api_access = true;
  user.modules = {"ADMIN", "RECORDS"};
  const Instant issued = from_unix_millis(1'795'000'000'123);
  const Instant expires = from_unix_millis(1'795'003'600'123);
  auto p = principal_of_user(user, "cli_1", issued, expires);
  const std::string rendered = p->me_json_head + "3599" + p->me_json_tail;
  const nlohmann::json expected = {{"id", "usr_1"},
                                   {"name", user.name},
                                   {"type", "service"},
                                   {"api_access", true},
                                   {"modules", user.modules},
                                   {"client_id", "cli_1"},
                                   {"token",
                                    {{"issued_at", format_rfc3339(issued)},
                                     {"expires_at", format_rfc3339(expires)},
                                     {"expires_in", 3599}}}};
  EXPECT_EQ(rendered, expected.dump());
  EXPECT_EQ(p->credential, "client cli_1");
}

}  // namespace
}  // namespace latchkey
