// A user's profile as an administrator sees it: details and grants, their
// API keys with "Deactivate" for any active key and NO "New Key" (seed 002,
// separation of duties: only the user creates their own keys), who depends
// on the account, and revoking their tokens.
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import type { PageProps } from "../page";
import { Button, ConfirmDialog, DateTime, Loading, MaskedSecret, Notice, Table } from "../components";
import { Link } from "../router";
import type { ApiKey, Grants, User } from "./types";
import { DependentsView } from "./DependentsView";
import { enc, errorText } from "./util";

export function UserProfilePage({ params, session }: PageProps) {
  const id = params.id;
  const [user, setUser] = useState<User | null>(null);
  const [grants, setGrants] = useState<Grants | null>(null);
  const [keys, setKeys] = useState<ApiKey[] | null>(null);
  const [loadError, setLoadError] = useState("");
  const [error, setError] = useState("");
  const [done, setDone] = useState("");
  const [busy, setBusy] = useState(false);
  const [confirmRevoke, setConfirmRevoke] = useState(false);

  const loadKeys = async () => {
    const body = await api<{ keys: ApiKey[] }>("GET", `/api/v1/keys?user_id=${enc(id)}`);
    setKeys(body.keys);
  };
  useEffect(() => {
    setUser(null);
    setLoadError("");
    api<User>("GET", `/api/v1/users/${enc(id)}`)
      .then(setUser)
      .catch((e) => setLoadError(errorText(e)));
    api<Grants>("GET", `/api/v1/users/${enc(id)}/grants`)
      .then(setGrants)
      .catch(() => setGrants(null));
    loadKeys().catch((e) => setError(`Could not load the API keys: ${errorText(e)}`));
  }, [id]);

  const act = async (what: () => Promise<string>) => {
    setBusy(true);
    setError("");
    setDone("");
    try {
      setDone(await what());
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const deactivate = (key: ApiKey) =>
    act(async () => {
      await api("POST", `/api/v1/keys/${enc(key.id)}/deactivate`);
      await loadKeys();
      return `Key “${key.name}” (${key.masked}) deactivated: it and every token obtained from it are refused from now on.`;
    });

  const revokeTokens = () =>
    act(async () => {
      const result = await api<{ revoked: number }>("DELETE", `/api/v1/users/${enc(id)}/tokens`);
      return `${result.revoked} token(s) of ${user?.name ?? id} revoked.`;
    });

  if (loadError) {
    return (
      <div class="lk-admin">
        <Notice kind="error">Could not load this user: {loadError}</Notice>
        <Link to="/users">
          Back to Manage Users
        </Link>
      </div>
    );
  }
  if (!user) return <Loading what="Loading the user…" />;

  const self = user.id === session.user.id;
  return (
    <div class="lk-admin">
      <p>
        <Link to="/users">
          ← Manage Users
        </Link>
      </p>
      <section class="lk-card" aria-labelledby="lk-user-details">
        <h2 id="lk-user-details">{user.name}</h2>
        <dl class="lk-details">
          <dt>User ID</dt>
          <dd>
            <code>{user.id}</code>
          </dd>
          <dt>Type</dt>
          <dd>{user.type === "service" ? "Service account" : "Human"}</dd>
          <dt>Status</dt>
          <dd>{user.disabled ? "Disabled" : "Active"}</dd>
          <dt>API access</dt>
          <dd>{user.api_access ? "On" : "Off"}</dd>
          <dt>Client ID</dt>
          <dd>
            <code>{user.client_id ?? "none yet"}</code>
          </dd>
          {user.secret && (
            <>
              <dt>Client Secret age</dt>
              <dd>
                {user.secret.age_days} {user.secret.age_days === 1 ? "day" : "days"}
                {user.secret.rotation_due ? " (rotation due)" : ""}
              </dd>
            </>
          )}
          {user.type === "service" && (
            <>
              <dt>Owner</dt>
              <dd>{user.owner ?? "not set"}</dd>
              <dt>Contact</dt>
              <dd>{user.contact ?? "not set"}</dd>
              {user.description && (
                <>
                  <dt>Description</dt>
                  <dd>{user.description}</dd>
                </>
              )}
              <dt>Expires</dt>
              <dd>{user.expires_at ? <DateTime value={user.expires_at} /> : "never"}</dd>
            </>
          )}
          <dt>Modules held directly</dt>
          <dd>{user.modules.length ? user.modules.join(", ") : "none"}</dd>
          {grants && (
            <>
              <dt>Roles</dt>
              <dd>{grants.roles.length ? grants.roles.map((r) => r.name).join(", ") : "none"}</dd>
              <dt>Application entitlements</dt>
              <dd>
                {Object.keys(grants.entitlements).length
                  ? Object.entries(grants.entitlements)
                      .map(([app, access]) => `${app}: ${access === "edit" ? "Edit" : "Read"}`)
                      .join(", ")
                  : "none"}
              </dd>
              <dt>Build access</dt>
              <dd>{grants.build_access.length ? grants.build_access.join(", ") : "none"}</dd>
            </>
          )}
          <dt>Created</dt>
          <dd>
            <DateTime value={user.created_at} />
          </dd>
        </dl>
        <Button onClick={() => setConfirmRevoke(true)} disabled={busy}>
          Revoke tokens
        </Button>
        {confirmRevoke && (
          <ConfirmDialog
            title={`Revoke the tokens of ${user.name}?`}
            confirmLabel="Revoke tokens"
            danger
            onCancel={() => setConfirmRevoke(false)}
            onConfirm={async () => {
              setConfirmRevoke(false);
              await revokeTokens();
            }}
          >
            <p>Every access token of this account stops working at once; its integrations get 401 until they obtain a new token.</p>
          </ConfirmDialog>
        )}
      </section>

      {error && <Notice kind="error">{error}</Notice>}
      {done && <Notice kind="success">{done}</Notice>}

      <section aria-labelledby="lk-user-keys">
        <h2 id="lk-user-keys">API Keys</h2>
        <p class="lk-hint">
          {self
            ? "These are your own keys; create new ones from your Profile."
            : `Only ${user.name} can create keys for their own profile (separation of duties). As an administrator you can deactivate any of their keys.`}
        </p>
        {!keys && !error && <Loading what="Loading API keys…" />}
        {keys && keys.length === 0 && <p class="lk-empty">{user.name} has no API keys.</p>}
        {keys && keys.length > 0 && (
          <Table
            caption={`API keys of ${user.name}`}
            captionHidden
            rows={keys}
            rowKey={(key) => key.id}
            columns={[
              { key: "name", header: "Name", rowHeader: true, render: (key) => key.name },
              { key: "key", header: "Key", render: (key) => <MaskedSecret masked={key.masked} label="API key" /> },
              { key: "status", header: "Status", render: (key) => <span class={`status status-${key.status}`}>{key.status}</span> },
              { key: "scope", header: "Scope", render: (key) => key.scope },
              { key: "created", header: "Created", render: (key) => <DateTime value={key.created_at} /> },
              { key: "expires", header: "Expires", render: (key) => <DateTime value={key.expires_at} /> },
              { key: "used", header: "Last used", render: (key) => (key.last_used_at ? <DateTime value={key.last_used_at} /> : "never") },
              {
                key: "actions",
                header: <span class="sr-only">Actions</span>,
                render: (key) =>
                  key.status === "active" && (
                    <Button disabled={busy} aria-label={`Deactivate key ${key.name} (${key.masked})`} onClick={() => deactivate(key)}>
                      Deactivate
                    </Button>
                  ),
              },
            ]}
          />
        )}
      </section>

      <DependentsView userId={user.id} />
    </div>
  );
}
