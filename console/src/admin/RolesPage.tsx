// Roles & permissions (seed 001's permission model, docs/permissions.md):
// roles with their modules and step permission sets, applications and their
// steps, permission sets, and per user: role membership, application
// entitlements and build access. Everything through the policy API.
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import type { PageProps } from "../page";
import { Button, ConfirmDialog, Loading, Notice, Tabs } from "../components";
import type { Access, Application, Grants, PermissionSet, Role, User } from "./types";
import { enc, errorText } from "./util";

interface Model {
  modules: string[];
  applications: Application[];
  sets: PermissionSet[];
  roles: Role[];
  users: User[];
}

async function loadModel(): Promise<Model> {
  const [m, a, s, r, u] = await Promise.all([
    api<{ modules: string[] }>("GET", "/api/v1/modules"),
    api<{ applications: Application[] }>("GET", "/api/v1/applications"),
    api<{ permission_sets: PermissionSet[] }>("GET", "/api/v1/permission-sets"),
    api<{ roles: Role[] }>("GET", "/api/v1/roles"),
    api<{ users: User[] }>("GET", "/api/v1/users"),
  ]);
  const roles = await Promise.all(r.roles.map((role) => api<Role>("GET", `/api/v1/roles/${enc(role.id)}`)));
  return { modules: m.modules, applications: a.applications, sets: s.permission_sets, roles, users: u.users };
}

const TABS = [
  { id: "roles", label: "Roles" },
  { id: "applications", label: "Applications and steps" },
  { id: "sets", label: "Step permission sets" },
  { id: "grants", label: "Entitlements and build access" },
];

type Run = (what: () => Promise<unknown>, done: string) => Promise<boolean>;

export function RolesPage(_: PageProps) {
  const [model, setModel] = useState<Model | null>(null);
  const [loadError, setLoadError] = useState("");
  const [error, setError] = useState("");
  const [done, setDone] = useState("");
  const [busy, setBusy] = useState(false);
  const [tab, setTab] = useState("roles");

  const reload = () =>
    loadModel()
      .then((m) => {
        setModel(m);
        setLoadError("");
      })
      .catch((e) => setLoadError(errorText(e)));
  useEffect(() => {
    reload();
  }, []);

  const run: Run = async (what, text) => {
    setBusy(true);
    setError("");
    setDone("");
    try {
      await what();
      setDone(text);
      await reload();
      return true;
    } catch (e) {
      setError(errorText(e));
      return false;
    } finally {
      setBusy(false);
    }
  };

  if (loadError) return <Notice kind="error">Could not load the permission model: {loadError}</Notice>;
  if (!model) return <Loading what="Loading roles and permissions…" />;

  return (
    <div class="lk-admin">
      <div aria-live="polite">
        {error && <Notice kind="error">{error}</Notice>}
        {done && <Notice kind="success">{done}</Notice>}
      </div>
      <Tabs
        label="Parts of the permission model"
        tabs={TABS}
        selected={tab}
        onSelect={(id) => {
          setTab(id);
          setError("");
          setDone("");
        }}
        idPrefix="lk-roles-tab"
      >
        {tab === "roles" && <RolesSection model={model} run={run} busy={busy} />}
        {tab === "applications" && <ApplicationsSection model={model} run={run} busy={busy} />}
        {tab === "sets" && <SetsSection model={model} run={run} busy={busy} />}
        {tab === "grants" && <UserGrantsSection model={model} run={run} busy={busy} />}
      </Tabs>
    </div>
  );
}

interface SectionProps {
  model: Model;
  run: Run;
  busy: boolean;
}

const stepLabel = (model: Model, stepId: string): string => {
  for (const app of model.applications) {
    const step = app.steps.find((s) => s.id === stepId);
    if (step) return `${app.name} › ${step.name}`;
  }
  return stepId;
};
const userName = (model: Model, id: string) => model.users.find((u) => u.id === id)?.name ?? id;
const appName = (model: Model, id: string) => model.applications.find((a) => a.id === id)?.name ?? id;

