// The sessions of one API key (seed 003's /auth/login sessions, docs/jwt.md),
// each revocable: its token is refused at once.
import { useState } from "preact/hooks";
import { api } from "../../api";
import {
  Button,
  ConfirmDialog,
  DateTime,
  Dialog,
  EmptyState,
  ErrorNotice,
  Loading,
  Table,
  useAsync,
  type Column,
} from "../../components";
import type { ApiKey, KeySession } from "./types";

export function KeySessionsDialog({ apiKey, onClose }: { apiKey: ApiKey; onClose: () => void }) {
  const sessions = useAsync(
    () =>
      api<{ sessions: KeySession[] }>("GET", `/api/v1/keys/${encodeURIComponent(apiKey.id)}/sessions`).then(
        (body) => body.sessions,
      ),
    [apiKey.id],
  );
  const [revoking, setRevoking] = useState<KeySession | null>(null);
  const [result, setResult] = useState("");

  async function revoke(session: KeySession) {
    await api(
      "DELETE",
      `/api/v1/keys/${encodeURIComponent(apiKey.id)}/sessions/${encodeURIComponent(session.session_id)}`,
    );
    setRevoking(null);
    setResult(`Session “${session.session_id}” revoked: its token is refused from now on.`);
    sessions.reload();
  }

  const columns: Column<KeySession>[] = [
    { key: "session", header: "Session", rowHeader: true, render: (row) => <code>{row.session_id}</code> },
    { key: "status", header: "Status", render: (row) => <span class={`status status-${row.status}`}>{row.status}</span> },
    { key: "created", header: "Started", render: (row) => <DateTime value={row.created_at} /> },
    { key: "token-expires", header: "Token expires", render: (row) => <DateTime value={row.token_expires_at} /> },
    {
      key: "actions",
      header: "Actions",
      render: (row) =>
        row.status === "active" ? (
          <Button variant="link" onClick={() => setRevoking(row)} aria-label={`Revoke session ${row.session_id}`}>
            Revoke
          </Button>
        ) : row.revoked_at ? (
          <span class="muted">
            Revoked <DateTime value={row.revoked_at} />
          </span>
        ) : null,
    },
  ];

  return (
    <Dialog
      title={`Sessions of key “${apiKey.name}”`}
      size="large"
      onClose={onClose}
      actions={
        <Button variant="primary" onClick={onClose}>
          Close
        </Button>
      }
    >
      <p class="muted">
        A program that logs in with <code>POST /auth/login</code> and a <code>session_id</code> gets one token per
        session. Revoking a session refuses its token at once.
      </p>
      <div role="status">{result ? <p>{result}</p> : null}</div>
      {sessions.loading && !sessions.data ? <Loading what="Loading sessions…" /> : null}
      <ErrorNotice error={sessions.error} title="Could not load the sessions" />
      {sessions.data ? (
        <Table
          caption={`Sessions of key ${apiKey.name}`}
          captionHidden
          columns={columns}
          rows={sessions.data}
          rowKey={(row) => row.session_id}
          empty={
            <EmptyState title="No sessions">
              <p>This key has no login sessions: it was not used with /auth/login, or its sessions were forgotten.</p>
            </EmptyState>
          }
        />
      ) : null}
      {revoking ? (
        <ConfirmDialog
          title={`Revoke session “${revoking.session_id}”?`}
          confirmLabel="Revoke"
          danger
          onConfirm={() => revoke(revoking)}
          onCancel={() => setRevoking(null)}
        >
          <p>Its token is refused from the next request on. The program can log in again with a new session id.</p>
        </ConfirmDialog>
      ) : null}
    </Dialog>
  );
}
