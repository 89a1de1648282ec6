// ConsoleStore on PostgreSQL (console_store.h): console_sessions,
// console_session_tokens, console_invitations (pg_schema_policy.cc,
// migration 303) and core's console_passwords (pg_console_password_rows.h).
//
// Every rule is kept by the database, so it holds across nodes:
//   - a token is added to a session only while the session row is locked
//     (FOR SHARE) and open; ending a session updates that row, so it waits
//     for the minting to commit (and then lists its token) or the minting
//     waits and sees the session ended: no token escapes revocation;
//   - accepting an invitation locks it (FOR UPDATE): of two nodes
//     accepting the same invitation, the second sees it used;
//   - the password, the invitation's use and the end of the user's sessions
//     commit together;
//   - "last seen" only moves forward (a conditional UPDATE), updated in
//     session-id order so that two nodes' batches cannot deadlock.
#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "store/console_store.h"
#include "store/postgres/pg_areas.h"
#include "store/postgres/pg_console_password_rows.h"
#include "store/postgres/pg_database.h"
#include "store/postgres/pg_policy_area.h"
#include "store/postgres/pg_values.h"

namespace latchkey::pg {
namespace {

constexpr std::string_view kSelectSession =
    "SELECT id, secret_digest, csrf_digest, user_id, created_at, last_seen_at, expires_at, ip, "
    "user_agent, ended_at, end_reason FROM console_sessions ";

std::vector<ConsoleSession> sessions_of(const Rows& rows) {
  std::vector<ConsoleSession> out;
  for (int i = 0; i < rows.size(); ++i) {
    ConsoleSession s;
    s.id = text_at(rows, i, 0);
    s.secret_digest = digest_at(rows, i, 1);
    s.csrf_digest = digest_at(rows, i, 2);
    s.user_id = text_at(rows, i, 3);
    s.created_at = instant_at(rows, i, 4);
    s.last_seen_at = instant_at(rows, i, 5);
    s.expires_at = instant_at(rows, i, 6);
    s.ip = text_at(rows, i, 7);
    s.user_agent = text_at(rows, i, 8);
    s.ended_at = optional_instant_at(rows, i, 9);
    s.end_reason = text_at(rows, i, 10);
    out.push_back(std::move(s));
  }
  return out;
}

std::optional<ConsoleSession> first_session(const Rows& rows) {
  auto sessions = sessions_of(rows);
  if (sessions.empty()) return std::nullopt;
  return std::move(sessions.front());
}

// The invitation with that digest; `lock` takes its row FOR UPDATE.
Result<std::optional<ConsoleInvitation>> select_invitation(Connection& c, const Digest& token,
                                                           bool lock) {
  auto rows = c.exec(std::string("SELECT token_digest, user_id, created_at, expires_at, used_at "
                                 "FROM console_invitations WHERE token_digest = $1") +
                         (lock ? " FOR UPDATE" : ""),
                     {digest(token)});
  if (!rows) return fail(rows.error());
  if (rows->empty()) return std::optional<ConsoleInvitation>();
  ConsoleInvitation invitation;
  invitation.token_digest = digest_at(*rows, 0, 0);
  invitation.user_id = text_at(*rows, 0, 1);
  invitation.created_at = instant_at(*rows, 0, 2);
  invitation.expires_at = instant_at(*rows, 0, 3);
  invitation.used_at = optional_instant_at(*rows, 0, 4);
  return std::optional<ConsoleInvitation>(std::move(invitation));
}

Result<int> end_sessions_of_user(Connection& c, std::string_view user_id, Instant at,
                                 std::string_view reason) {
  auto ended = c.exec(
      "UPDATE console_sessions SET ended_at = $1::bigint, end_reason = $2 "
      "WHERE user_id = $3 AND ended_at IS NULL",
      {instant(at), text(reason), text(user_id)});
  if (!ended) return fail(ended.error());
  return static_cast<int>(ended->affected());
}

// The console session tokens not yet expired at `now` whose `column`
// (user_id or session_id, never caller input) equals `value`.
Result<std::vector<ConsoleSessionToken>> unexpired_tokens(Connection& c, std::string_view column,
                                                          std::string_view value, Instant now) {
  auto rows = c.exec(
      "SELECT token_id, session_id, user_id, expires_at FROM "
      "console_session_tokens WHERE " +
          std::string(column) + " = $1 AND expires_at > $2::bigint ORDER BY token_id",
      {text(value), instant(now)});
  if (!rows) return fail(rows.error());
  std::vector<ConsoleSessionToken> out;
  for (int i = 0; i < rows->size(); ++i) {
    out.push_back(ConsoleSessionToken{text_at(*rows, i, 0), text_at(*rows, i, 1),
                                      text_at(*rows, i, 2), instant_at(*rows, i, 3)});
  }
  return out;
}

class PgConsoleStore final : public ConsoleStore {
 public:
  explicit PgConsoleStore(Database& db) : db_(db) {}

