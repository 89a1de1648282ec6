#include "invalidation/message.h"

#include <charconv>
#include <unordered_set>

#include "core/encoding.h"

namespace latchkey::invalidation {
namespace {

constexpr std::string_view kHeader = "L1 ";
// 15 digits of milliseconds reach the year 33658: enough, and no overflow.
constexpr std::size_t kMaxNumberDigits = 15;

bool safe_byte(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '~' || c == ':' || c == '-';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_field(std::string& out, std::string_view field) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out += ' ';
  for (unsigned char c : field) {
    if (safe_byte(c)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
}

int arity(Kind kind) {
  switch (kind) {
    case Kind::kUserChanged:
    case Kind::kAccountTokensOfUser:
    case Kind::kAccountToken:
    case Kind::kApiKey:
      return 1;
    case Kind::kLoginSession:
      return 3;
    case Kind::kRevokedJwt:
      return 2;
    case Kind::kSigningKeys:
    case Kind::kPolicy:
    case Kind::kResync:
      return 0;
  }
  return -1;
}

std::optional<Kind> kind_of(std::string_view letter) {
  if (letter.size() != 1) return std::nullopt;
  switch (letter[0]) {
    case 'u':
      return Kind::kUserChanged;
    case 'a':
      return Kind::kAccountTokensOfUser;
    case 't':
      return Kind::kAccountToken;
    case 'k':
      return Kind::kApiKey;
    case 's':
      return Kind::kLoginSession;
    case 'j':
      return Kind::kRevokedJwt;
    case 'g':
      return Kind::kSigningKeys;
    case 'p':
      return Kind::kPolicy;
    case 'r':
      return Kind::kResync;
    default:
      return std::nullopt;
  }
}

Result<std::string> encode_line(const Message& m) {
  std::string line(1, static_cast<char>(m.kind));
  const auto field = [&](std::string_view value) -> Status {
    if (value.empty() || value.size() > kMaxFieldBytes) {
      return fail(Error::invalid_request("an invalidation field must be 1 to 256 bytes"));
    }
    append_field(line, value);
    return {};
  };
  const int n = arity(m.kind);
  if (n < 0) return fail(Error::invalid_request("unknown invalidation kind"));
  if (n >= 1) {
    if (auto s = field(m.subject); !s) return fail(s.error());
  }
  if (m.kind == Kind::kLoginSession) {
    if (auto s = field(m.session); !s) return fail(s.error());
  }
  if (m.kind == Kind::kLoginSession || m.kind == Kind::kRevokedJwt) {
    const std::int64_t ms = to_unix_millis(m.until);
    if (ms < 0) return fail(Error::invalid_request("an invalidation expiry is before 1970"));
    line += ' ';
    line += std::to_string(ms);
  }
  line += '\n';
  return line;
}

Error refused(std::string_view why) {
  return Error::invalid_request("invalidation payload refused: " + std::string(why));
}

// One percent-decoded field: 1..kMaxFieldBytes bytes, no control bytes.
Result<std::string> decode_field(std::string_view raw) {
  if (raw.empty()) return fail(refused("empty field"));
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(raw[i]);
    if (c == '%') {
      if (i + 2 >= raw.size()) return fail(refused("bad escape"));
      const int hi = hex_value(raw[i + 1]);
      const int lo = hex_value(raw[i + 2]);
      if (hi < 0 || lo < 0) return fail(refused("bad escape"));
      const unsigned char decoded = static_cast<unsigned char>(hi * 16 + lo);
      if (decoded < 0x20 || decoded == 0x7f) return fail(refused("control byte"));
      out += static_cast<char>(decoded);
      i += 2;
    } else if (safe_byte(c)) {
      out += static_cast<char>(c);
    } else {
      return fail(refused("unescaped byte"));
    }
    if (out.size() > kMaxFieldBytes) return fail(refused("field too long"));
  }
  return out;
}

Result<Instant> decode_millis(std::string_view raw) {
  if (raw.empty() || raw.size() > kMaxNumberDigits) return fail(refused("bad number"));
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), value);
  if (ec != std::errc() || end != raw.data() + raw.size() || raw[0] == '-' || raw[0] == '+') {
    return fail(refused("bad number"));
  }
  return from_unix_millis(value);
}

bool is_digest_hex(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::vector<std::string_view> split_spaces(std::string_view line) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t space = line.find(' ', start);
    parts.push_back(line.substr(start, space - start));
    if (space == std::string_view::npos) break;
    start = space + 1;
  }
  return parts;
}

