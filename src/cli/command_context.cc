#include "cli/commands.h"
#include "cli/output.h"

namespace latchkey::cli {

int CommandContext::with_session(const std::function<int(Session&)>& body) {
  auto session = Session::open(options, *env, *err);
  if (!session) return report(session.error(), *err);
  return body(*session);
}

int CommandContext::call_and_print(std::string_view method, const std::string& path,
                                   std::string_view body) {
  return with_session([&](Session& session) {
    auto response = session.client().call(method, path, body);
    if (!response) return report(response.error(), *err);
    print_json(*out, response->body);
    return kExitOk;
  });
}

}  // namespace latchkey::cli
