// The framing checks on raw request heads (http/framing.h): each rule with
// the head that breaks it, and the heads that must pass.
#include "http/framing.h"

#include <gtest/gtest.h>

#include <string>

namespace latchkey::http {
namespace {

using namespace std::string_literals;

// The reason for a head given without its final empty line.
std::string reason_of(const std::string& head_lines) {
  return std::string(framing_reason(check_request_head(head_lines + "\r\n").error));
}

TEST(FramingTest, ValidHeadsPass) {
  for (const std::string& head : {
           "GET / HTTP/1.1\r\nHost: a\r\n"s,
           "GET /x?y=1&z=%41 HTTP/1.1\r\nHost: example.com:8080\r\nAccept: */*\r\n"s,
           "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n"s,
           "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 00012\r\n"s,
           "POST /p HTTP/1.1\r\nhost: a\r\ncontent-length:  5 \t\r\n"s,
           "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"s,
           "POST /p HTTP/1.1\r\nHost: a\r\ntransfer-encoding:\tCHUNKED\t\r\n"s,
           "GET / HTTP/1.1\r\nHost: [::1]:443\r\n"s,
           "GET / HTTP/1.1\r\nHost: [2001:db8::7]\r\n"s,
           "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"s,
           "GET / HTTP/1.1\r\nHost: xn--bcher-kva.example\r\n"s,
           "GET / HTTP/1.1\r\nHost: \r\n"s,  // empty: origin-form has no authority
           "OPTIONS * HTTP/1.1\r\nHost:\r\n"s,
           "GET / HTTP/1.0\r\n"s,  // HTTP/1.0 needs no Host
           "GET / HTTP/1.1\r\nHost: a\r\nX-Tab: a\tb\r\nX-Obs-Text: caf\xc3\xa9\r\n"s,
           "GET http://a/b HTTP/1.1\r\nHost: a\r\n"s,
       }) {
    SCOPED_TRACE(head);
    const HeadCheck check = check_request_head(head + "\r\n");
    EXPECT_TRUE(check.ok()) << framing_reason(check.error);
  }
}

TEST(FramingTest, MethodAndTargetAreReported) {
  const HeadCheck check = check_request_head("POST /a?b HTTP/1.1\r\n\r\n");
  EXPECT_EQ(check.error, FramingError::kMissingHost);
  EXPECT_EQ(check.method, "POST");
  EXPECT_EQ(check.target, "/a?b");
}

TEST(FramingTest, TransferEncodingMustBeOneChunked) {
  const std::string base = "POST / HTTP/1.1\r\nHost: a\r\n";
  for (const char* te : {"xchunked", "identity", "chunked, identity", "chunked, chunked",
                         "gzip, chunked", "chunked;q=1", "\"chunked\"", "chunke", ""}) {
    SCOPED_TRACE(te);
    EXPECT_EQ(reason_of(base + "Transfer-Encoding: " + te + "\r\n"), "bad_transfer_encoding");
  }
  EXPECT_EQ(reason_of(base + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"),
            "bad_transfer_encoding");
  EXPECT_EQ(reason_of(base + "Transfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n"),
            "bad_transfer_encoding");
  EXPECT_EQ(reason_of(base + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"),
            "te_with_content_length");
  EXPECT_EQ(reason_of(base + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"),
            "te_with_content_length");
  EXPECT_EQ(reason_of("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n"),
            "transfer_encoding_http10");
}

TEST(FramingTest, ContentLengthMustBeOneNumber) {
  const std::string base = "POST / HTTP/1.1\r\nHost: a\r\n";
  for (const char* cl : {"", "-1", "+5", "5a", "0x10", "1 2", "5.0", "١", "18446744073709551616",
                         "99999999999999999999999"}) {
    SCOPED_TRACE(cl);
    EXPECT_EQ(reason_of(base + "Content-Length: " + cl + "\r\n"), "bad_content_length");
  }
  EXPECT_TRUE(check_request_head(base + "Content-Length: 18446744073709551615\r\n\r\n").ok());
  EXPECT_EQ(reason_of(base + "Content-Length: 5\r\nContent-Length: 5\r\n"),
            "duplicate_content_length");
  EXPECT_EQ(reason_of(base + "Content-Length: 5, 5\r\n"), "duplicate_content_length");
  EXPECT_EQ(reason_of(base + "Content-Length: 5,6\r\n"), "duplicate_content_length");
}

TEST(FramingTest, LineEndingsAndControlBytes) {
  EXPECT_EQ(reason_of("GET / HTTP/1.1\nHost: a\r\n"), "bare_lf");
  EXPECT_EQ(reason_of("GET / HTTP/1.1\r\nHost: a\n"), "bare_lf");
  EXPECT_EQ(framing_reason(check_request_head("GET / HTTP/1.1\nHost: a\n\n").error), "bare_lf");
  EXPECT_EQ(framing_reason(check_request_head("GET / HTTP/1.1\r\nHost: a\r\n\n").error), "bare_lf");
  EXPECT_EQ(reason_of("GET / HTTP/1.1\r\nHost: a\rX-B: c\r\n"), "bare_cr");
  EXPECT_EQ(reason_of("GET / HTTP/1.1\r\r\nHost: a\r\n"), "bare_cr");
  EXPECT_EQ(reason_of("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\0c\r\n"s), "control_character");
  EXPECT_EQ(reason_of("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x01\r\n"), "control_character");
  EXPECT_EQ(reason_of("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x7f\r\n"), "control_character");
  EXPECT_EQ(reason_of("GET / HTTP/1.1\r\nHost: a\r\nX\x1b-A: b\r\n"), "control_character");
  EXPECT_EQ(reason_of("GET /a\x01 HTTP/1.1\r\nHost: a\r\n"), "control_character");
  EXPECT_EQ(reason_of("GET /a\tb HTTP/1.1\r\nHost: a\r\n"), "control_character");
  EXPECT_EQ(reason_of("GET\0/ HTTP/1.1\r\nHost: a\r\n"s), "control_character");
}

TEST(FramingTest, FieldLineShape) {
  EXPECT_EQ(reason_of("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n"), "obs_fold");
  EXPECT_EQ(reason_of("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\tc\r\n"), "obs_fold");
  EXPECT_EQ(reason_of("GET / HTTP/1.1\r\n Host: a\r\n"), "obs_fold");
  EXPECT_EQ(reason_of("GET / HTTP/1.1\r\nHost : a\r\n"), "space_before_colon");
  EXPECT_EQ(reason_of("GET / HTTP/1.1\r\nHost\t: a\r\n"), "space_before_colon");
  EXPECT_EQ(reason_of("GET / HTTP/1.1\r\nHost: a\r\nNo colon\r\n"), "bad_field_name");
  EXPECT_EQ(reason_of("GET / HTTP/1.1\r\nHost: a\r\nNocolon\r\n"), "bad_field_name");
  EXPECT_EQ(reason_of("GET / HTTP/1.1\r\nHost: a\r\n: empty\r\n"), "bad_field_name");
  EXPECT_EQ(reason_of("GET / HTTP/1.1\r\nHost: a\r\nX(A): b\r\n"), "bad_field_name");
  EXPECT_EQ(reason_of("GET / HTTP/1.1\r\nHost: a\r\nX-\xc3\xa9: b\r\n"), "bad_field_name");
}

TEST(FramingTest, RequestLine) {
  EXPECT_EQ(reason_of("GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n"), "non_ascii_target");
  EXPECT_EQ(reason_of("GET /a/\xc0\xae\xc0\xae/etc HTTP/1.1\r\nHost: a\r\n"), "non_ascii_target");
  EXPECT_EQ(reason_of("GET /\x80 HTTP/1.1\r\nHost: a\r\n"), "non_ascii_target");
  EXPECT_EQ(reason_of("GET  / HTTP/1.1\r\nHost: a\r\n"), "bad_request_line");
  EXPECT_EQ(reason_of("GET /\r\nHost: a\r\n"), "bad_request_line");
  EXPECT_EQ(reason_of("GET\r\nHost: a\r\n"), "bad_request_line");
  EXPECT_EQ(reason_of("G(T / HTTP/1.1\r\nHost: a\r\n"), "bad_request_line");
  EXPECT_EQ(reason_of("\r\nGET / HTTP/1.1\r\nHost: a\r\n"), "bad_request_line");
  EXPECT_EQ(reason_of("GET / HTTP/1.1 \r\nHost: a\r\n"), "bad_version");
  EXPECT_EQ(reason_of("GET / HTTP/1.2\r\nHost: a\r\n"), "bad_version");
  EXPECT_EQ(reason_of("GET / HTTP/2.0\r\nHost: a\r\n"), "bad_version");
  EXPECT_EQ(reason_of("GET / http/1.1\r\nHost: a\r\n"), "bad_version");
  EXPECT_EQ(reason_of("GET / x HTTP/1.1\r\nHost: a\r\n"), "bad_version");
}

TEST(FramingTest, HostRules) {
  EXPECT_EQ(reason_of("GET / HTTP/1.1\r\n"), "missing_host");
  EXPECT_EQ(reason_of("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n"), "duplicate_host");
  EXPECT_EQ(reason_of("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n"), "duplicate_host");
  EXPECT_EQ(reason_of("GET / HTTP/1.0\r\nHost: a b\r\n"), "bad_host");
  for (const std::string_view host :
       {"a b", "a/b",  "user@a", "a:",      "a:65536", "a:-1",         "a:8o", "a:123456",
        ":80", "[::1", "[::1]x", "[zz::1]", "[]",      "[::1%25eth0]", "a%2",  "a%zz",
        "a?b", "a#b",  "a\\b",   "a,b c",   "\"a\"",   "caf\xc3\xa9"}) {
    SCOPED_TRACE(host);
    EXPECT_FALSE(is_valid_host(host));
    EXPECT_EQ(reason_of("GET / HTTP/1.1\r\nHost: " + std::string(host) + "\r\n"), "bad_host");
  }
  for (const std::string_view host :
       {"a", "a:0", "a:65535", "A-b.c_d~e", "%41", "[::ffff:1.2.3.4]:1", "[v1.x:y]", "10.0.0.1:80",
        "sub.delims!$&'()*+,;="}) {
    SCOPED_TRACE(host);
    EXPECT_TRUE(is_valid_host(host));
  }
  // Empty Host only where the target has no authority of its own.
  EXPECT_EQ(reason_of("GET http://a/ HTTP/1.1\r\nHost:\r\n"), "bad_host");
  EXPECT_EQ(reason_of("CONNECT a:443 HTTP/1.1\r\nHost: \r\n"), "bad_host");
}

TEST(FramingTest, FindHeadEnd) {
  EXPECT_EQ(find_head_end("GET / HTTP/1.1\r\nHost: a\r\n\r\nbody"), 27u);
  EXPECT_EQ(find_head_end("GET / HTTP/1.1\r\nHost: a\r\n\r"), std::string::npos);
  EXPECT_EQ(find_head_end("GET / HTTP/1.1\r\nHost: a\r\n"), std::string::npos);
  EXPECT_EQ(find_head_end("GET / HTTP/1.1\nHost: a\n\nX"), 24u);
  EXPECT_EQ(find_head_end("GET / HTTP/1.1\nHost: a\n\r\nX"), 25u);
  EXPECT_EQ(find_head_end(""), std::string::npos);
  // Resuming: an LF at the end of what was scanned is looked at again.
  const std::string head = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  for (std::size_t from = 0; from + 2 <= head.size() - 2; ++from) {
    EXPECT_EQ(find_head_end(head, from), head.size()) << from;
  }
}

// Every byte value at every position of a long value and a long target
// (the checks go eight bytes at a time, then byte by byte).
TEST(FramingTest, EveryByteEverywhere) {
  for (int b = 0; b < 256; ++b) {
    const auto byte = static_cast<char>(b);
    const bool value_ok = b == '\t' || (b >= 0x20 && b != 0x7f);
    const bool target_ok = b >= 0x21 && b <= 0x7e;
    for (std::size_t at = 0; at < 21; ++at) {
      std::string value(21, 'v');
      value[at] = byte;
      if (b == '\r' || b == '\n') continue;  // line structure, covered above
      const HeadCheck v =
          check_request_head("GET / HTTP/1.1\r\nHost: a\r\nX-V: " + value + "\r\n\r\n");
      EXPECT_EQ(v.ok(), value_ok) << b << " at " << at;
      std::string target = "/" + std::string(20, 't');
      target[at] = byte;
      if (b == ' ') continue;  // ends the target
      const HeadCheck t = check_request_head("GET " + target + " HTTP/1.1\r\nHost: a\r\n\r\n");
      EXPECT_EQ(t.ok(), target_ok) << b << " at " << at;
      if (!target_ok && b >= 0x80) {
        EXPECT_EQ(t.error, FramingError::kNonAsciiTarget);
      }
    }
  }
}

TEST(FramingTest, HeadPrefix) {
  EXPECT_EQ(check_head_prefix(""), FramingError::kNone);
  EXPECT_EQ(check_head_prefix("GE"), FramingError::kNone);
  EXPECT_EQ(check_head_prefix("GET /a"), FramingError::kNone);
  EXPECT_EQ(check_head_prefix("GET / HTTP/1.1\r\nHost"), FramingError::kNone);
  EXPECT_EQ(check_head_prefix("\x16\x03\x01"), FramingError::kControlCharacter);
  EXPECT_EQ(check_head_prefix("G(T"), FramingError::kBadRequestLine);
  EXPECT_EQ(check_head_prefix("GET / HTTP/1.1\nHost"), FramingError::kBareLf);
  EXPECT_EQ(check_head_prefix("GET /\xc0 HTTP/1.1\r\n"), FramingError::kNonAsciiTarget);
  EXPECT_EQ(check_head_prefix("GET / HTTP/3\r\n"), FramingError::kBadVersion);
}

TEST(FramingTest, EveryReasonIsNamedAndDescribed) {
  for (int e = 1; e <= static_cast<int>(FramingError::kChunkLineTooLong); ++e) {
    const auto error = static_cast<FramingError>(e);
    EXPECT_FALSE(framing_reason(error).empty()) << e;
    EXPECT_FALSE(framing_description(error).empty()) << e;
    EXPECT_EQ(framing_reason(error).find_first_not_of("abcdefghijklmnopqrstuvwxyz_0123456789"),
              std::string_view::npos);
  }
  EXPECT_TRUE(framing_reason(FramingError::kNone).empty());
}

}  // namespace
}  // namespace latchkey::http