Result<Message> parse_line(std::string_view line) {
  const std::vector<std::string_view> parts = split_spaces(line);
  const std::optional<Kind> kind = kind_of(parts[0]);
  if (!kind) return fail(refused("unknown kind"));
  if (static_cast<int>(parts.size()) - 1 != arity(*kind)) {
    return fail(refused("wrong number of fields"));
  }
  Message m;
  m.kind = *kind;
  if (parts.size() >= 2) {
    auto subject = decode_field(parts[1]);
    if (!subject) return fail(subject.error());
    m.subject = std::move(*subject);
  }
  switch (*kind) {
    case Kind::kAccountToken:
      if (!is_digest_hex(m.subject)) return fail(refused("bad digest"));
      break;
    case Kind::kLoginSession: {
      auto session = decode_field(parts[2]);
      if (!session) return fail(session.error());
      m.session = std::move(*session);
      auto until = decode_millis(parts[3]);
      if (!until) return fail(until.error());
      m.until = *until;
      break;
    }
    case Kind::kRevokedJwt: {
      auto until = decode_millis(parts[2]);
      if (!until) return fail(until.error());
      m.until = *until;
      break;
    }
    default:
      break;
  }
  return m;
}

}  // namespace

Message Message::user_changed(std::string_view user_id) {
  return Message{Kind::kUserChanged, std::string(user_id), {}, {}};
}
Message Message::account_tokens_of_user(std::string_view user_id) {
  return Message{Kind::kAccountTokensOfUser, std::string(user_id), {}, {}};
}
Message Message::account_token(const Digest& digest) {
  return Message{
      Kind::kAccountToken,
      hex_encode(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size())),
      {},
      {}};
}
Message Message::api_key(std::string_view key_id) {
  return Message{Kind::kApiKey, std::string(key_id), {}, {}};
}
Message Message::login_session(std::string_view key_id, std::string_view session_id,
                               Instant until) {
  return Message{Kind::kLoginSession, std::string(key_id), std::string(session_id), until};
}
Message Message::revoked_jwt(std::string_view jti, Instant until) {
  return Message{Kind::kRevokedJwt, std::string(jti), {}, until};
}
Message Message::signing_keys() { return Message{Kind::kSigningKeys, {}, {}, {}}; }
Message Message::policy() { return Message{Kind::kPolicy, {}, {}, {}}; }
Message Message::resync() { return Message{Kind::kResync, {}, {}, {}}; }

Result<std::vector<std::string>> encode(std::string_view origin,
                                        const std::vector<Message>& messages) {
  std::vector<std::string> payloads;
  if (messages.empty()) return payloads;
  if (origin.empty() || origin.size() > kMaxFieldBytes) {
    return fail(Error::invalid_request("an invalidation origin must be 1 to 256 bytes"));
  }
  std::string header(kHeader.substr(0, kHeader.size() - 1));
  append_field(header, origin);
  header += '\n';
  std::string current;
  std::unordered_set<std::string> in_current;  // a payload says each thing once
  for (const Message& m : messages) {
    auto line = encode_line(m);
    if (!line) return fail(line.error());
    if (in_current.contains(*line)) continue;
    if (!current.empty() && current.size() + line->size() > kMaxPayloadBytes) {
      payloads.push_back(std::move(current));
      current.clear();
      in_current.clear();
    }
    if (current.empty()) current = header;
    current += *line;
    in_current.insert(std::move(*line));
  }
  payloads.push_back(std::move(current));
  return payloads;
}

Result<Batch> parse(std::string_view payload) {
  if (payload.size() > kMaxPayloadBytes) return fail(refused("too long"));
  if (payload.empty() || payload.back() != '\n') return fail(refused("not newline-terminated"));
  const std::size_t header_end = payload.find('\n');
  const std::string_view header = payload.substr(0, header_end);
  if (!header.starts_with(kHeader)) {
    return fail(refused(header.starts_with("L") ? "unsupported version" : "no header"));
  }
  Batch batch;
  auto origin = decode_field(header.substr(kHeader.size()));
  if (!origin) return fail(origin.error());
  batch.origin = std::move(*origin);
  std::string_view rest = payload.substr(header_end + 1);
  if (rest.empty()) return fail(refused("no message"));
  while (!rest.empty()) {
    const std::size_t end = rest.find('\n');  // found: the payload ends with one
    auto message = parse_line(rest.substr(0, end));
    if (!message) return fail(message.error());
    batch.messages.push_back(std::move(*message));
    rest.remove_prefix(end + 1);
  }
  return batch;
}

std::optional<Digest> digest_of(const Message& message) {
  if (message.kind != Kind::kAccountToken || !is_digest_hex(message.subject)) return std::nullopt;
  Digest d{};
  for (std::size_t i = 0; i < d.size(); ++i) {
    d[i] = static_cast<std::uint8_t>(hex_value(message.subject[2 * i]) * 16 +
                                     hex_value(message.subject[2 * i + 1]));
  }
  return d;
}

}  // namespace latchkey::invalidation