  Status set_console_password(std::string_view user_id, std::string_view password_hash,
                              Instant at) override {
    if (auto s = check_storable_text("text", {user_id, password_hash}); !s) return s;
    return db_.write([&](Connection& c) -> Status {
      return upsert_console_password(c, user_id, password_hash, at);
    });
  }

  Result<std::optional<std::string>> console_password_hash(std::string_view user_id) override {
    if (!is_storable_text(user_id)) return std::optional<std::string>();  // names no user
    return db_.read([&](Connection& c) -> Result<std::optional<std::string>> {
      auto rows = c.exec("SELECT hash FROM console_passwords WHERE user_id = $1", {text(user_id)});
      if (!rows) return fail(rows.error());
      if (rows->empty()) return std::optional<std::string>();
      return std::optional<std::string>(text_at(*rows, 0, 0));
    });
  }

  Status create_console_session(const ConsoleSession& s) override {
    if (auto bad = check_storable_text("text", {s.id, s.user_id}); !bad) return bad;
    return db_.write([&](Connection& c) -> Status {
      auto inserted = c.exec(
          "INSERT INTO console_sessions (id, secret_digest, csrf_digest, user_id, created_at, "
          "last_seen_at, expires_at, ip, user_agent) "
          "VALUES ($1, $2, $3, $4, $5::bigint, $6::bigint, $7::bigint, $8, $9)",
          {text(s.id), digest(s.secret_digest), digest(s.csrf_digest), text(s.user_id),
           instant(s.created_at), instant(s.last_seen_at), instant(s.expires_at),
           text(valid_utf8(s.ip)), text(valid_utf8(s.user_agent))});
      if (!inserted) {
        return fail(not_found_if_missing_reference(c, inserted.error(), "no user with that id"));
      }
      return {};
    });
  }

  Result<std::optional<ConsoleSession>> find_console_session_by_secret(
      const Digest& secret_digest) override {
    return db_.read([&](Connection& c) -> Result<std::optional<ConsoleSession>> {
      auto rows =
          c.exec(std::string(kSelectSession) + "WHERE secret_digest = $1", {digest(secret_digest)});
      if (!rows) return fail(rows.error());
      return first_session(*rows);
    });
  }

  Result<std::optional<ConsoleSession>> find_console_session(std::string_view id) override {
    if (!is_storable_text(id)) return std::optional<ConsoleSession>();  // names no session
    return db_.read([&](Connection& c) -> Result<std::optional<ConsoleSession>> {
      auto rows = c.exec(std::string(kSelectSession) + "WHERE id = $1", {text(id)});
      if (!rows) return fail(rows.error());
      return first_session(*rows);
    });
  }

  Result<std::vector<ConsoleSession>> open_console_sessions_of_user(
      std::string_view user_id) override {
    if (!is_storable_text(user_id)) return std::vector<ConsoleSession>{};  // names no user
    return db_.read([&](Connection& c) -> Result<std::vector<ConsoleSession>> {
      auto rows = c.exec(std::string(kSelectSession) +
                             "WHERE user_id = $1 AND ended_at IS NULL ORDER BY created_at, id",
                         {text(user_id)});
      if (!rows) return fail(rows.error());
      return sessions_of(*rows);
    });
  }

  Status note_console_sessions_seen(const std::vector<ConsoleSessionSeen>& seen) override {
    for (const ConsoleSessionSeen& one : seen) {
      if (auto s = check_storable_text("text", {one.session_id}); !s) return s;
    }
    if (seen.empty()) return {};
    // The latest observation per session, in id order (one lock order for
    // every node, so two batches cannot deadlock).
    std::map<std::string, Instant> latest;
    for (const ConsoleSessionSeen& one : seen) {
      auto [it, inserted] = latest.emplace(one.session_id, one.at);
      if (!inserted && it->second < one.at) it->second = one.at;
    }
    return db_.write([&](Connection& c) -> Status {
      for (const auto& [id, at] : latest) {
        auto updated = c.exec(
            "UPDATE console_sessions SET last_seen_at = $1::bigint "
            "WHERE id = $2 AND last_seen_at < $1::bigint",
            {instant(at), text(id)});
        if (!updated) return fail(updated.error());
      }
      return {};
    });
  }

  Result<bool> end_console_session(std::string_view id, Instant at,
                                   std::string_view reason) override {
    if (auto s = check_storable_text("text", {id, reason}); !s) return fail(s.error());
    return db_.write([&](Connection& c) -> Result<bool> {
      auto ended = c.exec(
          "UPDATE console_sessions SET ended_at = $1::bigint, end_reason = $2 "
          "WHERE id = $3 AND ended_at IS NULL",
          {instant(at), text(reason), text(id)});
      if (!ended) return fail(ended.error());
      return ended->affected() > 0;
    });
  }

  Result<int> end_console_sessions_of_user(std::string_view user_id, Instant at,
                                           std::string_view reason) override {
    if (auto s = check_storable_text("text", {user_id, reason}); !s) return fail(s.error());
    return db_.write([&](Connection& c) { return end_sessions_of_user(c, user_id, at, reason); });
  }

