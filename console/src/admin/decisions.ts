// The decision table of a service account: every (application, step, action)
// its grants touch, each decided by the server as POST /v1/authorize would
// decide for the account's own token (asked through the administrators'
// what-if, POST /api/v1/users/{id}/authorize). The actions and what they need are seed 001's
// "Common Permission Needs" (docs/permissions.md, "Actions").
import { rawRequest } from "../api";
import type { Application, Grants } from "./types";

export interface ActionInfo {
  action: string;
  label: string;
  // "each": decided once per step of the application; "none": no steps
  // (the origin step, or none, comes from the model).
  steps: "each" | "none";
  module: string | null;
}

export const ACTIONS: ActionInfo[] = [
  { action: "read_records", label: "Read Records", steps: "each", module: null },
  { action: "create_record", label: "Create new Records", steps: "none", module: "RECORDS" },
  { action: "update_record", label: "Update existing Records", steps: "each", module: "RECORDS" },
  { action: "bulk_import", label: "Bulk-import Records", steps: "none", module: "IMPORT" },
  { action: "read_table_report", label: "Read saved Table Reports", steps: "each", module: "TABLE_REPORTS_READ" },
  { action: "audit_export", label: "Generate audit exports", steps: "each", module: "STATUS" },
  { action: "modify_application_design", label: "Modify Application design", steps: "none", module: "BUILD" },
];

export interface DecisionRow {
  application: Application;
  action: ActionInfo;
  stepId: string | null;
  stepName: string | null;
  // What was asked of /v1/authorize.
  request: { action: string; application: string; steps?: string[] };
  decision: "allow" | "deny" | "error";
  reason: string;
  // The missing piece, in words ("module IMPORT", "edit on step Review").
  missing: string;
}

// The applications an account's grants touch: an entitlement, build access,
// or a step of one of its roles' permission sets.
export function touchedApplications(applications: Application[], grants: Grants): Application[] {
  const steps = new Set(grants.permission_sets.flatMap((set) => Object.keys(set.steps)));
  return applications.filter(
    (app) =>
      app.id in grants.entitlements ||
      grants.build_access.includes(app.id) ||
      app.steps.some((step) => steps.has(step.id)),
  );
}

export function plannedRows(applications: Application[]): Omit<DecisionRow, "decision" | "reason" | "missing">[] {
  const rows: Omit<DecisionRow, "decision" | "reason" | "missing">[] = [];
  for (const application of applications) {
    for (const action of ACTIONS) {
      if (action.steps === "none") {
        rows.push({
          application,
          action,
          stepId: null,
          stepName: null,
          request: { action: action.action, application: application.id },
        });
        continue;
      }
      for (const step of application.steps) {
        rows.push({
          application,
          action,
          stepId: step.id,
          stepName: step.name,
          request: { action: action.action, application: application.id, steps: [step.id] },
        });
      }
    }
  }
  return rows;
}

const INTEGRATION = { "X-Integration": "latchkey-console-wizard" };

function stepName(applications: Application[], id: unknown): string {
  for (const app of applications) for (const step of app.steps) if (step.id === id) return step.name;
  return String(id);
}

function missingPiece(body: Record<string, unknown>, applications: Application[]): string {
  switch (body.reason) {
    case "module_missing":
      return `module ${body.module}`;
    case "application_entitlement_missing":
      return `${body.required === "edit" ? "Edit" : "Read"} entitlement on the application`;
    case "build_access_missing":
      return "Build Access on the application";
    case "step_permission_missing":
      return `${body.required === "edit" ? "Edit" : "Read"} on step ${stepName(applications, body.step)}`;
    case "key_read_only":
      return "a write scope";
    default:
      return String(body.reason ?? body.error ?? "");
  }
}

export type Refusal = { status: number; reason: string; message: string };
export type Decided = { kind: "decided"; rows: DecisionRow[] } | ({ kind: "refused" } & Refusal);

// What POST /v1/authorize answers the account, row by row, asked by the
// administrator (POST /api/v1/users/{id}/authorize, docs/permissions.md):
// the same decision, without a token of the account, audited as the
// administrator's policy.what_if, so never counted as the account's use.
// A 401 the account would get (no API access, disabled) refuses it all.
export async function decide(
  userId: string,
  rows: Omit<DecisionRow, "decision" | "reason" | "missing">[],
  applications: Application[],
): Promise<Decided> {
  const decided: DecisionRow[] = [];
  for (const row of rows) {
    const response = await rawRequest("POST", `/api/v1/users/${encodeURIComponent(userId)}/authorize`, { body: row.request, headers: INTEGRATION });
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(response.text);
    } catch {
      // not JSON
    }
    const status = response.status === 200 ? Number(body.status) : response.status;
    if (status === 401) {
      return { kind: "refused", status, reason: String(body.reason ?? body.error ?? ""), message: String(body.error_description ?? "") };
    }
    if (status === 200 && body.decision === "allow") {
      decided.push({ ...row, decision: "allow", reason: "", missing: "" });
    } else if (status === 403 && body.decision === "deny") {
      decided.push({ ...row, decision: "deny", reason: String(body.reason ?? ""), missing: missingPiece(body, applications) });
    } else {
      decided.push({
        ...row,
        decision: "error",
        reason: String(body.reason ?? body.error ?? status),
        missing: String(body.error_description ?? `HTTP ${status}`),
      });
    }
  }
  return { kind: "decided", rows: decided };
}
