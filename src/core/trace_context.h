// W3C Trace Context (https://www.w3.org/TR/trace-context/, docs/logging.md
// "Tracing"): the `traceparent` and `tracestate` request headers.
//
// latchkeyd is one hop of a trace: it continues the trace of a request that
// carries a valid traceparent (same trace id, the caller's span as parent),
// or starts a new one, and gives itself a fresh span id. The gateway sends
// the upstream `traceparent: 00-<trace id>-<latchkeyd's span id>-<flags>`;
// the access log records trace_id and span_id.
//
// Parsing is strict (§3.2): lowercase hex only, trace id and parent id not
// all zeros, version ff refused, version 00 exactly 55 characters, a later
// version at least 55 with '-' after the flags. Anything else is ignored, as
// if absent, and so is the tracestate that came with it (§3.3.1).
//
// Thread-safety: pure functions, except new_trace_ids (thread-local state).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace latchkey {

class Random;

struct TraceParent {
  std::string trace_id;   // 32 lowercase hex, not all zeros
  std::string parent_id;  // 16 lowercase hex, not all zeros
  unsigned flags = 0;     // trace-flags; bit 0: sampled
};

// One traceparent header value; nullopt when it is not valid.
std::optional<TraceParent> parse_traceparent(std::string_view value);

// The tracestate to pass on, from every tracestate header line in order
// (§3.3.1.1: lines are one comma-separated list): list members trimmed and
// joined with ','; empty members dropped. nullopt (drop it all) when a
// member is malformed, a key repeats, there are more than 32 members, or the
// result is longer than kMaxTraceState.
inline constexpr std::size_t kMaxTraceState = 512;
std::optional<std::string> normalize_tracestate(const std::vector<std::string_view>& lines);

// This hop of a trace: what the access log writes and the gateway sends.
struct TraceContext {
  std::string trace_id;    // 32 lowercase hex
  std::string span_id;     // latchkeyd's own span: 16 lowercase hex
  std::string parent_id;   // the caller's span; empty when the trace started here
  unsigned flags = 0;      // passed on (only the sampled bit)
  std::string tracestate;  // passed on unchanged; empty when none

  bool empty() const { return trace_id.empty(); }
  // "00-<trace_id>-<span_id>-<flags>": the traceparent for the next hop.
  std::string traceparent() const;
};

// The context for a request whose traceparent header lines are
// `traceparent` and tracestate lines `tracestate`: the caller's trace when
// exactly one valid traceparent came, else a new trace (random trace id,
// sampled flag set: latchkeyd records every request in its access log).
// Ids come from a per-thread generator seeded once from `random`.
TraceContext continue_or_start_trace(const std::vector<std::string_view>& traceparent,
                                     const std::vector<std::string_view>& tracestate,
                                     Random& random);

}  // namespace latchkey
