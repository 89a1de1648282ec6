// The end of the service account wizard: what the account may do, decided
// by the server as POST /v1/authorize would for the account's own token
// (asked through POST /api/v1/users/{id}/authorize, with no token of the
// account), and the least-privilege warnings (seed 001, "Least Privilege").
import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api";
import { Loading, Notice, Table } from "../components";
import { Link } from "../router";
import { decide, plannedRows, touchedApplications, type Decided, type DecisionRow } from "./decisions";
import type { Application, Grants, LeastPrivilegeReport, User } from "./types";
import { enc, errorText } from "./util";

export interface SummaryInput {
  user: User;
  applications: Application[];
}

type Outcome = Decided;

const FLAG_TEXT: Record<string, string> = {
  admin_on_service_account: "The account holds ADMIN: audit trails become meaningless and least privilege impossible (seed 001).",
  admin_unused: "ADMIN is granted but was never used.",
  unused_modules: "Some modules are granted but were never used in the audit window.",
  unused_roles: "Some roles were never used in the audit window.",
  unused_entitlements: "Some application entitlements were never used in the audit window.",
};

export function WizardSummary({ input }: { input: SummaryInput }) {
  const { user, applications } = input;
  const [grants, setGrants] = useState<Grants | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [serverFlags, setServerFlags] = useState<string[] | null>(null);
  const [error, setError] = useState("");
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    (async () => {
      try {
        const g = await api<Grants>("GET", `/api/v1/users/${enc(user.id)}/grants`);
        setGrants(g);
        // The what-if checks below are the administrator's, never the
        // account's use, so the report may be read at any time.
        try {
          const report = await api<LeastPrivilegeReport>("GET", "/api/v1/reports/least-privilege?days=30");
          setServerFlags(report.principals.find((p) => p.user_id === user.id)?.flags ?? []);
        } catch {
          setServerFlags(null);
        }
        const rows = plannedRows(touchedApplications(applications, g));
        // With no row to ask, the account's state says what /v1/authorize
        // would answer its token (the rows' answers say it otherwise).
        const now = await api<User>("GET", `/api/v1/users/${enc(user.id)}`);
        if (rows.length === 0 && (now.disabled || !now.api_access)) {
          setOutcome(
            now.disabled
              ? { kind: "refused", status: 401, reason: "user_disabled", message: "the account is disabled" }
              : { kind: "refused", status: 401, reason: "api_access_disabled", message: "API access is not enabled for the account" },
          );
          return;
        }
        setOutcome(await decide(user.id, rows, applications));
      } catch (e) {
        setError(errorText(e));
      }
    })();
  }, [user.id]);

  useEffect(() => {
    if (outcome) heading.current?.focus();
  }, [outcome]);

  if (error) return <Notice kind="error">Could not build the summary: {error}</Notice>;
  if (!grants || !outcome) return <Loading what="Loading the decision table (asking the server for each action)…" />;

  // The server's report (GET /api/v1/reports/least-privilege) judges use
  // over the audit window, which for a new account is empty: only its
  // structural ADMIN flag says something here; the rest is judged against
  // the decision table.
  const shownWarnings = [
    ...localWarnings(grants, outcome, applications),
    ...(serverFlags ?? []).filter((f) => f === "admin_on_service_account" && !grants.modules.concat(grants.roles.flatMap((r) => r.modules)).includes("ADMIN")).map((f) => FLAG_TEXT[f] ?? f),
  ];
  const apps = touchedApplications(applications, grants);
  return (
    <section class="lk-card lk-summary" aria-labelledby="lk-wz-summary">
      <h2 id="lk-wz-summary" tabIndex={-1} ref={heading}>
        What {user.name} may do
      </h2>
      {outcome.kind === "refused" && (
        <Notice kind="error">
          The server refuses the account's credentials ({outcome.status}, {outcome.reason}): {outcome.message}. Every call of the integration
          will be refused until this is fixed{outcome.reason === "api_access_disabled" ? " by turning on API access" : ""}.
        </Notice>
      )}
      {outcome.kind === "decided" && (
        <>
          <p class="lk-hint">
            Each row is what the server's decision API (POST /v1/authorize) answers the account's own token, asked by you without one. These
            checks appear in the audit trail as yours (policy.what_if, integration “latchkey-console-wizard”) and never count as the account's
            use.
          </p>
          {apps.length === 0 && <p class="lk-empty">The account has no grant on any application: it may do nothing with Records or designs.</p>}
          {apps.map((app) => (
            <DecisionTable key={app.id} app={app} rows={outcome.rows.filter((r) => r.application.id === app.id)} />
          ))}
        </>
      )}

      <h3>Least privilege</h3>
      {shownWarnings.length === 0 ? (
        <Notice kind="success">No warning: every grant is needed by an allowed action above.</Notice>
      ) : (
        <ul class="lk-warnings" data-testid="least-privilege-warnings">
          {shownWarnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      )}
      <p>
        <Link to={`/users/${enc(user.id)}`}>
          Open the profile of {user.name}
        </Link>{" "}
        ·{" "}
        <Link to="/users">
          Manage Users
        </Link>
      </p>
    </section>
  );
}

