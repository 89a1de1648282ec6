// W3C Trace Context and log lines (src/core/trace_context.cc,
// src/core/log_line.cc): the input's lines are traceparent values,
// tracestate lines and arbitrary text for a log line.
//
// Properties: a traceparent that parses re-forms as a valid one; the
// context for any headers has a valid traceparent to send on, and continues
// the caller's trace only for exactly one valid traceparent; a normalized
// tracestate is at most 512 characters and normalizes to itself; a JSON log
// line of any bytes parses (strictly, as UTF-8) and gives the ASCII back; a
// text line never holds a line break or a control character.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/log_line.h"
#include "core/random.h"
#include "core/trace_context.h"
#include "fuzz_check.h"

namespace {

// Deterministic ids: the properties do not depend on randomness.
class FixedRandom final : public latchkey::Random {
 public:
  void fill(std::span<std::uint8_t> out) override {
    for (std::uint8_t& b : out) b = 0x5A;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> parents;
  std::vector<std::string_view> states;
  std::string_view rest = input;
  for (int i = 0; !rest.empty(); ++i) {
    const auto nl = rest.find('\n');
    const std::string_view line = rest.substr(0, nl);
    (i % 2 == 0 ? parents : states).push_back(line);
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }

  for (const std::string_view value : parents) {
    if (const auto parsed = latchkey::parse_traceparent(value)) {
      latchkey::TraceContext context{parsed->trace_id, parsed->parent_id, "", parsed->flags & 1u,
                                     ""};
      const auto again = latchkey::parse_traceparent(context.traceparent());
      FUZZ_CHECK(again && again->trace_id == parsed->trace_id &&
                 again->parent_id == parsed->parent_id);
    }
  }
  FixedRandom random;
  const latchkey::TraceContext context = latchkey::continue_or_start_trace(parents, states, random);
  const auto sent = latchkey::parse_traceparent(context.traceparent());
  FUZZ_CHECK(sent && sent->trace_id == context.trace_id && sent->parent_id == context.span_id);
  const bool continued = parents.size() == 1 && latchkey::parse_traceparent(parents[0]);
  FUZZ_CHECK(continued == !context.parent_id.empty());
  if (!continued) FUZZ_CHECK(context.tracestate.empty());

  if (const auto state = latchkey::normalize_tracestate(states)) {
    FUZZ_CHECK(state->size() <= latchkey::kMaxTraceState);
    FUZZ_CHECK(latchkey::normalize_tracestate({*state}) == *state);
  }

  std::string json;
  latchkey::LogLine(json, latchkey::LogFormat::kJson, "t", "info", "fuzz", input)
      .field("k", input)
      .finish();
  const auto parsed = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  FUZZ_CHECK(parsed.is_object() && parsed["msg"].is_string());
  if (std::all_of(input.begin(), input.end(), [](char c) { return (c & 0x80) == 0; })) {
    FUZZ_CHECK(parsed["msg"].get<std::string>() == input);
  }
  std::string text;
  latchkey::LogLine(text, latchkey::LogFormat::kText, "t", "info", "fuzz", input)
      .field("k", input)
      .finish();
  for (const char c : text) FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7F);
  return 0;
}
