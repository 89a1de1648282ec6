// Request framing over a real socket (docs/security/framing.md, issue 13):
// a table of raw requests with smuggling forms, broken Content-Length,
// obs-fold, bare LF, control bytes, oversized chunk lines, bad Host and
// non-ASCII targets. Each is answered 400 with its reason and
// "Connection: close", the server closes the connection, and no handler
// runs (nothing that follows the refused head is read as a request). A few
// valid forms are answered 200.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "http/message.h"
#include "http/router.h"
#include "http/server.h"
#include "raw_connection.h"
#include "support/counter_random.h"

namespace latchkey::http {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;

// A request that a smuggling client hides in a body the server must not
// read as a request.
std::string fmt_hex(std::size_t n) {
  char text[32];
  std::snprintf(text, sizeof text, "%zx", n);
  return text;
}

const std::string kSmuggled = "GET /count HTTP/1.1\r\nHost: a\r\n\r\n";

struct Vector {
  std::string name;
  std::string bytes;
  std::string reason;
};

std::vector<Vector> refused_vectors() {
  const std::string post = "POST /count HTTP/1.1\r\nHost: a\r\n";
  const std::string te = post + "Transfer-Encoding: ";
  const std::string chunked_head = post + "Transfer-Encoding: chunked\r\n\r\n";
  const std::string smuggling_body = "0\r\n\r\n" + kSmuggled;
  return {
      // Transfer-Encoding (RFC 9112 §6.1, §6.3).
      {"te_xchunked", te + "xchunked\r\n\r\n" + smuggling_body, "bad_transfer_encoding"},
      {"te_identity", te + "identity\r\n\r\n" + smuggling_body, "bad_transfer_encoding"},
      {"te_chunked_identity", te + "chunked, identity\r\n\r\n" + smuggling_body,
       "bad_transfer_encoding"},
      {"te_chunked_chunked", te + "chunked, chunked\r\n\r\n" + smuggling_body,
       "bad_transfer_encoding"},
      {"te_gzip_chunked", te + "gzip, chunked\r\n\r\n" + smuggling_body, "bad_transfer_encoding"},
      {"te_two_fields", te + "chunked\r\nTransfer-Encoding: chunked\r\n\r\n" + smuggling_body,
       "bad_transfer_encoding"},
      {"te_identity_then_chunked",
       te + "identity\r\nTransfer-Encoding: chunked\r\n\r\n" + smuggling_body,
       "bad_transfer_encoding"},
      {"te_empty", te + "\r\n\r\n" + smuggling_body, "bad_transfer_encoding"},
      {"te_http10", "POST /count HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n" + smuggling_body,
       "transfer_encoding_http10"},
      {"te_then_cl", te + "chunked\r\nContent-Length: 5\r\n\r\n" + smuggling_body,
       "te_with_content_length"},
      {"cl_then_te",
       post + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n" + smuggling_body,
       "te_with_content_length"},
      {"te_identity_with_cl", te + "identity\r\nContent-Length: 5\r\n\r\nhello" + kSmuggled,
       "bad_transfer_encoding"},
      // Content-Length (RFC 9110 §8.6, RFC 9112 §6.3).
      {"cl_twice_equal", post + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
       "duplicate_content_length"},
      {"cl_twice_different", post + "Content-Length: 0\r\nContent-Length: 5\r\n\r\nhello",
       "duplicate_content_length"},
      {"cl_list", post + "Content-Length: 5, 5\r\n\r\nhello", "duplicate_content_length"},
      {"cl_negative", post + "Content-Length: -1\r\n\r\n", "bad_content_length"},
      {"cl_plus", post + "Content-Length: +5\r\n\r\nhello", "bad_content_length"},
      {"cl_junk", post + "Content-Length: 5a\r\n\r\nhello", "bad_content_length"},
      {"cl_hex", post + "Content-Length: 0x5\r\n\r\nhello", "bad_content_length"},
      {"cl_empty", post + "Content-Length: \r\n\r\n", "bad_content_length"},
      {"cl_overflow", post + "Content-Length: 18446744073709551621\r\n\r\nhello",
       "bad_content_length"},
      // Field and line syntax (RFC 9112 §2.2, §5).
      {"obs_fold", post + "X-A: b\r\n c\r\nContent-Length: 0\r\n\r\n", "obs_fold"},
      {"obs_fold_te", post + "Transfer-Encoding:\r\n chunked\r\n\r\n" + smuggling_body, "obs_fold"},
      {"space_before_first_field", "GET /count HTTP/1.1\r\n Host: a\r\n\r\n", "obs_fold"},
      {"space_before_colon", post + "Content-Length : 5\r\n\r\nhello", "space_before_colon"},
      {"bare_lf_request_line", "GET /count HTTP/1.1\nHost: a\r\n\r\n", "bare_lf"},
      {"bare_lf_everywhere", "GET /count HTTP/1.1\nHost: a\n\n", "bare_lf"},
      {"bare_lf_field", "GET /count HTTP/1.1\r\nHost: a\nX-A: b\r\n\r\n", "bare_lf"},
      {"bare_cr", "GET /count HTTP/1.1\r\nHost: a\rX-A: b\r\n\r\n", "bare_cr"},
      {"nul_in_value", "GET /count HTTP/1.1\r\nHost: a\r\nX-A: b\0c\r\n\r\n"s, "control_character"},
      {"ctl_in_value", "GET /count HTTP/1.1\r\nHost: a\r\nX-A: b\x01\r\n\r\n", "control_character"},
      {"del_in_value", "GET /count HTTP/1.1\r\nHost: a\r\nX-A: b\x7f\r\n\r\n", "control_character"},
      {"esc_in_name", "GET /count HTTP/1.1\r\nHost: a\r\nX\x1b: b\r\n\r\n", "control_character"},
      {"nul_in_method", "GET\0 /count HTTP/1.1\r\nHost: a\r\n\r\n"s, "control_character"},
      // Refused before the head is complete: no waiting for bytes that are not HTTP.
      {"tls_hello_on_plain_port", "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03"s,
       "control_character"},
      {"bare_lf_incomplete_head", "GET /count HTTP/1.1\nHost: a", "bare_lf"},
      {"bad_version", "GET /count HTTP/1.2\r\nHost: a\r\n\r\n", "bad_version"},
      {"double_space", "GET  /count HTTP/1.1\r\nHost: a\r\n\r\n", "bad_request_line"},
      // Request target: raw bytes above 0x7F, control bytes (RFC 9112 §3.2, RFC 3986).
      {"overlong_utf8_dots", "GET /files/\xc0\xae\xc0\xae HTTP/1.1\r\nHost: a\r\n\r\n",
       "non_ascii_target"},
      {"utf8_target", "GET /files/caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", "non_ascii_target"},
      {"high_byte_target", "GET /files/\xff HTTP/1.1\r\nHost: a\r\n\r\n", "non_ascii_target"},
      {"del_in_target", "GET /files/a\x7f HTTP/1.1\r\nHost: a\r\n\r\n", "control_character"},
      // Host (RFC 9112 §3.2).
      {"missing_host", "GET /count HTTP/1.1\r\n\r\n", "missing_host"},
      {"duplicate_host", "GET /count HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "duplicate_host"},
      {"duplicate_host_same", "GET /count HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",
       "duplicate_host"},
      {"host_space", "GET /count HTTP/1.1\r\nHost: a b\r\n\r\n", "bad_host"},
      {"host_slash", "GET /count HTTP/1.1\r\nHost: a/b\r\n\r\n", "bad_host"},
      {"host_userinfo", "GET /count HTTP/1.1\r\nHost: user@a\r\n\r\n", "bad_host"},
      {"host_bad_port", "GET /count HTTP/1.1\r\nHost: a:99999\r\n\r\n", "bad_host"},
      {"host_port_letters", "GET /count HTTP/1.1\r\nHost: a:80x\r\n\r\n", "bad_host"},
      {"host_unclosed_ipv6", "GET /count HTTP/1.1\r\nHost: [::1\r\n\r\n", "bad_host"},
      {"host_ctl", "GET /count HTTP/1.1\r\nHost: a\x01\r\n\r\n", "control_character"},
      {"host_empty_absolute_form", "GET http://a/count HTTP/1.1\r\nHost:\r\n\r\n", "bad_host"},
      {"host_http10_invalid", "GET /count HTTP/1.0\r\nHost: a b\r\n\r\n", "bad_host"},
      // Chunked bodies: chunk-size lines over kMaxChunkLineBytes.
      {"chunk_extension_too_long",
       chunked_head + "1;" + std::string(5000, 'a') + "\r\nx\r\n0\r\n\r\n", "chunk_line_too_long"},
      {"chunk_line_unterminated", chunked_head + "1;" + std::string(20000, 'a'),
       "chunk_line_too_long"},
      {"chunk_size_zeros", chunked_head + std::string(9000, '0') + "1\r\nx\r\n0\r\n\r\n",
       "chunk_line_too_long"},
  };
}

class FramingServerTest : public ::testing::Test {
 protected:
  FramingServerTest() {
    auto count = [this](const Request& r, const PathParams&) {
      dispatched_.fetch_add(1);
      nlohmann::json body{{"body", r.body},
                          {"trailer_seen", r.headers.find("X-Trailer").has_value()}};
      return Response::json(200, body.dump());
    };
    router_.add("GET", "/count", Dispatch::kInline, count);
    router_.add("POST", "/count", Dispatch::kInline, count);
    router_.add("GET", "/files/{name}", Dispatch::kInline, count);
    ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.io_threads = 1;
    options.blocking_threads = 1;
    options.read_timeout = 3s;
    options.idle_timeout = 3s;
    options.access_log = false;
    auto started = Server::start(options, router_, random_);
    EXPECT_TRUE(started.has_value());
    if (!started) return;
    server_ = std::move(*started);
    thread_ = std::thread([this] { server_->run(); });
  }

  ~FramingServerTest() override {
    if (!server_) return;
    server_->stop();
    thread_.join();
  }

  std::uint16_t port() const { return server_->port(); }

  testing::CounterRandom random_;
  Router router_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::atomic<int> dispatched_{0};
};

// Test that every vector of the table is answered 400 with its reason and
// Connection: close, that the server then closes the connection without a
// second answer, and that no handler ever runs.
TEST_F(FramingServerTest, EveryRefusedVectorIs400AndClosed) {
  const auto vectors = refused_vectors();
  ASSERT_GE(vectors.size(), 30u);
  for (const auto& v : vectors) {
    SCOPED_TRACE(v.name);
    RawConnection c(port());
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.send(v.bytes));
    const auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    EXPECT_EQ(r->header("Connection"), "close");
    const auto body = r->json();
    EXPECT_EQ(body.value("error", ""), "invalid_request");
    EXPECT_EQ(body.value("reason", ""), v.reason);
    EXPECT_TRUE(body.value("error_description", "").starts_with("malformed HTTP request: "));
    const auto rest = c.read_until_closed();
    ASSERT_TRUE(rest) << "the server did not close the connection";
    EXPECT_EQ(*rest, "") << "a second answer followed the refusal";
    EXPECT_EQ(dispatched_.load(), 0);
  }
}

// Test that the head may arrive a byte at a time and is still checked
// before anything is dispatched.
TEST_F(FramingServerTest, HeadArrivingInPiecesIsChecked) {
  RawConnection c(port());
  const std::string smuggle =
      "POST /count HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n" +
      kSmuggled;
  for (char byte : smuggle) ASSERT_TRUE(c.send(std::string_view(&byte, 1)));
  const auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->json().value("reason", ""), "bad_transfer_encoding");
  EXPECT_EQ(c.read_until_closed(), "");
  EXPECT_EQ(dispatched_.load(), 0);
}

