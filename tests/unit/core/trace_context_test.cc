#include "core/trace_context.h"

#include <gtest/gtest.h>

#include <set>

#include "support/counter_random.h"

namespace latchkey {
namespace {

constexpr std::string_view kValid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

// Test that the spec's example parses into its parts.
TEST(TraceParent, ParsesVersion00) {
  const auto p = parse_traceparent(kValid);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(p->parent_id, "00f067aa0ba902b7");
  EXPECT_EQ(p->flags, 1u);
  EXPECT_EQ(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")->flags,
            0u);
}

// Test that every malformed traceparent is refused (table of W3C §3.2 rules).
TEST(TraceParent, RefusesMalformedValues) {
  const std::string_view bad[] = {
      "",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",    // short
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",  // 00 with more
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",   // uppercase
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",   // zero trace id
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",   // zero parent id
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",   // version ff
      "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",   // not hex
      "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",   // separator
      "00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01",   // misplaced dash
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x",   // flags
      " 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  // whitespace
      "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",  // later version, no dash
  };
  for (const std::string_view value : bad) EXPECT_FALSE(parse_traceparent(value)) << value;
}

// Test that a later version is read by its version-00 prefix (§4.3).
TEST(TraceParent, ReadsLaterVersionsByTheirPrefix) {
  const auto p = parse_traceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_TRUE(parse_traceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
}

// Test that tracestate lines combine into one list and bad ones drop it all.
TEST(TraceState, NormalizesOrDrops) {
  EXPECT_EQ(normalize_tracestate({"rojo=00f067aa0ba902b7, congo=t61rcWkgMzE"}),
            "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  EXPECT_EQ(normalize_tracestate({"a=1", " ,b=2 ", "tenant@sys=x y"}), "a=1,b=2,tenant@sys=x y");
  EXPECT_EQ(normalize_tracestate({}), "");
  EXPECT_FALSE(normalize_tracestate({"Upper=1"}));
  EXPECT_FALSE(normalize_tracestate({"novalue"}));
  EXPECT_FALSE(normalize_tracestate({"a=1", "a=2"}));  // repeated key
  EXPECT_FALSE(normalize_tracestate({"a=x\tb"}));      // a tab inside a value
  EXPECT_FALSE(normalize_tracestate({"a=has=equals"}));
  EXPECT_FALSE(normalize_tracestate({"a=\x01"}));
  std::string many;
  for (int i = 0; i < 33; ++i) many += "k" + std::to_string(i) + "=v,";
  EXPECT_FALSE(normalize_tracestate({many}));
  EXPECT_FALSE(normalize_tracestate({"a=" + std::string(255, 'x'), "b=" + std::string(255, 'y'),
                                     "c=" + std::string(10, 'z')}));  // over 512
}

// Test that a valid traceparent is continued: same trace id, the caller's
// span as parent, a new span id of our own, tracestate passed on.
TEST(TraceContext, ContinuesAValidTrace) {
  testing::CounterRandom random;
  const TraceContext t = continue_or_start_trace({kValid}, {"rojo=1"}, random);
  EXPECT_EQ(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(t.parent_id, "00f067aa0ba902b7");
  ASSERT_EQ(t.span_id.size(), 16u);
  EXPECT_NE(t.span_id, t.parent_id);
  EXPECT_EQ(t.tracestate, "rojo=1");
  EXPECT_EQ(t.traceparent(), "00-4bf92f3577b34da6a3ce929d0e0e4736-" + t.span_id + "-01");
  EXPECT_TRUE(parse_traceparent(t.traceparent()));
}

// Test that an invalid or repeated traceparent starts a new trace and drops
// the tracestate that came with it.
TEST(TraceContext, StartsANewTraceOtherwise) {
  testing::CounterRandom random;
  std::set<std::string> traces;
  for (const auto& parents : std::vector<std::vector<std::string_view>>{
           {}, {"00-00000000000000000000000000000000-00f067aa0ba902b7-01"}, {kValid, kValid}}) {
    const TraceContext t = continue_or_start_trace(parents, {"rojo=1"}, random);
    EXPECT_NE(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
    EXPECT_TRUE(t.parent_id.empty());
    EXPECT_TRUE(t.tracestate.empty());
    EXPECT_EQ(t.flags, 1u);
    const auto reparsed = parse_traceparent(t.traceparent());
    ASSERT_TRUE(reparsed) << t.traceparent();
    traces.insert(t.trace_id);
  }
  EXPECT_EQ(traces.size(), 3u);
}

// Test that flags other than "sampled" are not passed on (version 00).
TEST(TraceContext, PassesOnlyTheSampledFlag) {
  testing::CounterRandom random;
  const TraceContext t = continue_or_start_trace(
      {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff"}, {}, random);
  EXPECT_EQ(t.flags, 1u);
  EXPECT_TRUE(t.traceparent().ends_with("-01"));
}

}  // namespace
}  // namespace latchkey
