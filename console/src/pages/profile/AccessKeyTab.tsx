// Profile → Access Key (seed 000): the Client ID, always visible, and the
// Secret Key, always masked; "Reset
// Secret Key" (confirm, then the new Client Secret shown once); "Generate
// Access Key" (confirm that it supersedes the current one, then the bearer
// token in the "Access Key" box, once). Without API access, only a message.
import { useState } from "preact/hooks";
import { api, ApiError, type ConsoleSession } from "../../api";
import {
  Button,
  ConfirmDialog,
  Dialog,
  ErrorNotice,
  Loading,
  MaskedSecret,
  Notice,
  SecretReveal,
  formatDuration,
  useAsync,
} from "../../components";
import type { AccessKeyResponse, TokenResponse, UserRecord } from "./types";

export const NO_API_ACCESS = "API access is not enabled for your account. Contact your administrator.";

type Dialogs = "none" | "confirm-reset" | "confirm-generate";

export function accessTokenErrorText(error: unknown): string | null {
  if (!(error instanceof ApiError)) return null;
  if (error.reason === "no_client_credential")
    return "You have no Client ID yet. Use “Reset Secret Key” first to create your Client ID and Secret.";
  if (error.reason === "api_access_disabled") return NO_API_ACCESS;
  return null;
}

export function AccessKeyTab({ session }: { session: ConsoleSession }) {
  const user = useAsync(() => api<UserRecord>("GET", `/api/v1/users/${encodeURIComponent(session.user.id)}`), [session.user.id]);
  const [dialog, setDialog] = useState<Dialogs>("none");
  const [newSecret, setNewSecret] = useState<AccessKeyResponse | null>(null);
  const [token, setToken] = useState<TokenResponse | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState("");

  if (user.loading && !user.data) return <Loading />;
  if (user.error && !user.data) return <ErrorNotice error={user.error} title="Could not load your account" />;
  const record = user.data!;
  const clientId = record.client_id ?? session.user.client_id ?? null;

  if (!record.api_access) {
    return (
      <section aria-labelledby="access-key-heading">
        <h2 id="access-key-heading">Access Key</h2>
        <Notice kind="info">
          <p>{NO_API_ACCESS}</p>
        </Notice>
      </section>
    );
  }

  async function resetSecret() {
    const created = await api<AccessKeyResponse>("POST", `/api/v1/users/${encodeURIComponent(session.user.id)}/access-key`);
    setDialog("none");
    setNewSecret(created);
    setResult("");
    user.setData({ ...record, client_id: created.client_id });
  }

  async function generateAccessKey() {
    try {
      const issued = await api<TokenResponse>("POST", "/api/v1/console/access-token");
      setDialog("none");
      setError(null);
      setToken(issued);
      setResult("A new Access Key was generated. Your previous access key no longer works.");
    } catch (caught) {
      const text = accessTokenErrorText(caught);
      if (text) {
        setDialog("none");
        setError(new Error(text));
        return;
      }
      throw caught;
    }
  }

  return (
    <section aria-labelledby="access-key-heading">
      <h2 id="access-key-heading">Access Key</h2>
      <p>
        Your Client ID and Secret Key let a program obtain your access key with{" "}
        <code>POST /api/v1/account/token</code> (HTTP Basic). The access key is the bearer token for API calls.
      </p>
      <dl class="kv">
        <dt>Client ID</dt>
        <dd>
          {clientId ? (
            <code class="client-id">{clientId}</code>
          ) : (
            <span class="muted">Not created yet. Use “Reset Secret Key” to create your Client ID and Secret.</span>
          )}
        </dd>
        <dt>Secret Key</dt>
        <dd>
          {clientId ? (
            <>
              <MaskedSecret masked="••••••••••••••••" label="Secret Key" />{" "}
              <span class="muted">Hidden: the full secret is shown only once, when it is reset.</span>
            </>
          ) : (
            <span class="muted">None yet.</span>
          )}
        </dd>
      </dl>

      <div class="actions">
        <Button variant="primary" onClick={() => setDialog("confirm-reset")}>
          Reset Secret Key
        </Button>
        <Button onClick={() => setDialog("confirm-generate")}>Generate Access Key</Button>
      </div>
      <p class="muted">
        First time using the API? Reset your secret first, then generate an access key.
      </p>

      <ErrorNotice error={error} />
      <div role="status" class="sr-only">
        {result}
      </div>

      <div class="panel access-key-box" data-secret={token ? "" : undefined}>
        {token ? (
          <>
            <SecretReveal label="Access Key" value={token.access_token} />
            <Notice kind="warning">
              <p>
                Copy this access key now: it is shown only here, once. It is valid for{" "}
                {formatDuration(token.expires_in)} (scope “{token.scope}”) unless you generate a new one.
              </p>
            </Notice>
            <Button onClick={() => setToken(null)}>Hide</Button>
          </>
        ) : (
          <div class="secret-reveal">
            <label for="access-key-empty">Access Key</label>
            <input
              id="access-key-empty"
              class="secret-value"
              type="text"
              readOnly
              value=""
              placeholder="Use “Generate Access Key” to show a new access key here"
              aria-describedby="access-key-empty-hint"
            />
            <p id="access-key-empty-hint" class="field-hint">
              A generated access key is shown here once; it is not stored in the console.
            </p>
          </div>
        )}
      </div>

      {dialog === "confirm-reset" ? (
        <ConfirmDialog
          title="Reset Secret Key?"
          confirmLabel="Reset Secret Key"
          danger
          onConfirm={resetSecret}
          onCancel={() => setDialog("none")}
        >
          <p>
            A new Client Secret replaces your current one. <strong>The current secret stops working at once</strong>:
            every program that uses it must be given the new one.
          </p>
          <p>Your Client ID stays the same. Your current access key keeps working until you generate a new one.</p>
        </ConfirmDialog>
      ) : null}

      {dialog === "confirm-generate" ? (
        <ConfirmDialog
          title="Generate Access Key?"
          confirmLabel="Generate Access Key"
          danger
          onConfirm={generateAccessKey}
          onCancel={() => setDialog("none")}
        >
          <p>
            A new access key <strong>supersedes your current one</strong>: the current access key stops working at once,
            for every program that uses it (it is refused with the reason “superseded”).
          </p>
        </ConfirmDialog>
      ) : null}

      {newSecret ? (
        <Dialog
          title="Your new Client Secret"
          role="alertdialog"
          actions={
            <Button variant="primary" onClick={() => setNewSecret(null)}>
              OK
            </Button>
          }
        >
          <Notice kind="warning">
            <p>
              <strong>This is your only chance to see the full secret.</strong> Once you click “OK”, it cannot be shown
              again. Your previous secret no longer works.
            </p>
          </Notice>
          <dl class="kv">
            <dt>Client ID</dt>
            <dd>
              <code>{newSecret.client_id}</code>
            </dd>
          </dl>
          <SecretReveal label="Client Secret" value={newSecret.client_secret} />
        </Dialog>
      ) : null}
    </section>
  );
}
