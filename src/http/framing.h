// Request framing checks made before a request is dispatched (RFC 9112
// §2.2, §3, §3.2, §5, §6; docs/security/framing.md).
//
// Boost 1.74's Beast accepts framing that RFC 9112 requires a server to
// refuse: a Transfer-Encoding that does not end in "chunked" reads as "no
// body" (its body is then parsed as a second request: request smuggling),
// chunked on HTTP/1.0, Content-Length lists, obs-fold, raw bytes above 0x7F
// in the target. The session runs check_request_head() on the raw bytes of
// each request head before Beast parses it; a refusal is answered 400 with
// the reason and the connection is closed.
//
// Pure functions over the raw bytes: no allocation, no Beast.
#pragma once

#include <cstddef>
#include <string_view>

namespace latchkey::http {

enum class FramingError : unsigned char {
  kNone,
  kBareLf,                  // a line ends in LF without CR
  kBareCr,                  // a CR not followed by LF
  kControlCharacter,        // NUL or another control byte (HTAB is fine in field values)
  kObsFold,                 // a field line starting with SP or HTAB
  kBadRequestLine,          // not "method SP target SP version"
  kBadVersion,              // not HTTP/1.0 or HTTP/1.1
  kNonAsciiTarget,          // a raw byte above 0x7F in the request target
  kBadFieldName,            // an empty field name, a non-token byte in it, no colon
  kSpaceBeforeColon,        // whitespace between a field name and its colon
  kBadTransferEncoding,     // Transfer-Encoding other than one "chunked"
  kTransferEncodingHttp10,  // Transfer-Encoding on an HTTP/1.0 request
  kTeWithContentLength,     // Transfer-Encoding and Content-Length together
  kBadContentLength,        // not 1*DIGIT, or above 2^64 - 1
  kDuplicateContentLength,  // two Content-Length fields, or a list in one
  kMissingHost,             // HTTP/1.1 without Host
  kDuplicateHost,           // two Host fields
  kBadHost,                 // not uri-host [ ":" port ]
  kChunkLineTooLong,        // a chunk-size line (size and extensions) over the limit
};

// The machine-readable reason ("bare_lf", "bad_transfer_encoding", ...):
// stable, documented, sent as the error's "reason".
std::string_view framing_reason(FramingError error);
// A short sentence for "error_description".
std::string_view framing_description(FramingError error);

// The longest chunk-size line (chunk size, extensions, CRLF) accepted in a
// chunked request body.
inline constexpr std::size_t kMaxChunkLineBytes = 4096;

// Where the head (request line and field lines) in `bytes` ends: the offset
// just past the empty line, or npos when it has not all arrived. Besides
// CRLF CRLF, an LF followed by LF or by CRLF ends it too, so that a head with
// bare LFs is refused at once rather than waited for. `from`: an offset
// before which no LF ends the head (to resume after more bytes arrived).
std::size_t find_head_end(std::string_view bytes, std::size_t from = 0);

struct HeadCheck {
  FramingError error = FramingError::kNone;
  // Views into the head, for the log line of a refusal (may be empty).
  std::string_view method;
  std::string_view target;

  bool ok() const { return error == FramingError::kNone; }
};

// Checks one request head as find_head_end() delimits it: the request line,
// every field line, and the Transfer-Encoding, Content-Length and Host rules.
HeadCheck check_request_head(std::string_view head);

// For a head that has not all arrived: an error already visible in its
// request line (or in its method, while the line is incomplete), so that
// bytes that are not HTTP at all are refused without waiting for the rest.
FramingError check_head_prefix(std::string_view bytes);

// RFC 9112 §3.2 / RFC 3986 §3.2.2-3: uri-host [ ":" port ], port 0-65535;
// false for the empty value (the caller decides when empty is allowed).
bool is_valid_host(std::string_view value);

}  // namespace latchkey::http
