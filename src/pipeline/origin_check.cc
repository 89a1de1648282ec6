#include "pipeline/origin_check.h"

#include <string>

#include "metrics/metrics.h"

namespace latchkey::pipeline {
namespace {

metrics::Counter& refusals() {
  static metrics::Counter& counter = metrics::default_registry().counter(
      "latchkey_origin_refusals_total",
      "Requests refused because their client address is outside the credential's allowed "
      "origins (401 origin_not_allowed).");
  return counter;
}

// Registered when the program starts, so that /metrics shows 0 before the
// first refusal.
[[maybe_unused]] const metrics::Counter& registered_at_start = refusals();

}  // namespace

Error origin_not_allowed(std::string_view client_ip, OriginSubject subject) {
  refusals().inc();
  const std::string from = client_ip.empty() ? "an unknown address" : std::string(client_ip);
  std::string what;
  switch (subject) {
    case OriginSubject::kToken:
      what = "this token may not be used from ";
      break;
    case OriginSubject::kClient:
      what = "these client credentials may not be used from ";
      break;
    case OriginSubject::kApiKey:
      what = "this API key may not be used from ";
      break;
  }
  std::string description = what + from + ": it is outside the allowed origins";
  Error error = subject == OriginSubject::kClient
                    ? Error::invalid_client(std::move(description))
                    : Error::invalid_token(std::string(kOriginNotAllowed), std::move(description));
  error.with_reason(std::string(kOriginNotAllowed)).with_detail("client_ip", from);
  return error;
}

}  // namespace latchkey::pipeline