// Test that a refusal after a valid request on the same connection still
// answers the valid one and then refuses and closes.
TEST_F(FramingServerTest, PipelinedSmugglingAfterAValidRequest) {
  RawConnection c(port());
  ASSERT_TRUE(
      c.send("GET /count HTTP/1.1\r\nHost: a\r\n\r\n"
             "POST /count HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n"
             "0\r\n\r\n" +
             kSmuggled));
  const auto first = c.read_response();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  const auto second = c.read_response();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 400);
  EXPECT_EQ(second->json().value("reason", ""), "bad_transfer_encoding");
  EXPECT_EQ(c.read_until_closed(), "");
  EXPECT_EQ(dispatched_.load(), 1);
}

// Test the valid forms around the rules: a chunked body (with an extension
// and a trailer, which is not taken for a header), Host with a port, IPv6
// literals, an empty Host, HTTP/1.0 without Host; each answered 200 on a
// connection that stays open.
TEST_F(FramingServerTest, ValidFramingIsServed) {
  struct Valid {
    std::string name;
    std::string bytes;
    std::string body;
  };
  const std::vector<Valid> valid = {
      {"chunked",
       "POST /count HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
       "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
       "hello world"},
      {"chunked_upper",
       "POST /count HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n"
       "3\r\nabc\r\n0\r\n\r\n",
       "abc"},
      {"content_length", "POST /count HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
       "hello"},
      {"host_port", "GET /count HTTP/1.1\r\nHost: example.com:8443\r\n\r\n", ""},
      {"host_ipv6", "GET /count HTTP/1.1\r\nHost: [::1]\r\n\r\n", ""},
      {"host_ipv6_port", "GET /count HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\n\r\n", ""},
      {"host_ipv4", "GET /count HTTP/1.1\r\nHost: 127.0.0.1:80\r\n\r\n", ""},
      {"host_empty", "GET /count HTTP/1.1\r\nHost:\r\n\r\n", ""},
      {"http10_no_host", "GET /count HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", ""},
      {"obs_text_value", "GET /count HTTP/1.1\r\nHost: a\r\nX-Name: caf\xc3\xa9\r\n\r\n", ""},
      {"percent_encoded_target", "GET /files/%C0%AE HTTP/1.1\r\nHost: a\r\n\r\n", ""},
  };
  int expected = 0;
  for (const auto& v : valid) {
    SCOPED_TRACE(v.name);
    RawConnection c(port());
    ASSERT_TRUE(c.send(v.bytes));
    const auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->json().value("body", "?"), v.body);
    EXPECT_FALSE(r->json().value("trailer_seen", true));
    EXPECT_EQ(dispatched_.load(), ++expected);
    // Still open: a second request on the connection is served.
    ASSERT_TRUE(c.send("GET /count HTTP/1.1\r\nHost: a\r\n\r\n"));
    const auto again = c.read_response();
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 200);
    EXPECT_EQ(dispatched_.load(), ++expected);
  }
}

// Test that a chunked body is still read in full after the bound on the
// buffer while chunk lines are read, and the next request on the
// connection is served normally.
TEST_F(FramingServerTest, LargeChunkedBodyThenNextRequest) {
  RawConnection c(port());
  const std::string piece(30000, 'x');
  ASSERT_TRUE(c.send("POST /count HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" +
                     fmt_hex(piece.size()) + "\r\n" + piece + "\r\n" + fmt_hex(piece.size()) +
                     "\r\n" + piece + "\r\n0\r\n\r\nGET /count HTTP/1.1\r\nHost: a\r\n\r\n"));
  const auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->json().value("body", "").size(), 2 * piece.size());
  const auto next = c.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(dispatched_.load(), 2);
}

}  // namespace
}  // namespace latchkey::http
