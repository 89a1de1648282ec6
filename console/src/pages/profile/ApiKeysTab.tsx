// The person's API keys (seeds 002, 004), on Profile → API Keys and on
// Settings → Users & API keys → API Keys: the keys, masked; "New Key" (seed
// 002, also in the "Actions" menu) or "New API Key" (seed 004) with the one-time reveal ("Copy to clipboard", "OK", then only the mask);
// "Deactivate" for active keys; the sessions of a key, revocable.
import { useState } from "preact/hooks";
import { api, type ConsoleSession } from "../../api";
import {
  Button,
  ConfirmDialog,
  DateTime,
  Dialog,
  EmptyState,
  ErrorNotice,
  Loading,
  MaskedSecret,
  MenuButton,
  Notice,
  SecretReveal,
  Table,
  formatAge,
  useAsync,
  type Column,
} from "../../components";
import { KeySessionsDialog } from "./KeySessionsDialog";
import { NewKeyDialog } from "./NewKeyDialog";
import { roleLabel, scopeLabel, statusLabel } from "./keyFormat";
import type { ApiKey, CreatedApiKey, Grants, RoleSummary } from "./types";

type Open =
  | { kind: "none" }
  | { kind: "new" }
  | { kind: "reveal"; key: CreatedApiKey }
  | { kind: "deactivate"; key: ApiKey }
  | { kind: "sessions"; key: ApiKey };

// The roles a key may carry: the ones the person holds. When the permission
// service is off (or the call fails) only "All my roles" is offered.
async function loadRoles(): Promise<RoleSummary[]> {
  try {
    const grants = await api<Grants>("GET", "/api/v1/users/me/grants");
    return (grants.roles ?? []).map((role) => ({ id: role.id, name: role.name }));
  } catch {
    return [];
  }
}

export interface ApiKeysTabProps {
  session: ConsoleSession;
  // The label of the button, the menu item and the dialog: "New Key" on the
  // Profile (seed 002), "New API Key" under Settings (seed 004).
  newKeyLabel?: string;
}