function RolesSection({ model, run, busy }: SectionProps) {
  const [name, setName] = useState("");
  return (
    <section aria-labelledby="lk-roles" class="lk-card">
      <h2 id="lk-roles" tabIndex={-1}>
        Roles
      </h2>
      <p class="lk-hint">A role carries modules and step permission sets; its members get them. Name a service account's role for its integration.</p>
      <form
        class="lk-row"
        onSubmit={async (e) => {
          e.preventDefault();
          if (await run(() => api("POST", "/api/v1/roles", { body: { name: name.trim() } }), `Role ${name.trim()} created.`)) setName("");
        }}
      >
        <label class="lk-field">
          New role name
          <input required maxLength={128} value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="Integration: Risk Sync" />
        </label>
        <Button type="submit" disabled={busy || !name.trim()}>
          Create role
        </Button>
      </form>
      {model.roles.length === 0 && <p class="lk-empty">No roles yet.</p>}
      {model.roles.map((role) => (
        <RoleCard key={role.id} role={role} model={model} run={run} busy={busy} />
      ))}
    </section>
  );
}

function RoleCard({ role, model, run, busy }: SectionProps & { role: Role }) {
  const [module, setModule] = useState("");
  const [set, setSet] = useState("");
  const [deleting, setDeleting] = useState(false);
  const base = `/api/v1/roles/${enc(role.id)}`;
  const freeModules = model.modules.filter((m) => !role.modules.includes(m));
  const freeSets = model.sets.filter((s) => !role.permission_sets.includes(s.id));
  const headingId = `lk-role-${role.id}`;
  return (
    <article class="lk-subcard" aria-labelledby={headingId}>
      <h3 id={headingId}>{role.name}</h3>
      <p class="muted">
        {role.id} · members: {role.members && role.members.length ? role.members.map((id) => userName(model, id)).join(", ") : "none"}
      </p>
      <h4>Modules</h4>
      {role.modules.length === 0 ? (
        <p class="lk-empty">No modules.</p>
      ) : (
        <ul class="lk-chips">
          {role.modules.map((m) => (
            <li key={m}>
              {m}{" "}
              <Button disabled={busy}
                aria-label={`Remove module ${m} from ${role.name}`}
                onClick={() => run(() => api("DELETE", `${base}/modules/${enc(m)}`), `Module ${m} removed from ${role.name}.`)}
              >
                Remove
              </Button>
            </li>
          ))}
        </ul>
      )}
      {freeModules.length > 0 && (
        <div class="lk-row">
          <label class="lk-field lk-narrow">
            Module to attach
            <select value={module} onChange={(e) => setModule(e.currentTarget.value)}>
              <option value="">Choose…</option>
              {freeModules.map((m) => (
                <option key={m} value={m}>
                  {m}
                </option>
              ))}
            </select>
          </label>
          <Button disabled={busy || !module}
            onClick={async () => {
              if (await run(() => api("PUT", `${base}/modules/${enc(module)}`), `Module ${module} attached to ${role.name}.`)) setModule("");
            }}
          >
            Attach module
          </Button>
        </div>
      )}
      <h4>Step permission sets</h4>
      {role.permission_sets.length === 0 ? (
        <p class="lk-empty">No step permission set: members see no Records through this role.</p>
      ) : (
        <ul class="lk-chips">
          {role.permission_sets.map((id) => {
            const name = model.sets.find((s) => s.id === id)?.name ?? id;
            return (
              <li key={id}>
                {name}{" "}
                <Button disabled={busy}
                  aria-label={`Detach ${name} from ${role.name}`}
                  onClick={() => run(() => api("DELETE", `${base}/permission-sets/${enc(id)}`), `${name} detached from ${role.name}.`)}
                >
                  Detach
                </Button>
              </li>
            );
          })}
        </ul>
      )}
      {freeSets.length > 0 && (
        <div class="lk-row">
          <label class="lk-field lk-narrow">
            Permission set to attach
            <select value={set} onChange={(e) => setSet(e.currentTarget.value)}>
              <option value="">Choose…</option>
              {freeSets.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          </label>
          <Button disabled={busy || !set}
            onClick={async () => {
              if (await run(() => api("PUT", `${base}/permission-sets/${enc(set)}`), `Permission set attached to ${role.name}.`)) setSet("");
            }}
          >
            Attach permission set
          </Button>
        </div>
      )}
      <Button variant="danger" disabled={busy} onClick={() => setDeleting(true)}>
        Delete role
      </Button>
      {deleting && (
        <ConfirmDialog
          title={`Delete the role ${role.name}?`}
          confirmLabel="Delete role"
          danger
          onCancel={() => setDeleting(false)}
          onConfirm={async () => {
            setDeleting(false);
            await run(() => api("DELETE", base), `Role ${role.name} deleted.`);
          }}
        >
          <p>Its members ({role.members?.length ?? 0}) lose its modules and step permission sets at once.</p>
        </ConfirmDialog>
      )}
    </article>
  );
}

function ApplicationsSection({ model, run, busy }: SectionProps) {
  const [name, setName] = useState("");
  const [origin, setOrigin] = useState("");
  const [others, setOthers] = useState("");
  const create = async (e: Event) => {
    e.preventDefault();
    const steps = [
      { name: origin.trim(), origin: true },
      ...others
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
        .map((s) => ({ name: s, origin: false })),
    ];
    if (await run(() => api("POST", "/api/v1/applications", { body: { name: name.trim(), steps } }), `Application ${name.trim()} created.`)) {
      setName("");
      setOrigin("");
      setOthers("");
    }
  };
  return (
    <section aria-labelledby="lk-apps" class="lk-card">
      <h2 id="lk-apps" tabIndex={-1}>
        Applications and steps
      </h2>
      <form class="lk-row" onSubmit={create}>
        <label class="lk-field">
          Application name
          <input required maxLength={128} value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="Risk Register" />
        </label>
        <label class="lk-field">
          Origin step
          <input required maxLength={128} value={origin} onInput={(e) => setOrigin(e.currentTarget.value)} placeholder="Intake" />
        </label>
        <label class="lk-field">
          Other steps (comma-separated)
          <input value={others} onInput={(e) => setOthers(e.currentTarget.value)} placeholder="Review, Approve" />
        </label>
        <Button type="submit" disabled={busy || !name.trim() || !origin.trim()}>
          Create application
        </Button>
      </form>
      {model.applications.length === 0 && <p class="lk-empty">No applications yet.</p>}
      {model.applications.map((app) => (
        <AppCard key={app.id} app={app} run={run} busy={busy} />
      ))}
    </section>
  );
}

function AppCard({ app, run, busy }: { app: Application; run: Run; busy: boolean }) {
  const [step, setStep] = useState("");
  const headingId = `lk-app-${app.id}`;
  return (
    <article class="lk-subcard" aria-labelledby={headingId}>
      <h3 id={headingId}>{app.name}</h3>
      <p class="muted">{app.id}</p>
      <ol class="lk-steps">
        {app.steps.map((s) => (
          <li key={s.id}>
            {s.name}
            {s.origin && <strong> (origin step)</strong>} <span class="muted">{s.id}</span>
          </li>
        ))}
      </ol>
      <form
        class="lk-row"
        onSubmit={async (e) => {
          e.preventDefault();
          if (await run(() => api("POST", `/api/v1/applications/${enc(app.id)}/steps`, { body: { name: step.trim() } }), `Step ${step.trim()} added to ${app.name}.`))
            setStep("");
        }}
      >
        <label class="lk-field lk-narrow">
          New step of {app.name}
          <input required maxLength={128} value={step} onInput={(e) => setStep(e.currentTarget.value)} />
        </label>
        <Button type="submit" disabled={busy || !step.trim()}>
          Add step
        </Button>
      </form>
    </article>
  );
}

function StepAccessPicker({
  model,
  onPick,
  busy,
  label,
}: {
  model: Model;
  onPick: (step: string, access: Access) => Promise<boolean>;
  busy: boolean;
  label: string;
}) {
  const [step, setStep] = useState("");
  const [access, setAccess] = useState<Access>("read");
  return (
    <div class="lk-row">
      <label class="lk-field">
        Step
        <select value={step} onChange={(e) => setStep(e.currentTarget.value)}>
          <option value="">Choose…</option>
          {model.applications.map((app) => (
            <optgroup label={app.name} key={app.id}>
              {app.steps.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                  {s.origin ? " (origin)" : ""}
                </option>
              ))}
            </optgroup>
          ))}
        </select>
      </label>
      <label class="lk-field lk-narrow">
        Access
        <select value={access} onChange={(e) => setAccess(e.currentTarget.value as Access)}>
          <option value="read">Read</option>
          <option value="edit">Edit</option>
        </select>
      </label>
      <Button disabled={busy || !step}
        onClick={async () => {
          if (await onPick(step, access)) setStep("");
        }}
      >
        {label}
      </Button>
    </div>
  );
}

