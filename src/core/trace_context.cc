#include "core/trace_context.h"

#include <algorithm>
#include <cstdint>
#include <span>

#include "core/random.h"

namespace latchkey {
namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr std::size_t kVersion00Length = 55;  // 2+1+32+1+16+1+2
constexpr std::size_t kMaxTraceStateMembers = 32;

bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

bool is_lower_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return is_lower_hex(c); });
}

bool all_zeros(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == '0'; });
}

unsigned hex_value(char c) {
  return c <= '9' ? static_cast<unsigned>(c - '0') : static_cast<unsigned>(c - 'a' + 10);
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_lcalpha(char c) { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_key_char(char c) {
  return is_lcalpha(c) || is_digit(c) || c == '_' || c == '-' || c == '*' || c == '/';
}

// §3.3.1.3.1: simple-key = lcalpha 0*255(keychar); multi-tenant key =
// tenant-id "@" system-id, tenant-id = (lcalpha / DIGIT) 0*240(keychar),
// system-id = lcalpha 0*13(keychar).
bool valid_tracestate_key(std::string_view key) {
  const auto at = key.find('@');
  if (at == std::string_view::npos) {
    return !key.empty() && key.size() <= 256 && is_lcalpha(key.front()) &&
           std::all_of(key.begin(), key.end(), is_key_char);
  }
  const std::string_view tenant = key.substr(0, at);
  const std::string_view system = key.substr(at + 1);
  return !tenant.empty() && tenant.size() <= 241 &&
         (is_lcalpha(tenant.front()) || is_digit(tenant.front())) &&
         std::all_of(tenant.begin(), tenant.end(), is_key_char) && !system.empty() &&
         system.size() <= 14 && is_lcalpha(system.front()) &&
         std::all_of(system.begin(), system.end(), is_key_char);
}

// §3.3.1.3.2: value = 0*255(chr) nblk-chr; chr = %x20 / nblk-chr;
// nblk-chr = %x21-2B / %x2D-3C / %x3E-7E.
bool valid_tracestate_value(std::string_view value) {
  const auto nblk = [](char c) { return c >= 0x21 && c <= 0x7E && c != ',' && c != '='; };
  return !value.empty() && value.size() <= 256 && nblk(value.back()) &&
         std::all_of(value.begin(), value.end(), [&](char c) { return c == ' ' || nblk(c); });
}

// Trace and span ids must be unique, not secret (§3.2.2.3 asks for
// randomness, for uniqueness): a per-thread splitmix64 seeded once from the
// CSPRNG, as request ids are.
std::uint64_t next_id_bits(Random& random) {
  thread_local std::uint64_t state = 0;
  if (state == 0) {
    random.fill(std::span(reinterpret_cast<std::uint8_t*>(&state), sizeof state));
    state |= 1;
  }
  std::uint64_t z;
  do {
    state += 0x9E3779B97F4A7C15ULL;
    z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
  } while (z == 0);  // an all-zero id is invalid
  return z;
}

void append_hex64(std::string& out, std::uint64_t bits) {
  for (int shift = 60; shift >= 0; shift -= 4) out.push_back(kHex[(bits >> shift) & 15]);
}

}  // namespace

std::optional<TraceParent> parse_traceparent(std::string_view value) {
  if (value.size() < kVersion00Length) return std::nullopt;
  const std::string_view version = value.substr(0, 2);
  if (!is_lower_hex(version) || version == "ff") return std::nullopt;
  if (version == "00" ? value.size() != kVersion00Length
                      : value.size() > kVersion00Length && value[kVersion00Length] != '-') {
    return std::nullopt;
  }
  if (value[2] != '-' || value[35] != '-' || value[52] != '-') return std::nullopt;
  const std::string_view trace_id = value.substr(3, 32);
  const std::string_view parent_id = value.substr(36, 16);
  const std::string_view flags = value.substr(53, 2);
  if (!is_lower_hex(trace_id) || !is_lower_hex(parent_id) || !is_lower_hex(flags)) {
    return std::nullopt;
  }
  if (all_zeros(trace_id) || all_zeros(parent_id)) return std::nullopt;
  return TraceParent{std::string(trace_id), std::string(parent_id),
                     hex_value(flags[0]) * 16 + hex_value(flags[1])};
}

std::optional<std::string> normalize_tracestate(const std::vector<std::string_view>& lines) {
  std::string out;
  std::vector<std::string_view> keys;
  for (const std::string_view line : lines) {
    std::string_view rest = line;
    for (;;) {
      const auto comma = rest.find(',');
      const std::string_view member = trim_ows(rest.substr(0, comma));
      if (!member.empty()) {
        const auto eq = member.find('=');
        if (eq == std::string_view::npos) return std::nullopt;
        const std::string_view key = member.substr(0, eq);
        if (!valid_tracestate_key(key) || !valid_tracestate_value(member.substr(eq + 1))) {
          return std::nullopt;
        }
        if (std::find(keys.begin(), keys.end(), key) != keys.end()) return std::nullopt;
        keys.push_back(key);
        if (keys.size() > kMaxTraceStateMembers) return std::nullopt;
        if (!out.empty()) out.push_back(',');
        out += member;
        if (out.size() > kMaxTraceState) return std::nullopt;
      }
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return out;
}

std::string TraceContext::traceparent() const {
  std::string out = "00-";
  out += trace_id;
  out.push_back('-');
  out += span_id;
  out.push_back('-');
  out.push_back(kHex[(flags >> 4) & 15]);
  out.push_back(kHex[flags & 15]);
  return out;
}

TraceContext continue_or_start_trace(const std::vector<std::string_view>& traceparent,
                                     const std::vector<std::string_view>& tracestate,
                                     Random& random) {
  TraceContext context;
  // §3.2: more than one traceparent is invalid; the trace restarts.
  std::optional<TraceParent> parent;
  if (traceparent.size() == 1) parent = parse_traceparent(traceparent.front());
  if (parent) {
    context.trace_id = std::move(parent->trace_id);
    context.parent_id = std::move(parent->parent_id);
    context.flags = parent->flags & 0x01;  // version 00 defines only "sampled"
    if (auto state = normalize_tracestate(tracestate)) context.tracestate = std::move(*state);
  } else {
    context.trace_id.reserve(32);
    append_hex64(context.trace_id, next_id_bits(random));
    append_hex64(context.trace_id, next_id_bits(random));
    context.flags = 0x01;
  }
  context.span_id.reserve(16);
  append_hex64(context.span_id, next_id_bits(random));
  return context;
}

}  // namespace latchkey