function DecisionTable({ app, rows }: { app: Application; rows: DecisionRow[] }) {
  return (
    <Table
      caption={app.name}
      rows={rows}
      rowKey={(row) => `${row.action.action}|${row.stepId ?? ""}`}
      columns={[
        {
          key: "action",
          header: "Action",
          rowHeader: true,
          render: (row) => (
            <>
              {row.action.label} <span class="muted">({row.action.action})</span>
            </>
          ),
        },
        {
          key: "step",
          header: "Step",
          render: (row) => row.stepName ?? (row.action.action === "modify_application_design" ? "—" : "origin step"),
        },
        {
          key: "decision",
          header: "Decision",
          render: (row) => (
            <span
              class={`lk-badge ${row.decision === "allow" ? "lk-good" : "lk-bad"}`}
              data-action={row.action.action}
              data-application={app.id}
              data-step={row.stepId ?? ""}
              data-decision={row.decision}
            >
              {row.decision === "allow" ? "Allowed" : row.decision === "deny" ? "Denied" : "Error"}
            </span>
          ),
        },
        { key: "missing", header: "Missing", render: (row) => row.missing },
      ]}
    />
  );
}

// What is granted but no allowed decision needs (seed 001: "anything beyond
// that list is risk without value").
function localWarnings(grants: Grants, outcome: Outcome, applications: Application[]): string[] {
  const warnings: string[] = [];
  const roleModules = new Set(grants.roles.flatMap((r) => r.modules));
  if (roleModules.has("ADMIN") || grants.modules.includes("ADMIN"))
    warnings.push("ADMIN is granted to a service account: audit trails become meaningless and least privilege impossible (seed 001).");
  if (grants.roles.length > 1)
    warnings.push(`The account is a member of ${grants.roles.length} roles; every role's modules and permission sets add up.`);
  const name = (id: string) => applications.find((a) => a.id === id)?.name ?? id;
  if (outcome.kind !== "decided") return warnings;
  const allowed = outcome.rows.filter((r) => r.decision === "allow");
  const usedModules = new Set(allowed.map((r) => r.action.module).filter((m): m is string => m !== null));
  for (const module of roleModules)
    if (module !== "ADMIN" && !usedModules.has(module)) warnings.push(`Module ${module} is granted but no allowed action needs it.`);
  for (const [app, access] of Object.entries(grants.entitlements)) {
    const appAllowed = allowed.filter((r) => r.application.id === app);
    if (appAllowed.length === 0) warnings.push(`The ${access === "edit" ? "Edit" : "Read"} entitlement on ${name(app)} allows nothing: no step access or module goes with it.`);
    else if (access === "edit" && !appAllowed.some((r) => ["create_record", "update_record", "bulk_import", "modify_application_design"].includes(r.action.action)))
      warnings.push(`Edit on ${name(app)} is granted, but the account may only read there: Read would do.`);
  }
  for (const app of grants.build_access) {
    if (!allowed.some((r) => r.application.id === app && r.action.action === "modify_application_design"))
      warnings.push(`Build Access on ${name(app)} is granted but does not allow modifying its design (BUILD or Edit missing).`);
    else warnings.push(`Build Access on ${name(app)}: only needed if the integration creates or modifies Workflow design.`);
  }
  return warnings;
}