function SetsSection({ model, run, busy }: SectionProps) {
  const [name, setName] = useState("");
  return (
    <section aria-labelledby="lk-sets" class="lk-card">
      <h2 id="lk-sets" tabIndex={-1}>
        Step permission sets
      </h2>
      <p class="lk-hint">Read or Edit on steps. Attached to roles; a user with none sees no Records.</p>
      {model.applications.length === 0 ? (
        <p class="lk-empty">Create an application first: a permission set needs at least one step.</p>
      ) : (
        <fieldset class="lk-inline-group">
          <legend>New permission set</legend>
          <label class="lk-field">
            Name
            <input maxLength={128} value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="Risk Sync steps" />
          </label>
          <StepAccessPicker
            model={model}
            busy={busy || !name.trim()}
            label="Create with this step"
            onPick={async (step, access) => {
              const ok = await run(
                () => api("POST", "/api/v1/permission-sets", { body: { name: name.trim(), steps: { [step]: access } } }),
                `Permission set ${name.trim()} created.`,
              );
              if (ok) setName("");
              return ok;
            }}
          />
        </fieldset>
      )}
      {model.sets.length === 0 && <p class="lk-empty">No permission sets yet.</p>}
      {model.sets.map((set) => {
        const headingId = `lk-set-${set.id}`;
        const base = `/api/v1/permission-sets/${enc(set.id)}/steps`;
        return (
          <article class="lk-subcard" key={set.id} aria-labelledby={headingId}>
            <h3 id={headingId}>{set.name}</h3>
            <ul class="lk-chips">
              {Object.entries(set.steps).map(([step, access]) => (
                <li key={step}>
                  {stepLabel(model, step)}: {access === "edit" ? "Edit" : "Read"}{" "}
                  <Button disabled={busy}
                    aria-label={`Remove ${stepLabel(model, step)} from ${set.name}`}
                    onClick={() => run(() => api("DELETE", `${base}/${enc(step)}`), `Step removed from ${set.name}.`)}
                  >
                    Remove
                  </Button>
                </li>
              ))}
            </ul>
            <StepAccessPicker
              model={model}
              busy={busy}
              label={`Set step access in ${set.name}`}
              onPick={(step, access) => run(() => api("PUT", `${base}/${enc(step)}`, { body: { access } }), `${set.name} updated.`)}
            />
          </article>
        );
      })}
    </section>
  );
}

function UserGrantsSection({ model, run, busy }: SectionProps) {
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
