// Profile → Sessions: where the person is signed in to the console; the
// current session is marked, the others can be revoked.
import { useState } from "preact/hooks";
import { api, type ConsoleSession } from "../../api";
import {
  Button,
  ConfirmDialog,
  DateTime,
  EmptyState,
  ErrorNotice,
  Loading,
  Table,
  useAsync,
  type Column,
} from "../../components";
import type { ConsoleSessionRow } from "./types";

export function describeBrowser(userAgent: string): string {
  if (!userAgent) return "Unknown browser";
  const found =
    /(Edg|OPR|Firefox|Chrome|Chromium|HeadlessChrome|Safari)\/([\d.]+)/.exec(userAgent) ??
    /(curl|python-requests|Go-http-client)\/([\d.]+)/.exec(userAgent);
  const os = /(Windows|Mac OS X|Linux|Android|iPhone|iPad)/.exec(userAgent)?.[1];
  const name = found ? `${found[1] === "Edg" ? "Edge" : found[1] === "OPR" ? "Opera" : found[1]} ${found[2].split(".")[0]}` : userAgent.slice(0, 60);
  return os ? `${name} on ${os}` : name;
}

export function SessionsTab({ session }: { session: ConsoleSession }) {
  const sessions = useAsync(
    () => api<{ sessions: ConsoleSessionRow[] }>("GET", "/api/v1/console/sessions").then((body) => body.sessions),
    [session.session_id],
  );
  const [revoking, setRevoking] = useState<ConsoleSessionRow | null>(null);
  const [result, setResult] = useState("");

  async function revoke(row: ConsoleSessionRow) {
    await api("DELETE", `/api/v1/console/sessions/${encodeURIComponent(row.id)}`);
    setRevoking(null);
    setResult("The session was revoked: that browser is signed out.");
    sessions.reload();
  }

  const columns: Column<ConsoleSessionRow>[] = [
    {
      key: "browser",
      header: "Browser",
      rowHeader: true,
      render: (row) => (
        <>
          <span title={row.user_agent}>{describeBrowser(row.user_agent)}</span>
          {row.current ? <span class="badge current-session"> This session</span> : null}
        </>
      ),
    },
    { key: "ip", header: "Address", render: (row) => <code>{row.ip}</code> },
    { key: "created", header: "Signed in", render: (row) => <DateTime value={row.created_at} /> },
    { key: "last-seen", header: "Last active", render: (row) => <DateTime value={row.last_seen_at} /> },
    { key: "expires", header: "Ends at the latest", render: (row) => <DateTime value={row.expires_at} /> },
    {
      key: "actions",
      header: "Actions",
      render: (row) =>
        row.current ? (
          <span class="muted">Use “Sign out”</span>
        ) : (
          <Button variant="link" onClick={() => setRevoking(row)} aria-label={`Revoke the session from ${row.ip}`}>
            Revoke
          </Button>
        ),
    },
  ];

  const sorted = sessions.data ? [...sessions.data].sort((a, b) => Number(b.current) - Number(a.current)) : undefined;
  return (
    <section aria-labelledby="sessions-heading">
      <h2 id="sessions-heading">Sessions</h2>
      <p>
        Where you are signed in to the console. A session ends after 30 minutes without activity, 12 hours after
        sign-in, or when you sign out or revoke it.
      </p>
      <div role="status">
        {result ? (
          <div class="notice notice-success">
            <p>{result}</p>
          </div>
        ) : null}
      </div>
      {sessions.loading && !sessions.data ? <Loading what="Loading your sessions…" /> : null}
      <ErrorNotice error={sessions.error} title="Could not load your sessions" />
      {sorted ? (
        <Table
          caption="Your console sessions"
          captionHidden
          columns={columns}
          rows={sorted}
          rowKey={(row) => row.id}
          empty={<EmptyState title="No sessions" />}
        />
      ) : null}
      {revoking ? (
        <ConfirmDialog
          title="Revoke this session?"
          confirmLabel="Revoke"
          danger
          onConfirm={() => revoke(revoking)}
          onCancel={() => setRevoking(null)}
        >
          <p>
            The browser at <code>{revoking.ip}</code> ({describeBrowser(revoking.user_agent)}) is signed out at once.
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
