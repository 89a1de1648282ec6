// "Provisioning a Service Account" (seed 001): the nine steps as one guided
// form, run in the seed's order, ending with the decision table of exactly
// what the account may do (what POST /v1/authorize answers the account's own
// token, asked through the administrators' what-if) and the least-privilege
// warnings.
import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api";
import type { PageProps } from "../page";
import { Button, Loading, Notice } from "../components";
import { Link } from "../router";
import { OneTimeSecret } from "./bits";
import { WizardSummary, type SummaryInput } from "./WizardSummary";
import type { Access, Application, PermissionSet, Role, User } from "./types";
import { enc, errorText } from "./util";
import { NEEDS, STEP_TITLES } from "./wizardSteps";

type StepStatus = "waiting" | "running" | "done" | "skipped" | "failed";
interface Progress {
  status: StepStatus;
  detail: string;
}

const stronger = (a: Access | "", b: Access | ""): Access | "" => (a === "edit" || b === "edit" ? "edit" : a || b);

// The page: a fresh form for each service account ("Provision another").
export function ServiceAccountWizard(_: PageProps) {
  const [round, setRound] = useState(0);
  return <WizardForm key={round} restarted={round > 0} onRestart={() => setRound(round + 1)} />;
}

function WizardForm({ restarted, onRestart }: { restarted: boolean; onRestart: () => void }) {
  const nameField = useRef<HTMLInputElement>(null);
  const [modules, setModules] = useState<string[] | null>(null);
  const [applications, setApplications] = useState<Application[] | null>(null);
  const [loadError, setLoadError] = useState("");

  const [name, setName] = useState("");
  const [apiAccess, setApiAccess] = useState(true);
  const [generateSecret, setGenerateSecret] = useState(true);
  const [roleName, setRoleName] = useState("");
  const [roleNameTouched, setRoleNameTouched] = useState(false);
  const [roleModules, setRoleModules] = useState<Set<string>>(new Set());
  const [stepAccess, setStepAccess] = useState<Record<string, Access | "">>({});
  const [permissionSetName, setPermissionSetName] = useState("");
  const [entitlements, setEntitlements] = useState<Record<string, Access | "">>({});
  const [buildAccess, setBuildAccess] = useState<Set<string>>(new Set());
  const [grantRole, setGrantRole] = useState(true);
  const [need, setNeed] = useState(NEEDS[1].id);
  const [needApp, setNeedApp] = useState("");
  const [applied, setApplied] = useState("");

  const [progress, setProgress] = useState<Progress[] | null>(null);
  const [running, setRunning] = useState(false);
  const [failure, setFailure] = useState("");
  const [secret, setSecret] = useState<{ clientId: string; secret: string } | null>(null);
  const [summary, setSummary] = useState<SummaryInput | null>(null);
  const progressHeading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    Promise.all([
      api<{ modules: string[] }>("GET", "/api/v1/modules"),
      api<{ applications: Application[] }>("GET", "/api/v1/applications"),
    ])
      .then(([m, a]) => {
        setModules(m.modules);
        setApplications(a.applications);
        if (a.applications.length) setNeedApp(a.applications[0].id);
        if (restarted) setTimeout(() => nameField.current?.focus(), 0);
      })
      .catch((e) => setLoadError(errorText(e)));
  }, []);

  const effectiveRoleName = roleNameTouched ? roleName : name.trim() ? `Integration: ${name.trim()}` : "";
  const effectiveSetName = permissionSetName || (effectiveRoleName ? `${effectiveRoleName} steps` : "");

  const applyNeed = () => {
    const chosen = NEEDS.find((n) => n.id === need)!;
    const app = applications?.find((a) => a.id === needApp);
    if (!app) return;
    setRoleModules((old) => new Set([...old, ...chosen.modules]));
    setEntitlements((old) => ({ ...old, [app.id]: stronger(old[app.id] ?? "", chosen.entitlement) }));
    setStepAccess((old) => {
      const next = { ...old };
      for (const step of app.steps) {
        const wanted: Access | "" =
          chosen.steps === "all-edit" ? "edit" : chosen.steps === "all-read" ? "read" : chosen.steps === "origin-edit" && step.origin ? "edit" : "";
        next[step.id] = stronger(next[step.id] ?? "", wanted);
      }
      return next;
    });
    if (chosen.build) setBuildAccess((old) => new Set([...old, app.id]));
    setApplied(`Filled in “${chosen.label}” for ${app.name}: review steps 5 to 8 below.`);
  };

  const setStatus = (index: number, status: StepStatus, detail = "") =>
    setProgress((old) => old && old.map((p, i) => (i === index ? { status, detail } : p)));

  const provision = async (event: Event) => {
    event.preventDefault();
    if (!applications) return;
    setRunning(true);
    setFailure("");
    setSecret(null);
    setSummary(null);
    setProgress(STEP_TITLES.map(() => ({ status: "waiting", detail: "" })));
    setTimeout(() => progressHeading.current?.focus(), 0);

    let index = 0;
    const step = async (work: () => Promise<string | null>) => {
      setStatus(index, "running");
      const detail = await work();
      setStatus(index, detail === null ? "skipped" : "done", detail ?? "not asked for");
      index++;
    };
    // What the steps made so far (filled in by the closures below).
    const made: { user?: User; role?: Role; secret?: { clientId: string; secret: string } } = {};
    const chosenSteps = Object.entries(stepAccess).filter(([, a]) => a) as [string, Access][];
    const chosenEntitlements = Object.entries(entitlements).filter(([, a]) => a) as [string, Access][];
    try {
      await step(async () => {
        made.user = await api<User>("POST", "/api/v1/users", { body: { name: name.trim(), type: "service", api_access: false } });
        return `${made.user.name} (${made.user.id})`;
      });
      const id = enc(made.user!.id);
      await step(async () => {
        if (!apiAccess) return null;
        await api("PATCH", `/api/v1/users/${id}`, { body: { api_access: true } });
        return "API access is on";
      });
      await step(async () => {
        if (!generateSecret) return null;
        const issued = await api<{ client_id: string; client_secret: string }>("POST", `/api/v1/users/${id}/access-key`);
        made.secret = { clientId: issued.client_id, secret: issued.client_secret };
        return `Client ID ${issued.client_id}; the secret is shown once, at the end`;
      });
      await step(async () => {
        made.role = await api<Role>("POST", "/api/v1/roles", { body: { name: effectiveRoleName } });
        return `${made.role.name} (${made.role.id})`;
      });
      const roleId = enc(made.role!.id);
      await step(async () => {
        if (roleModules.size === 0) return null;
        for (const module of roleModules) await api("PUT", `/api/v1/roles/${roleId}/modules/${enc(module)}`);
        return [...roleModules].join(", ");
      });
      await step(async () => {
        if (chosenSteps.length === 0) return null;
        const set = await api<PermissionSet>("POST", "/api/v1/permission-sets", {
          body: { name: effectiveSetName, steps: Object.fromEntries(chosenSteps) },
        });
        await api("PUT", `/api/v1/roles/${roleId}/permission-sets/${enc(set.id)}`);
        return `${set.name} (${set.id}), ${chosenSteps.length} step(s)`;
      });
      await step(async () => {
        if (chosenEntitlements.length === 0) return null;
        for (const [app, access] of chosenEntitlements)
          await api("PUT", `/api/v1/users/${id}/entitlements/${enc(app)}`, { body: { access } });
        return chosenEntitlements.map(([app, access]) => `${appName(applications, app)}: ${access === "edit" ? "Edit" : "Read"}`).join(", ");
      });
      await step(async () => {
        if (buildAccess.size === 0) return null;
        for (const app of buildAccess) await api("PUT", `/api/v1/users/${id}/build-access/${enc(app)}`);
        return [...buildAccess].map((app) => appName(applications, app)).join(", ");
      });
      await step(async () => {
        if (!grantRole) return null;
        await api("PUT", `/api/v1/users/${id}/roles/${roleId}`);
        return `${made.user!.name} is a member of ${made.role!.name}`;
      });
      setSummary({ user: made.user!, applications });
      if (made.secret) setSecret(made.secret);
    } catch (e) {
      if (made.secret) setSecret(made.secret);
      setStatus(index, "failed", errorText(e));
      setFailure(
        `Step ${index + 1}, “${STEP_TITLES[index]}”, failed: ${errorText(e)}. ` +
          (made.user ? `The steps before it were done: ${made.user.name} exists; finish or undo it from Manage Users and Roles & permissions.` : "Nothing was created."),
      );
    } finally {
      setRunning(false);
    }
  };

  if (loadError) return <Notice kind="error">Could not load modules and applications: {loadError}</Notice>;
  if (!modules || !applications) return <Loading what="Loading modules and applications…" />;

  const locked = running || progress !== null;
  return (
    <div class="lk-admin lk-wizard">
      <p class="lk-hint">
        Seed 001, “Provisioning a Service Account”: fill in the nine steps, then provision. Each step is sent to the server in this order;
        at the end you see exactly what the account may do.
      </p>
      <form onSubmit={provision}>
        <fieldset disabled={locked} class="lk-card">
          <legend>1. {STEP_TITLES[0]}</legend>
          <label class="lk-field">
            Name of the service account
            <input
              ref={nameField}
              required
              maxLength={128}
              value={name}
              onInput={(e) => setName(e.currentTarget.value)}
              autoComplete="off"
              aria-describedby="lk-wz-name-hint"
            />
          </label>
          <p id="lk-wz-name-hint" class="lk-hint">
            One service account per integration is the right default: its token, audit trail and permissions stay its own.
          </p>
        </fieldset>

        <fieldset disabled={locked} class="lk-card">
          <legend>2. {STEP_TITLES[1]}</legend>
          <label class="lk-check">
            <input type="checkbox" checked={apiAccess} onChange={(e) => setApiAccess(e.currentTarget.checked)} /> API access
          </label>
          <p class="lk-hint">Without it, no credentials generated for the account work: every call answers 401.</p>
        </fieldset>

        <fieldset disabled={locked} class="lk-card">
          <legend>3. {STEP_TITLES[2]}</legend>
          <label class="lk-check">
            <input type="checkbox" checked={generateSecret} onChange={(e) => setGenerateSecret(e.currentTarget.checked)} /> Generate the Client ID and Client
            Secret
          </label>
          <p class="lk-hint">The secret is shown once, after provisioning.</p>
        </fieldset>

        <fieldset disabled={locked} class="lk-card">
          <legend>4. {STEP_TITLES[3]}</legend>
          <label class="lk-field">
            Role name
            <input
              required
              maxLength={128}
              value={effectiveRoleName}
              onInput={(e) => {
                setRoleNameTouched(true);
                setRoleName(e.currentTarget.value);
              }}
            />
          </label>
          <p class="lk-hint">Name it for the integration, e.g. “Integration: Risk Sync”: its permissions are then auditable in one place.</p>
        </fieldset>

        <section class="lk-card" aria-labelledby="lk-wz-needs">
          <h2 id="lk-wz-needs">Start from a common need (optional)</h2>
          {applications.length === 0 ? (
            <p class="lk-empty">
              No applications exist yet, so steps 6 to 8 have nothing to grant.{" "}
              <Link to="/roles">
                Create an application in Roles & permissions
              </Link>
              .
            </p>
          ) : (
            <div class="lk-row">
              <label class="lk-field">
                What the integration does
                <select value={need} disabled={locked} onChange={(e) => setNeed(e.currentTarget.value)}>
                  {NEEDS.map((n) => (
                    <option value={n.id} key={n.id}>
                      {n.label}
                    </option>
                  ))}
                </select>
              </label>
              <label class="lk-field">
                On the application
                <select value={needApp} disabled={locked} onChange={(e) => setNeedApp(e.currentTarget.value)}>
                  {applications.map((a) => (
                    <option value={a.id} key={a.id}>
                      {a.name}
                    </option>
                  ))}
                </select>
              </label>
              <Button disabled={locked} onClick={applyNeed}>
                Fill in steps 5 to 8
              </Button>
            </div>
          )}
          {applied && <Notice kind="info">{applied}</Notice>}
        </section>

        <fieldset disabled={locked} class="lk-card">
          <legend>5. {STEP_TITLES[4]}</legend>
          <p class="lk-hint">Most integrations need a small set; reading Records needs none.</p>
          <div class="lk-checks">
            {modules.map((m) => (
              <label class="lk-check" key={m}>
                <input
                  type="checkbox"
                  checked={roleModules.has(m)}
                  onChange={(e) => {
                    const next = new Set(roleModules);
                    if (e.currentTarget.checked) next.add(m);
                    else next.delete(m);
                    setRoleModules(next);
                  }}
                />{" "}
                {m}
              </label>
            ))}
          </div>
          {roleModules.has("ADMIN") && (
            <Notice kind="error">
              ADMIN on a service account makes audit trails meaningless and least privilege impossible (seed 001). Grant only what the integration
              does.
            </Notice>
          )}
        </fieldset>

        <fieldset disabled={locked} class="lk-card">
          <legend>6. {STEP_TITLES[5]}</legend>
          <p class="lk-hint">Read or Edit on exactly the Steps the integration reads from or writes to. Without any, the account sees no Records.</p>
          {applications.length > 0 && (
            <label class="lk-field">
              Permission set name
              <input value={effectiveSetName} maxLength={128} onInput={(e) => setPermissionSetName(e.currentTarget.value)} />
            </label>
          )}
          {applications.map((app) => (
            <fieldset class="lk-inline-group" key={app.id}>
              <legend>{app.name}</legend>
              {app.steps.map((step) => (
                <AccessOrNone
                  key={step.id}
                  label={step.origin ? `${step.name} (origin)` : step.name}
                  value={stepAccess[step.id] ?? ""}
                  onChange={(value) => setStepAccess({ ...stepAccess, [step.id]: value })}
                />
              ))}
            </fieldset>
          ))}
        </fieldset>

        <fieldset disabled={locked} class="lk-card">
          <legend>7. {STEP_TITLES[6]}</legend>
          <p class="lk-hint">Read or Edit depending on what the integration does; Edit includes Read.</p>
          {applications.length === 0 && <p class="lk-empty">No applications.</p>}
          {applications.map((app) => (
            <AccessOrNone
              key={app.id}
              label={app.name}
              value={entitlements[app.id] ?? ""}
              onChange={(value) => setEntitlements({ ...entitlements, [app.id]: value })}
            />
          ))}
        </fieldset>

        <fieldset disabled={locked} class="lk-card">
          <legend>8. {STEP_TITLES[7]}</legend>
          <p class="lk-hint">Only if the integration creates or modifies Workflow design. Most integrations operate only on Records.</p>
          {applications.length === 0 && <p class="lk-empty">No applications.</p>}
          {applications.map((app) => (
            <label class="lk-check" key={app.id}>
              <input
                type="checkbox"
                checked={buildAccess.has(app.id)}
                onChange={(e) => {
                  const next = new Set(buildAccess);
                  if (e.currentTarget.checked) next.add(app.id);
                  else next.delete(app.id);
                  setBuildAccess(next);
                }}
              />{" "}
              Build Access on {app.name}
            </label>
          ))}
        </fieldset>

        <fieldset disabled={locked} class="lk-card">
          <legend>9. {STEP_TITLES[8]}</legend>
          <label class="lk-check">
            <input type="checkbox" checked={grantRole} onChange={(e) => setGrantRole(e.currentTarget.checked)} /> Make the account a member of{" "}
            {effectiveRoleName || "the role"}
          </label>
          <p class="lk-hint">Avoid placing the service account in unrelated Roles: extra Role membership leaks unintended permissions.</p>
        </fieldset>

        {!locked && (
          <Button type="submit" variant="primary" disabled={!name.trim() || !effectiveRoleName.trim()}>
            Provision service account
          </Button>
        )}
      </form>

      {progress && (
        <section class="lk-card" aria-labelledby="lk-wz-progress">
          <h2 id="lk-wz-progress" tabIndex={-1} ref={progressHeading}>
            Provisioning {name.trim()}
          </h2>
          <ol class="lk-progress" aria-live="polite">
            {progress.map((p, i) => (
              <li key={STEP_TITLES[i]} class={`lk-step-${p.status}`}>
                <span class="lk-step-title">{STEP_TITLES[i]}</span>: <strong>{statusText(p.status)}</strong>
                {p.detail && <span class="muted"> — {p.detail}</span>}
              </li>
            ))}
          </ol>
          {failure && <Notice kind="error">{failure}</Notice>}
        </section>
      )}

      {secret && (
        <OneTimeSecret
          title={`Client Secret of ${name.trim()}`}
          label={`Client Secret (Client ID ${secret.clientId})`}
          value={secret.secret}
          warning="This is the only time the Client Secret is shown. Store it in the integration's secret store now; it cannot be retrieved again (reset it to get a new one)."
          onDone={() => setSecret(null)}
          fallbackFocus={() => document.getElementById("lk-wz-summary") ?? progressHeading.current}
        />
      )}

      {summary && <WizardSummary input={summary} />}
      {progress && !running && (
        <p>
          <Button onClick={onRestart}>Provision another service account</Button>
        </p>
      )}
    </div>
  );
}

function appName(applications: Application[], id: string): string {
  return applications.find((a) => a.id === id)?.name ?? id;
}

function statusText(status: StepStatus): string {
  return { waiting: "waiting", running: "in progress…", done: "done", skipped: "skipped", failed: "failed" }[status];
}

// A labelled None / Read / Edit choice (steps 6 and 7 of the wizard).
function AccessOrNone({
  label,
  value,
  onChange,
}: {
  label: string;
  value: Access | "";
  onChange: (value: Access | "") => void;
}) {
  return (
    <label class="lk-field lk-narrow">
      {label}
      <select value={value} onChange={(e) => onChange(e.currentTarget.value as Access | "")}>
        <option value="">None</option>
        <option value="read">Read</option>
        <option value="edit">Edit</option>
      </select>
    </label>
  );
}
