// Manage Users (seeds 001, 002): list and search, create a human user (with a
// one-time invitation link) or a service account, the API access toggle,
// Disable/Enable, "Reset Secret" for a service account, and the action menu
// with "Export Account API Key" (the CSV of GET /api/v1/reports/api-keys).
import { useEffect, useMemo, useState } from "preact/hooks";
import { api } from "../api";
import type { PageProps } from "../page";
import { Button, ConfirmDialog, DateTime, EmptyState, Loading, MenuButton, Notice, Table } from "../components";
import { Link } from "../router";
import { OneTimeSecret } from "./bits";
import type { User } from "./types";
import { downloadFile, enc, errorText, when } from "./util";

export const KEY_REPORT_CSV = "/api/v1/reports/api-keys?format=csv";

interface Confirm {
  title: string;
  text: string;
  confirm: string;
  action: () => Promise<void>;
}

type Shown =
  | { kind: "invitation"; user: string; url: string; expires: string }
  | { kind: "secret"; user: string; clientId: string; secret: string }
  | { kind: "done"; text: string };

export function UsersPage({ session, navigate }: PageProps) {
  const [users, setUsers] = useState<User[] | null>(null);
  const [loadError, setLoadError] = useState("");
  const [error, setError] = useState("");
  const [shown, setShown] = useState<Shown | null>(null);
  const [search, setSearch] = useState("");
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState<Confirm | null>(null);

  const load = async () => {
    try {
      const body = await api<{ users: User[] }>("GET", "/api/v1/users");
      setUsers(body.users);
      setLoadError("");
    } catch (e) {
      setLoadError(errorText(e));
    }
  };
  useEffect(() => {
    load();
  }, []);

  const visible = useMemo(() => {
    const needle = search.trim().toLowerCase();
    if (!users) return [];
    if (!needle) return users;
    return users.filter((u) =>
      [u.name, u.id, u.type, u.client_id ?? ""].some((field) => field.toLowerCase().includes(needle)),
    );
  }, [users, search]);

  const run = async (what: () => Promise<void>) => {
    setBusy(true);
    setError("");
    try {
      await what();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const exportKeys = () =>
    run(async () => {
      const name = await downloadFile(KEY_REPORT_CSV, "api-keys.csv");
      setShown({ kind: "done", text: `The API key report was downloaded as ${name}.` });
    });

  const patch = (user: User, body: Partial<Pick<User, "disabled" | "api_access">>, text: string) =>
    run(async () => {
      await api("PATCH", `/api/v1/users/${enc(user.id)}`, { body });
      setShown({ kind: "done", text });
      await load();
    });

  const resetSecret = (user: User) =>
    setConfirming({
      title: user.client_id ? `Reset the Client Secret of ${user.name}?` : `Generate a Client Secret for ${user.name}?`,
      text: user.client_id
        ? "The current secret stops working at once: every integration using it must get the new one. Check who depends on this account first."
        : user.type === "human"
          ? "Their first Client ID and Secret, shown once: hand them over safely; they should reset the secret on first use (Profile → Access Key)."
          : "Its first Client ID and Secret, shown once.",
      confirm: user.client_id ? "Reset Secret" : "Generate Client Secret",
      action: async () => {
      const issued = await api<{ client_id: string; client_secret: string }>(
        "POST",
        `/api/v1/users/${enc(user.id)}/access-key`,
      );
      setShown({ kind: "secret", user: user.name, clientId: issued.client_id, secret: issued.client_secret });
      await load();
      },
    });

  const invite = (user: User) =>
    run(async () => {
      const invitation = await api<{ invitation_url: string; expires_at: string }>(
        "POST",
        `/api/v1/users/${enc(user.id)}/invitation`,
      );
      setShown({ kind: "invitation", user: user.name, url: invitation.invitation_url, expires: invitation.expires_at });
    });

  const revokeTokens = (user: User) =>
    setConfirming({
      title: `Revoke the tokens of ${user.name}?`,
      text: "Every access token of this account stops working at once; its integrations get 401 until they obtain a new token.",
      confirm: "Revoke tokens",
      action: async () => {
        const result = await api<{ revoked: number }>("DELETE", `/api/v1/users/${enc(user.id)}/tokens`);
        setShown({ kind: "done", text: `${result.revoked} token(s) of ${user.name} revoked.` });
      },
    });

  return (
    <div class="lk-admin">
      <div class="lk-toolbar">
        <MenuButton label="Actions" ariaLabel="Actions for all users" items={[{ label: "Export Account API Key", onSelect: exportKeys }]} />
        <Link class="lk-button-link" to="/service-accounts/new">
          New service account (guided)
        </Link>
      </div>

      <CreateUser
        onCreated={async (user, invitation) => {
          await load();
          if (invitation) setShown({ kind: "invitation", user: user.name, ...invitation });
          else setShown({ kind: "done", text: `${user.type === "service" ? "Service account" : "User"} ${user.name} created.` });
        }}
        onError={setError}
      />

      {confirming && (
        <ConfirmDialog
          title={confirming.title}
          confirmLabel={confirming.confirm}
          danger
          onCancel={() => setConfirming(null)}
          onConfirm={async () => {
            await confirming.action();
            setConfirming(null);
          }}
        >
          <p>{confirming.text}</p>
        </ConfirmDialog>
      )}
      {error && <Notice kind="error">{error}</Notice>}
      {shown?.kind === "done" && <Notice kind="success">{shown.text}</Notice>}
      {shown?.kind === "invitation" && (
        <OneTimeSecret
          title={`Invitation link for ${shown.user}`}
          label="Invitation link"
          value={shown.url}
          warning={`Send this link to ${shown.user}: they set their own password there (at least 12 characters). It works once, until ${when(shown.expires)}, and is not shown again; a new link replaces it.`}
          onDone={() => setShown(null)}
        />
      )}
      {shown?.kind === "secret" && (
        <OneTimeSecret
          title={`New Client Secret for ${shown.user}`}
          label={`Client Secret (Client ID ${shown.clientId})`}
          value={shown.secret}
          warning="This is the only time the secret is shown. The old secret no longer works; the current access token stays valid until a new one is generated."
          onDone={() => setShown(null)}
        />
      )}

      <section aria-labelledby="lk-users-list">
        <h2 id="lk-users-list">Users and service accounts</h2>
        <label class="lk-field">
          Search users
          <input type="search" value={search} onInput={(e) => setSearch(e.currentTarget.value)} placeholder="name, id, type or Client ID" />
        </label>
        {loadError && <Notice kind="error">Could not load the users: {loadError}</Notice>}
        {!users && !loadError && <Loading what="Loading users…" />}
        {users && visible.length === 0 && (
          <EmptyState title={users.length === 0 ? "No users yet." : `No user matches “${search}”.`}>
            {users.length === 0 ? <p>Create a human user or a service account above.</p> : <p>Search looks at names, ids, types and Client IDs.</p>}
          </EmptyState>
        )}
        {users && visible.length > 0 && (
          <Table
            caption={`${visible.length} of ${users.length} users`}
            captionHidden
            rows={visible}
            rowKey={(user) => user.id}
            columns={[
              {
                key: "name",
                header: "Name",
                rowHeader: true,
                render: (user) => (
                  <>
                    <Link to={`/users/${enc(user.id)}`}>
                      {user.name}
                    </Link>
                    <div class="muted">{user.id}</div>
                  </>
                ),
              },
              { key: "type", header: "Type", render: (user) => (user.type === "service" ? "Service account" : "Human") },
              {
                key: "api",
                header: "API access",
                render: (user) => {
                  const self = user.id === session.user.id;
                  const reasonId = `api-access-reason-${user.id}`;
                  return (
                    <>
                    <button
                      type="button"
                      role="switch"
                      class="lk-switch"
                      aria-checked={user.api_access}
                      aria-label={`API access for ${user.name}`}
                      disabled={busy || self}
                      aria-describedby={self ? reasonId : undefined}
                      onClick={() =>
                        patch(user, { api_access: !user.api_access }, `API access ${user.api_access ? "turned off" : "turned on"} for ${user.name}.`)
                      }
                    >
                      {user.api_access ? "On" : "Off"}
                    </button>
                    {self ? (
                      <div id={reasonId} class="muted small">
                        You cannot change your own API access.
                      </div>
                    ) : null}
                    </>
                  );
                },
              },
              {
                key: "status",
                header: "Status",
                render: (user) => (user.disabled ? <span class="lk-badge lk-bad">Disabled</span> : <span class="lk-badge lk-good">Active</span>),
              },
              { key: "client", header: "Client ID", render: (user) => <code>{user.client_id ?? "none yet"}</code> },
              { key: "created", header: "Created", render: (user) => <DateTime value={user.created_at} /> },
              {
                key: "actions",
                header: <span class="sr-only">Actions</span>,
                render: (user) => (
                  <MenuButton
                    label="Actions"
                    ariaLabel={`Actions for ${user.name}`}
                    items={[
                      { label: "Open profile", onSelect: () => navigate(`/users/${enc(user.id)}`) },
                      user.disabled
                        ? { label: "Enable", onSelect: () => patch(user, { disabled: false }, `${user.name} enabled.`) }
                        : {
                            label: "Disable",
                            disabled: user.id === session.user.id,
                            onSelect: () => patch(user, { disabled: true }, `${user.name} disabled; their tokens were deleted.`),
                          },
                      ...(user.type === "service"
                        ? [{ label: "Reset Secret", onSelect: () => resetSecret(user) }]
                        : [
                            { label: "Create invitation link", onSelect: () => invite(user) },
                            // Enrolment: an admin may give a human their first
                            // credentials; afterwards only the human resets them.
                            ...(user.client_id ? [] : [{ label: "Generate Client Secret", onSelect: () => resetSecret(user) }]),
                          ]),
                      { label: "Revoke tokens", onSelect: () => revokeTokens(user) },
                      { label: "Export Account API Key", onSelect: exportKeys },
                    ]}
                  />
                ),
              },
            ]}
          />
        )}
      </section>
    </div>
  );
}

function CreateUser({
  onCreated,
  onError,
}: {
  onCreated: (user: User, invitation?: { url: string; expires: string }) => Promise<void>;
  onError: (text: string) => void;
}) {
  const [name, setName] = useState("");
  const [type, setType] = useState<"human" | "service">("human");
  const [apiAccess, setApiAccess] = useState(false);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    onError("");
    try {
      const user = await api<User>("POST", "/api/v1/users", { body: { name: name.trim(), type, api_access: apiAccess } });
      let invitation: { url: string; expires: string } | undefined;
      if (type === "human") {
        try {
          const made = await api<{ invitation_url: string; expires_at: string }>(
            "POST",
            `/api/v1/users/${enc(user.id)}/invitation`,
          );
          invitation = { url: made.invitation_url, expires: made.expires_at };
        } catch (e) {
          onError(`${user.name} was created, but no invitation link could be made: ${errorText(e)}`);
        }
      }
      setName("");
      await onCreated(user, invitation);
    } catch (e) {
      onError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="lk-card" onSubmit={submit} aria-labelledby="lk-create-user">
      <h2 id="lk-create-user">Create a user</h2>
      <div class="lk-row">
        <label class="lk-field">
          Name
          <input required maxLength={128} value={name} onInput={(e) => setName(e.currentTarget.value)} autoComplete="off" />
        </label>
        <fieldset class="lk-inline">
          <legend>Type</legend>
          <label>
            <input type="radio" name="lk-user-type" checked={type === "human"} onChange={() => setType("human")} /> Human user
          </label>
          <label>
            <input type="radio" name="lk-user-type" checked={type === "service"} onChange={() => setType("service")} /> Service account
          </label>
        </fieldset>
        <label class="lk-check">
          <input type="checkbox" checked={apiAccess} onChange={(e) => setApiAccess(e.currentTarget.checked)} /> API access
        </label>
        <Button type="submit" disabled={busy || !name.trim()}>
          {type === "human" ? "Create user and invitation link" : "Create service account"}
        </Button>
      </div>
      <p class="lk-hint">
        {type === "human"
          ? "A human user gets a one-time invitation link (valid 24 hours) to set their password."
          : "A service account never signs in; it uses its Client ID and Secret. For the nine provisioning steps, use the guided form."}
      </p>
    </form>
  );
}
