#include "http/framing.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

namespace latchkey::http {
namespace {

using Error = FramingError;

// Byte classes, one table lookup per byte of the head.
enum : std::uint8_t {
  kTchar = 1,       // RFC 9110 §5.6.2 token character
  kFieldValue = 2,  // RFC 9110 §5.5: VCHAR, obs-text, SP, HTAB
  kTargetByte = 4,  // visible US-ASCII (0x21-0x7E): what a request target may hold
  kRegName = 8,     // RFC 3986 unreserved / sub-delims: a reg-name besides "%HH"
};

constexpr std::array<std::uint8_t, 256> make_classes() {
  std::array<std::uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    std::uint8_t bits = 0;
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (alnum ||
        std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos) {
      bits |= kTchar;
    }
    if (c == '\t' || (c >= 0x20 && c != 0x7f)) bits |= kFieldValue;
    if (c >= 0x21 && c <= 0x7e) bits |= kTargetByte;
    if (alnum ||
        std::string_view("-._~!$&'()*+,;=").find(static_cast<char>(c)) != std::string_view::npos) {
      bits |= kRegName;
    }
    t[static_cast<std::size_t>(c)] = bits;
  }
  return t;
}
constexpr std::array<std::uint8_t, 256> kClasses = make_classes();

bool has(char c, std::uint8_t bit) { return (kClasses[static_cast<unsigned char>(c)] & bit) != 0; }

// Eight bytes at a time (values and targets are most of a head): whether
// any byte of `x` is below n / above n, for n <= 128 / n <= 127 (the
// "determine if a word has a byte less than n" bit tricks).
constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
constexpr bool any_below(std::uint64_t x, std::uint64_t n) {
  return ((x - kOnes * n) & ~x & kHighs) != 0;
}
constexpr bool any_above(std::uint64_t x, std::uint64_t n) {
  return (((x + kOnes * (127 - n)) | x) & kHighs) != 0;
}
std::uint64_t load8(const char* p) {
  std::uint64_t x;
  std::memcpy(&x, p, sizeof x);
  return x;
}

// True when no byte of `v` is a control byte, HTAB or DEL: the common field
// value, checked without a lookup per byte.
bool is_plain_value(std::string_view v) {
  std::size_t i = 0;
  for (; i + 8 <= v.size(); i += 8) {
    const std::uint64_t x = load8(v.data() + i);
    if (any_below(x, 0x20) || any_below(x ^ (kOnes * 0x7f), 1)) return false;
  }
  for (; i < v.size(); ++i) {
    const auto c = static_cast<unsigned char>(v[i]);
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

// True when every byte of `t` is visible US-ASCII (0x21-0x7E).
bool is_plain_target(std::string_view t) {
  std::size_t i = 0;
  for (; i + 8 <= t.size(); i += 8) {
    const std::uint64_t x = load8(t.data() + i);
    if (any_below(x, 0x21) || any_above(x, 0x7e)) return false;
  }
  for (; i < t.size(); ++i) {
    if (!has(t[i], kTargetByte)) return false;
  }
  return true;
}

// Why a byte that is not allowed where it stands is refused.
Error offending(char c) {
  if (c == '\r') return Error::kBareCr;
  const auto u = static_cast<unsigned char>(c);
  if (u < 0x20 || u == 0x7f) return Error::kControlCharacter;
  return Error::kNone;  // a printable byte: the caller says what it breaks
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (x != b[i]) return false;  // b is lowercase
  }
  return true;
}

std::string_view trim_ows(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

// The next line of the head without its CRLF; an LF without CR before it
// is refused, and so is a head that ends without an LF.
Error take_line(const char*& p, const char* end, std::string_view& line) {
  const auto* lf =
      static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
  if (lf == nullptr) return Error::kBadRequestLine;  // not a head find_head_end() delimited
  if (lf == p || lf[-1] != '\r') return Error::kBareLf;
  line = std::string_view(p, static_cast<std::size_t>(lf - 1 - p));
  p = lf + 1;
  return Error::kNone;
}

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool is_reg_name_char(char c) { return has(c, kRegName); }

bool is_valid_port(std::string_view port) {
  if (port.empty() || port.size() > 5) return false;
  unsigned value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value <= 65535;
}

bool is_ip_literal(std::string_view inner) {
  if (inner.empty()) return false;
  if (inner.front() == 'v' || inner.front() == 'V') {  // IPvFuture: "v" 1*HEXDIG "." 1*(...)
    const auto dot = inner.find('.');
    if (dot == std::string_view::npos || dot < 2 || dot + 1 == inner.size()) return false;
    for (std::size_t i = 1; i < dot; ++i) {
      if (!is_hex(inner[i])) return false;
    }
    for (std::size_t i = dot + 1; i < inner.size(); ++i) {
      if (!is_reg_name_char(inner[i]) && inner[i] != ':') return false;
    }
    return true;
  }
  // IPv6address, checked by the C library on a copy on the stack (zone
  // identifiers, RFC 6874, are not accepted).
  char text[INET6_ADDRSTRLEN + 1];
  if (inner.size() >= sizeof text) return false;
  std::memcpy(text, inner.data(), inner.size());
  text[inner.size()] = '\0';
  in6_addr address;
  return ::inet_pton(AF_INET6, text, &address) == 1;
}

}  // namespace

std::string_view framing_reason(FramingError error) {
  switch (error) {
    case Error::kNone:
      return "";
    case Error::kBareLf:
      return "bare_lf";
    case Error::kBareCr:
      return "bare_cr";
    case Error::kControlCharacter:
      return "control_character";
    case Error::kObsFold:
      return "obs_fold";
    case Error::kBadRequestLine:
      return "bad_request_line";
    case Error::kBadVersion:
      return "bad_version";
    case Error::kNonAsciiTarget:
      return "non_ascii_target";
    case Error::kBadFieldName:
      return "bad_field_name";
    case Error::kSpaceBeforeColon:
      return "space_before_colon";
    case Error::kBadTransferEncoding:
      return "bad_transfer_encoding";
    case Error::kTransferEncodingHttp10:
      return "transfer_encoding_http10";
    case Error::kTeWithContentLength:
      return "te_with_content_length";
    case Error::kBadContentLength:
      return "bad_content_length";
    case Error::kDuplicateContentLength:
      return "duplicate_content_length";
    case Error::kMissingHost:
      return "missing_host";
    case Error::kDuplicateHost:
      return "duplicate_host";
    case Error::kBadHost:
      return "bad_host";
    case Error::kChunkLineTooLong:
      return "chunk_line_too_long";
  }
  return "bad_framing";
}

std::string_view framing_description(FramingError error) {
  switch (error) {
    case Error::kNone:
      return "";
    case Error::kBareLf:
      return "a line of the request head ends in LF without CR";
    case Error::kBareCr:
      return "the request head holds a CR not followed by LF";
    case Error::kControlCharacter:
      return "the request head holds a control character";
    case Error::kObsFold:
      return "obsolete line folding (a field line starting with whitespace)";
    case Error::kBadRequestLine:
      return "the request line is not \"method target version\"";
    case Error::kBadVersion:
      return "the HTTP version is not HTTP/1.0 or HTTP/1.1";
    case Error::kNonAsciiTarget:
      return "the request target holds a byte outside US-ASCII";
    case Error::kBadFieldName:
      return "a header field name is malformed";
    case Error::kSpaceBeforeColon:
      return "whitespace between a header field name and its colon";
    case Error::kBadTransferEncoding:
      return "Transfer-Encoding other than a single \"chunked\"";
    case Error::kTransferEncodingHttp10:
      return "Transfer-Encoding on an HTTP/1.0 request";
    case Error::kTeWithContentLength:
      return "both Transfer-Encoding and Content-Length";
    case Error::kBadContentLength:
      return "Content-Length is not a decimal number";
    case Error::kDuplicateContentLength:
      return "more than one Content-Length";
    case Error::kMissingHost:
      return "an HTTP/1.1 request without Host";
    case Error::kDuplicateHost:
      return "more than one Host";
    case Error::kBadHost:
      return "Host is not host[:port]";
    case Error::kChunkLineTooLong:
      return "a chunk-size line of the request body is too long";
  }
  return "malformed request framing";
}

std::size_t find_head_end(std::string_view bytes, std::size_t from) {
  const char* const begin = bytes.data();
  const char* const end = begin + bytes.size();
  const char* p = begin + std::min(from, bytes.size());
  while (p < end) {
    const auto* lf =
        static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    if (lf == nullptr || lf + 1 >= end) return std::string_view::npos;
    if (lf[1] == '\n') return static_cast<std::size_t>(lf + 2 - begin);
    if (lf[1] == '\r') {
      if (lf + 2 >= end) return std::string_view::npos;
      if (lf[2] == '\n') return static_cast<std::size_t>(lf + 3 - begin);
    }
    p = lf + 1;
  }
  return std::string_view::npos;
}

bool is_valid_host(std::string_view value) {
  if (value.empty()) return false;
  std::string_view rest;
  if (value.front() == '[') {
    const auto close = value.find(']');
    if (close == std::string_view::npos || !is_ip_literal(value.substr(1, close - 1))) {
      return false;
    }
    rest = value.substr(close + 1);
  } else {
    std::size_t i = 0;
    while (i < value.size() && value[i] != ':') {
      if (value[i] == '%') {
        if (i + 2 >= value.size() || !is_hex(value[i + 1]) || !is_hex(value[i + 2])) return false;
        i += 3;
      } else if (is_reg_name_char(value[i])) {
        ++i;
      } else {
        return false;
      }
    }
    if (i == 0) return false;  // ":80"
    rest = value.substr(i);
  }
  if (rest.empty()) return true;
  return rest.front() == ':' && is_valid_port(rest.substr(1));
}

namespace {

// request-line = method SP request-target SP HTTP-version (without CRLF).
HeadCheck check_request_line(std::string_view line, bool& http10) {
  HeadCheck out;
  auto refuse = [&out](Error e) {
    out.error = e;
    return out;
  };
  const auto sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) {
    for (char c : line) {
      if (auto e = offending(c); e != Error::kNone) return refuse(e);
    }
    return refuse(Error::kBadRequestLine);
  }
  out.method = line.substr(0, sp1);
  const auto sp2 = line.find(' ', sp1 + 1);
  out.target = line.substr(sp1 + 1, sp2 == std::string_view::npos ? line.npos : sp2 - sp1 - 1);
  for (char c : out.method) {
    if (has(c, kTchar)) continue;
    if (auto e = offending(c); e != Error::kNone) return refuse(e);
    return refuse(Error::kBadRequestLine);
  }
  if (!is_plain_target(out.target)) {  // the common case needs no lookup per byte
    for (char c : out.target) {
      if (has(c, kTargetByte)) continue;
      if (static_cast<unsigned char>(c) >= 0x80) return refuse(Error::kNonAsciiTarget);
      if (auto e = offending(c); e != Error::kNone) return refuse(e);
      return refuse(Error::kBadRequestLine);
    }
  }
  if (out.method.empty() || out.target.empty() || sp2 == std::string_view::npos) {
    return refuse(Error::kBadRequestLine);
  }
  const std::string_view version = line.substr(sp2 + 1);
  http10 = version == "HTTP/1.0";
  if (!http10 && version != "HTTP/1.1") {
    for (char c : version) {
      if (auto e = offending(c); e != Error::kNone) return refuse(e);
    }
    return refuse(Error::kBadVersion);
  }
  return out;
}

}  // namespace

FramingError check_head_prefix(std::string_view bytes) {
  const auto lf = bytes.find('\n');
  if (lf != std::string_view::npos) {
    if (lf == 0 || bytes[lf - 1] != '\r') return Error::kBareLf;
    bool http10 = false;
    return check_request_line(bytes.substr(0, lf - 1), http10).error;
  }
  for (char c : bytes) {  // the method, as far as it has arrived
    if (c == ' ') break;
    if (has(c, kTchar)) continue;
    if (auto e = offending(c); e != Error::kNone) return e;
    return Error::kBadRequestLine;
  }
  return Error::kNone;
}

HeadCheck check_request_head(std::string_view head) {
  const char* p = head.data();
  const char* const end = p + head.size();
  std::string_view line;
  HeadCheck out;
  auto refuse = [&out](Error e) {
    out.error = e;
    return out;
  };
  if (auto e = take_line(p, end, line); e != Error::kNone) return refuse(e);
  bool http10 = false;
  out = check_request_line(line, http10);
  if (!out.ok()) return out;

  // field-line = field-name ":" OWS field-value OWS
  int transfer_encodings = 0;
  int content_lengths = 0;
  int hosts = 0;
  std::string_view transfer_encoding;
  std::string_view content_length;
  std::string_view host;
  for (;;) {
    if (auto e = take_line(p, end, line); e != Error::kNone) return refuse(e);
    if (line.empty()) break;  // the end of the head
    if (line.front() == ' ' || line.front() == '\t') return refuse(Error::kObsFold);
    std::size_t colon = 0;
    while (colon < line.size() && has(line[colon], kTchar)) ++colon;
    if (colon == line.size()) return refuse(Error::kBadFieldName);
    if (line[colon] != ':') {
      if (auto e = offending(line[colon]); e != Error::kNone && line[colon] != '\t') {
        return refuse(e);
      }
      if (line[colon] == ' ' || line[colon] == '\t') {
        std::size_t after = colon;
        while (after < line.size() && (line[after] == ' ' || line[after] == '\t')) ++after;
        if (colon > 0 && after < line.size() && line[after] == ':') {
          return refuse(Error::kSpaceBeforeColon);
        }
      }
      return refuse(Error::kBadFieldName);
    }
    if (colon == 0) return refuse(Error::kBadFieldName);
    const std::string_view name = line.substr(0, colon);
    const std::string_view raw_value = line.substr(colon + 1);
    if (!is_plain_value(raw_value)) {  // HTAB, or a byte to refuse
      for (char c : raw_value) {
        if (!has(c, kFieldValue)) return refuse(offending(c));
      }
    }
    const std::string_view value = trim_ows(raw_value);
    switch (name.size()) {
      case 4:
        if (iequals(name, "host")) {
          ++hosts;
          host = value;
        }
        break;
      case 14:
        if (iequals(name, "content-length")) {
          ++content_lengths;
          content_length = value;
        }
        break;
      case 17:
        if (iequals(name, "transfer-encoding")) {
          ++transfer_encodings;
          transfer_encoding = value;
        }
        break;
      default:
        break;
    }
  }

  // RFC 9112 §6.1, §6.3: the only coding we decode is chunked, alone, in one field.
  if (transfer_encodings > 0) {
    if (transfer_encodings > 1 || !iequals(transfer_encoding, "chunked")) {
      return refuse(Error::kBadTransferEncoding);
    }
    if (content_lengths > 0) return refuse(Error::kTeWithContentLength);
    if (http10) return refuse(Error::kTransferEncodingHttp10);
  }
  // RFC 9110 §8.6, RFC 9112 §6.3: one Content-Length, 1*DIGIT.
  if (content_lengths > 1 || content_length.find(',') != std::string_view::npos) {
    return refuse(Error::kDuplicateContentLength);
  }
  if (content_lengths == 1) {
    if (content_length.empty()) return refuse(Error::kBadContentLength);
    std::uint64_t length = 0;
    for (char c : content_length) {
      if (c < '0' || c > '9') return refuse(Error::kBadContentLength);
      const auto digit = static_cast<std::uint64_t>(c - '0');
      if (length > (UINT64_MAX - digit) / 10) return refuse(Error::kBadContentLength);
      length = length * 10 + digit;
    }
  }
  // RFC 9112 §3.2: exactly one Host on HTTP/1.1; an empty one only when the
  // target carries no authority (origin-form or "*").
  if (hosts > 1) return refuse(Error::kDuplicateHost);
  if (hosts == 0) {
    if (!http10) return refuse(Error::kMissingHost);
  } else if (host.empty()) {
    if (out.target.front() != '/' && out.target != "*") return refuse(Error::kBadHost);
  } else if (!is_valid_host(host)) {
    return refuse(Error::kBadHost);
  }
  return out;
}

}  // namespace latchkey::http