  Result<int> prune_console_sessions(Instant before) override {
    return db_.write([&](Connection& c) -> Result<int> {
      auto sessions = c.exec(
          "DELETE FROM console_sessions WHERE expires_at < $1::bigint OR ended_at < $1::bigint",
          {instant(before)});
      if (!sessions) return fail(sessions.error());
      auto tokens = c.exec("DELETE FROM console_session_tokens WHERE expires_at < $1::bigint",
                           {instant(before)});
      if (!tokens) return fail(tokens.error());
      return static_cast<int>(sessions->affected());
    });
  }

  Status add_console_session_token(const ConsoleSessionToken& token) override {
    if (auto s = check_storable_text("text", {token.token_id, token.session_id, token.user_id}); !s)
      return s;
    return db_.write([&](Connection& c) -> Status {
      // FOR SHARE conflicts with the UPDATE that ends the session: whichever
      // comes second waits for the other to commit (see the file comment).
      auto open =
          c.exec("SELECT 1 FROM console_sessions WHERE id = $1 AND ended_at IS NULL FOR SHARE",
                 {text(token.session_id)});
      if (!open) return fail(open.error());
      if (open->empty()) {
        return fail(Error::invalid_token("session_ended", "the console session has ended"));
      }
      auto inserted = c.exec(
          "INSERT INTO console_session_tokens (token_id, session_id, user_id, expires_at) "
          "VALUES ($1, $2, $3, $4::bigint)",
          {text(token.token_id), text(token.session_id), text(token.user_id),
           instant(token.expires_at)});
      if (!inserted) return fail(inserted.error());
      return {};
    });
  }

  Result<std::vector<ConsoleSessionToken>> console_session_tokens(std::string_view session_id,
                                                                  Instant now) override {
    if (!is_storable_text(session_id))
      return std::vector<ConsoleSessionToken>{};  // names no session
    return db_.read(
        [&](Connection& c) { return unexpired_tokens(c, "session_id", session_id, now); });
  }

  Result<std::vector<ConsoleSessionToken>> console_session_tokens_of_user(std::string_view user_id,
                                                                          Instant now) override {
    if (!is_storable_text(user_id)) return std::vector<ConsoleSessionToken>{};  // names no user
    return db_.read([&](Connection& c) { return unexpired_tokens(c, "user_id", user_id, now); });
  }

  Status put_console_invitation(const ConsoleInvitation& invitation) override {
    if (auto s = check_storable_text("text", {invitation.user_id}); !s) return s;
    return db_.write([&](Connection& c) -> Status {
      auto stored = c.exec(
          "INSERT INTO console_invitations (token_digest, user_id, created_at, expires_at, "
          "used_at) VALUES ($1, $2, $3::bigint, $4::bigint, NULL) "
          "ON CONFLICT (user_id) DO UPDATE SET token_digest = excluded.token_digest, "
          "created_at = excluded.created_at, expires_at = excluded.expires_at, used_at = NULL",
          {digest(invitation.token_digest), text(invitation.user_id),
           instant(invitation.created_at), instant(invitation.expires_at)});
      if (!stored) {
        return fail(not_found_if_missing_reference(c, stored.error(), "no user with that id"));
      }
      return {};
    });
  }

  Result<std::optional<ConsoleInvitation>> find_console_invitation(
      const Digest& token_digest) override {
    return db_.read(
        [&](Connection& c) { return select_invitation(c, token_digest, /*lock=*/false); });
  }

  Result<ConsoleInvitation> accept_console_invitation(const Digest& token_digest,
                                                      std::string_view password_hash,
                                                      Instant now) override {
    if (auto s = check_storable_text("text", {password_hash}); !s) return fail(s.error());
    return db_.write([&](Connection& c) -> Result<ConsoleInvitation> {
      auto found = select_invitation(c, token_digest, /*lock=*/true);
      if (!found) return fail(found.error());
      if (!*found || (*found)->used_at || (*found)->expires_at <= now) {
        return fail(Error::not_found("the invitation is unknown, used or expired")
                        .with_reason("invitation_invalid"));
      }
      auto used =
          c.exec("UPDATE console_invitations SET used_at = $1::bigint WHERE token_digest = $2",
                 {instant(now), digest(token_digest)});
      if (!used) return fail(used.error());
      if (auto s = upsert_console_password(c, (*found)->user_id, password_hash, now); !s) {
        return fail(s.error());
      }
      auto ended = end_sessions_of_user(c, (*found)->user_id, now, "password_set");
      if (!ended) return fail(ended.error());
      return std::move(**found);
    });
  }

 private:
  Database& db_;
};

}  // namespace

std::unique_ptr<ConsoleStore> make_pg_console_store(Database& db) {
  return std::make_unique<PgConsoleStore>(db);
}

}  // namespace latchkey::pg
