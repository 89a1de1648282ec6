// One user's grants: role membership, application entitlements, build access.
import { useEffect, useState } from "preact/hooks";
import { api } from "../../api";
import { Button, Loading, Notice } from "../../components";
import type { Access, Grants } from "../types";
import { enc, errorText } from "../util";
import { appName, type SectionProps, userName } from "./model";

export function UserGrantsTab({ model, run, busy }: SectionProps) {
  const [userId, setUserId] = useState("");
  const [grants, setGrants] = useState<Grants | null>(null);
  const [error, setError] = useState("");
  const [role, setRole] = useState("");
  const [app, setApp] = useState("");
  const [access, setAccess] = useState<Access>("read");
  const [buildApp, setBuildApp] = useState("");

  const load = (id: string) => {
    setGrants(null);
    setError("");
    if (!id) return;
    api<Grants>("GET", `/api/v1/users/${enc(id)}/grants`)
      .then(setGrants)
      .catch((e) => setError(errorText(e)));
  };
  useEffect(() => load(userId), [userId, model]);

  const base = `/api/v1/users/${enc(userId)}`;
  const who = userName(model, userId);
  return (
    <section aria-labelledby="lk-user-grants" class="lk-card">
      <h2 id="lk-user-grants" tabIndex={-1}>
        Entitlements and build access
      </h2>
      <p class="lk-hint">Application entitlements and build access are granted to a user, not to a role; role membership is granted here too.</p>
      <label class="lk-field">
        User
        <select value={userId} onChange={(e) => setUserId(e.currentTarget.value)}>
          <option value="">Choose a user…</option>
          {model.users.map((u) => (
            <option key={u.id} value={u.id}>
              {u.name} ({u.type === "service" ? "service account" : "human"})
            </option>
          ))}
        </select>
      </label>
      {error && <Notice kind="error">{error}</Notice>}
      {userId && !grants && !error && <Loading what="Loading grants…" />}
      {grants && (
        <div class="lk-grid">
          <div>
            <h3>Roles of {who}</h3>
            {grants.roles.length === 0 ? (
              <p class="lk-empty">No roles.</p>
            ) : (
              <ul class="lk-chips">
                {grants.roles.map((r) => (
                  <li key={r.id}>
                    {r.name}{" "}
                    <Button disabled={busy}
                      aria-label={`Remove ${who} from ${r.name}`}
                      onClick={() => run(() => api("DELETE", `${base}/roles/${enc(r.id)}`), `${who} removed from ${r.name}.`)}
                    >
                      Remove
                    </Button>
                  </li>
                ))}
              </ul>
            )}
            <div class="lk-row">
              <label class="lk-field lk-narrow">
                Role to grant
                <select value={role} onChange={(e) => setRole(e.currentTarget.value)}>
                  <option value="">Choose…</option>
                  {model.roles
                    .filter((r) => !grants.roles.some((g) => g.id === r.id))
                    .map((r) => (
                      <option key={r.id} value={r.id}>
                        {r.name}
                      </option>
                    ))}
                </select>
              </label>
              <Button disabled={busy || !role} onClick={() => run(() => api("PUT", `${base}/roles/${enc(role)}`), `Role granted to ${who}.`)}>
                Grant role
              </Button>
            </div>
          </div>
          <div>
            <h3>Application entitlements of {who}</h3>
            {Object.keys(grants.entitlements).length === 0 ? (
              <p class="lk-empty">No application entitlements: {who} sees nothing in any application.</p>
            ) : (
              <ul class="lk-chips">
                {Object.entries(grants.entitlements).map(([a, level]) => (
                  <li key={a}>
                    {appName(model, a)}: {level === "edit" ? "Edit" : "Read"}{" "}
                    <Button disabled={busy}
                      aria-label={`Revoke the entitlement of ${who} on ${appName(model, a)}`}
                      onClick={() => run(() => api("DELETE", `${base}/entitlements/${enc(a)}`), `Entitlement revoked.`)}
                    >
                      Revoke
                    </Button>
                  </li>
                ))}
              </ul>
            )}
            <div class="lk-row">
              <label class="lk-field lk-narrow">
                Application
                <select value={app} onChange={(e) => setApp(e.currentTarget.value)}>
                  <option value="">Choose…</option>
                  {model.applications.map((a) => (
                    <option key={a.id} value={a.id}>
                      {a.name}
                    </option>
                  ))}
                </select>
              </label>
              <label class="lk-field lk-narrow">
                Entitlement
                <select value={access} onChange={(e) => setAccess(e.currentTarget.value as Access)}>
                  <option value="read">Read</option>
                  <option value="edit">Edit</option>
                </select>
              </label>
              <Button disabled={busy || !app}
                onClick={() => run(() => api("PUT", `${base}/entitlements/${enc(app)}`, { body: { access } }), `Entitlement set for ${who}.`)}
              >
                Set entitlement
              </Button>
            </div>
          </div>
          <div>
            <h3>Build access of {who}</h3>
            {grants.build_access.length === 0 ? (
              <p class="lk-empty">No build access.</p>
            ) : (
              <ul class="lk-chips">
                {grants.build_access.map((a) => (
                  <li key={a}>
                    {appName(model, a)}{" "}
                    <Button disabled={busy}
                      aria-label={`Revoke build access of ${who} on ${appName(model, a)}`}
                      onClick={() => run(() => api("DELETE", `${base}/build-access/${enc(a)}`), `Build access revoked.`)}
                    >
                      Revoke
                    </Button>
                  </li>
                ))}
              </ul>
            )}
            <div class="lk-row">
              <label class="lk-field lk-narrow">
                Application for build access
                <select value={buildApp} onChange={(e) => setBuildApp(e.currentTarget.value)}>
                  <option value="">Choose…</option>
                  {model.applications
                    .filter((a) => !grants.build_access.includes(a.id))
                    .map((a) => (
                      <option key={a.id} value={a.id}>
                        {a.name}
                      </option>
                    ))}
                </select>
              </label>
              <Button disabled={busy || !buildApp}
                onClick={() => run(() => api("PUT", `${base}/build-access/${enc(buildApp)}`), `Build access granted to ${who}.`)}
              >
                Grant build access
              </Button>
            </div>
          </div>
        </div>
      )}
    </section>
  );
}