export function ApiKeysTab({ session, newKeyLabel = "New Key" }: ApiKeysTabProps) {
  const keys = useAsync(() => api<{ keys: ApiKey[] }>("GET", "/api/v1/keys").then((body) => body.keys), [session.user.id]);
  const roles = useAsync(loadRoles, [session.user.id]);
  const [open, setOpen] = useState<Open>({ kind: "none" });
  const [result, setResult] = useState("");

  const roleList = roles.data ?? [];
  const newKeyButton = (
    <Button variant="primary" onClick={() => setOpen({ kind: "new" })}>
      {newKeyLabel}
    </Button>
  );

  const columns: Column<ApiKey>[] = [
    { key: "name", header: "Name", rowHeader: true, render: (key) => key.name },
    { key: "key", header: "Key", render: (key) => <MaskedSecret masked={key.masked} label="key" /> },
    { key: "role", header: "Role", render: (key) => roleLabel(key.role, roleList) },
    { key: "scope", header: "Scope", render: (key) => scopeLabel(key.scope) },
    {
      key: "status",
      header: "Status",
      render: (key) => <span class={`status status-${key.status}`}>{statusLabel(key.status)}</span>,
    },
    { key: "age", header: "Age", render: (key) => <span title={key.created_at}>{formatAge(key.created_at)}</span> },
    { key: "expires", header: "Expires", render: (key) => <DateTime value={key.expires_at} style="date" /> },
    { key: "last-used", header: "Last used", render: (key) => <DateTime value={key.last_used_at} never="Never" /> },
    {
      key: "actions",
      header: "Actions",
      render: (key) => (
        <div class="actions">
          <Button variant="link" onClick={() => setOpen({ kind: "sessions", key })} aria-label={`Sessions of ${key.name}`}>
            Sessions
          </Button>
          {key.status === "active" ? (
            <Button variant="link" onClick={() => setOpen({ kind: "deactivate", key })} aria-label={`Deactivate ${key.name}`}>
              Deactivate
            </Button>
          ) : null}
        </div>
      ),
    },
  ];

  async function deactivate(key: ApiKey) {
    await api("POST", `/api/v1/keys/${encodeURIComponent(key.id)}/deactivate`);
    setOpen({ kind: "none" });
    setResult(`Key “${key.name}” deactivated. Programs using it are refused from now on.`);
    keys.reload();
  }

  return (
    <section aria-labelledby="api-keys-heading">
      <div class="page-header">
        <h2 id="api-keys-heading">API Keys</h2>
        <div class="actions">
          {keys.data && keys.data.length > 0 ? newKeyButton : null}
          <MenuButton
            label="Actions"
            ariaLabel="API key actions"
            items={[{ label: newKeyLabel, onSelect: () => setOpen({ kind: "new" }) }]}
          />
        </div>
      </div>
      <p>
        A program exchanges an API key for a short-lived bearer token with <code>POST /v2/auth/token/access</code>. Keys
        are masked: the full key is shown only once, when it is created.
      </p>
      <div role="status" class="result-slot">
        {result ? (
          <div class="notice notice-success">
            <p>{result}</p>
          </div>
        ) : null}
      </div>
      {keys.loading && !keys.data ? <Loading what="Loading your keys…" /> : null}
      <ErrorNotice error={keys.error} title="Could not load your keys" />
      {keys.data ? (
        <Table
          caption="Your API keys"
          captionHidden
          columns={columns}
          rows={keys.data}
          rowKey={(key) => key.id}
          rowClass={(key) => (key.status === "active" ? undefined : "row-muted")}
          empty={
            <EmptyState title="You have no API keys yet" action={newKeyButton}>
              <p>Create a key for each program that calls the API, with the narrowest role and scope it needs.</p>
            </EmptyState>
          }
        />
      ) : null}

      {open.kind === "new" ? (
        <NewKeyDialog
          title={newKeyLabel}
          roles={roleList}
          onCancel={() => setOpen({ kind: "none" })}
          onCreated={(key) => {
            setResult("");
            setOpen({ kind: "reveal", key });
          }}
        />
      ) : null}

      {open.kind === "reveal" ? (
        <Dialog
          title="Your new API key"
          role="alertdialog"
          fallbackFocus={() => document.getElementById("api-keys-heading")}
          actions={
            <Button
              variant="primary"
              onClick={() => {
                const name = open.key.name;
                setOpen({ kind: "none" });
                setResult(`Key “${name}” created. From now on it is shown masked.`);
                keys.reload();
              }}
            >
              OK
            </Button>
          }
        >
          <Notice kind="warning">
            <p>
              <strong>This is your only chance to see the full key.</strong> Click “Copy to clipboard” and store it
              somewhere safe, such as a password manager. Once you click “OK”, the key is permanently masked and cannot
              be retrieved again.
            </p>
          </Notice>
          <SecretReveal label="API key" value={open.key.api_key} />
          <dl class="kv">
            <dt>Name</dt>
            <dd>{open.key.name}</dd>
            <dt>Scope</dt>
            <dd>{scopeLabel(open.key.scope)}</dd>
            <dt>Expires</dt>
            <dd>
              <DateTime value={open.key.expires_at} />
            </dd>
          </dl>
        </Dialog>
      ) : null}

      {open.kind === "deactivate" ? (
        <ConfirmDialog
          title={`Deactivate key “${open.key.name}”?`}
          confirmLabel="Deactivate"
          danger
          onConfirm={() => deactivate(open.key)}
          onCancel={() => setOpen({ kind: "none" })}
        >
          <p>
            The key <MaskedSecret masked={open.key.masked} label="key" /> is refused by every exchange from now on, and
            the tokens obtained from it stop working. This cannot be undone.
          </p>
        </ConfirmDialog>
      ) : null}

      {open.kind === "sessions" ? <KeySessionsDialog apiKey={open.key} onClose={() => setOpen({ kind: "none" })} /> : null}
    </section>
  );
}
