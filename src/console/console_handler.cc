#include "console/console_handler.h"

#include <string>

#include "console/console_path.h"
#include "http/error_response.h"

namespace latchkey::console {
namespace {

constexpr std::string_view kImmutable = "public, max-age=31536000, immutable";
constexpr std::string_view kRevalidate = "no-cache";

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t");
  return s.substr(first, last - first + 1);
}

http::Response with_security_headers(http::Response response) {
  add_security_headers(response);
  return response;
}

http::Response redirect_to_root(const http::Request& request) {
  http::Response r;
  r.status = 308;
  std::string location = "/console/";
  if (const std::string_view query = request.query(); !query.empty()) {
    location += '?';
    location += query;
  }
  r.set_header("Location", std::move(location));
  return with_security_headers(std::move(r));
}

http::Response file_response(const Asset& asset, bool immutable, const http::Request& request) {
  http::Response r;
  r.set_header("ETag", std::string(asset.etag));
  r.set_header("Cache-Control", std::string(immutable ? kImmutable : kRevalidate));
  const auto if_none_match = request.header("If-None-Match");
  if (if_none_match && if_none_match_names(*if_none_match, asset.etag)) {
    r.status = 304;
  } else {
    r.status = 200;
    r.set_header("Content-Type", std::string(asset.content_type));
    r.body.assign(asset.bytes);
  }
  return with_security_headers(std::move(r));
}

}  // namespace

void add_security_headers(http::Response& response) {
  response.set_header("Content-Security-Policy", std::string(kConsoleCsp));
  response.set_header("X-Content-Type-Options", "nosniff");
  response.set_header("Referrer-Policy", "no-referrer");
  response.set_header("X-Frame-Options", "DENY");
}

bool if_none_match_names(std::string_view if_none_match, std::string_view etag) {
  const std::string_view wanted = etag.starts_with("W/") ? etag.substr(2) : etag;
  std::string_view rest = if_none_match;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    std::string_view tag = trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    if (tag == "*") return true;
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (!tag.empty() && tag == wanted) return true;
  }
  return false;
}

http::Response serve_console(const AssetTable& table, const http::Request& request) {
  const ResolvedPath resolved = resolve_console_path(table, request.path());
  switch (resolved.kind) {
    case PathKind::kRedirect:
      return redirect_to_root(request);
    case PathKind::kPage:
      if (resolved.asset == nullptr) {
        return with_security_headers(http::error_response(
            Error::not_found("this latchkeyd was built without the web console "
                             "(-DLATCHKEY_CONSOLE=OFF)")
                .with_reason("console_not_built")));
      }
      return file_response(*resolved.asset, /*immutable=*/false, request);
    case PathKind::kFile:
      return file_response(*resolved.asset, resolved.immutable, request);
    case PathKind::kInvalid:
      return with_security_headers(http::error_response(
          Error::invalid_request("the console path has a dot segment, an empty segment, a "
                                 "'\\', an escaped '/', '\\', '.' or control character, or a "
                                 "character outside RFC 3986")
              .with_reason("invalid_path")));
    case PathKind::kNotFound:
      break;
  }
  return with_security_headers(
      http::error_response(Error::not_found("no such file in the web console")));
}

}  // namespace latchkey::console
