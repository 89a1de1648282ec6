// The service account wizard (seed 001's nine provisioning steps, docs/
// console-admin.md): an admin provisions an account in the browser, and the
// decision API, asked with that account's own token, agrees with every row
// of the summary; the least-privilege warnings name ADMIN; axe-core and
// screenshots.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  api,
  expectCleanPage,
  expectNoSeriousAxeViolations,
  screenshot,
  useServerAndBrowser,
} from "./harness.mjs";
import { adminApi, horizontalOverflow, openAdminPage } from "./admin_support.mjs";

let call;
let app;

const fx = useServerAndBrowser(async ({ server }) => {
  call = await adminApi(server);
  app = await call("POST", "/api/v1/applications", {
    name: "Risk Register",
    steps: [{ name: "Intake", origin: true }, { name: "Review" }, { name: "Approve" }],
  });
});

async function openWizard() {
  const page = await openAdminPage(fx.browser, fx.server, "New service account", "Provisioning a Service Account");
  await page.getByLabel("Name of the service account").waitFor();
  return page;
}

// Provisions `name` with what fill(page) chose; returns the revealed secret
// and the summary's rows.
async function provision(page, name) {
  await page.getByRole("button", { name: "Provision service account", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: `Client Secret of ${name}`, exact: true });
  await dialog.waitFor();
  const secret = await dialog.getByRole("textbox", { name: /^Client Secret/ }).inputValue();
  await dialog.getByRole("button", { name: "OK", exact: true }).click();
  await dialog.waitFor({ state: "detached" });
  const focused = await page.evaluate(() => document.activeElement?.textContent?.trim());
  assert.ok([`What ${name} may do`, `Provisioning ${name}`].includes(focused), `focus after OK: ${focused}`);
  await page.getByRole("heading", { name: `What ${name} may do`, exact: true }).waitFor();
  const rows = await page.locator("[data-action]").evaluateAll((cells) =>
    cells.map((c) => ({ action: c.dataset.action, application: c.dataset.application, step: c.dataset.step, decision: c.dataset.decision })),
  );
  return { secret, rows };
}

// The decision API's denials (403) are answers, not failed loads.
function withoutDecisions(page) {
  page.problems.badResponses = page.problems.badResponses.filter((r) => !r.endsWith(" POST /v1/authorize"));
}

test("the wizard's summary is what POST /v1/authorize answers for the new account", async () => {
  const page = await openWizard();
  await page.getByLabel("Name of the service account").fill("risk-sync");
  assert.equal(await page.getByLabel("Role name").inputValue(), "Integration: risk-sync");
  await page.getByLabel("What the integration does").selectOption({ label: "Create new Records from an external system" });
  await page.getByLabel("On the application").selectOption({ label: "Risk Register" });
  await page.getByRole("button", { name: "Fill in steps 5 to 8", exact: true }).click();
  // Read on Review as well, to have a read-only step in the table.
  await page.getByRole("group", { name: "Risk Register", exact: true }).getByLabel("Review").selectOption("read");
  await expectNoSeriousAxeViolations(page);
  await screenshot(page, "admin-service-account-wizard");

  const paths = [];
  page.on("request", (r) => paths.push(`${r.method()} ${new URL(r.url()).pathname}`));
  const { secret, rows } = await provision(page, "risk-sync");
  const progress = await page.getByRole("region", { name: "Provisioning risk-sync", exact: true }).getByRole("listitem").allInnerTexts();
  assert.equal(progress.length, 9, "the nine steps");
  assert.deepEqual(
    progress.map((line) => /: (done|skipped)/.exec(line)?.[1]),
    ["done", "done", "done", "done", "done", "done", "done", "skipped", "done"],
    "all done but Build Access (not asked for)",
  );

  // Every action of seed 001's table, per step where the action names steps.
  assert.equal(rows.length, 4 * 3 + 3, "4 step actions x 3 steps + 3 without steps");
  const user = (await call("GET", "/api/v1/users")).users.find((u) => u.name === "risk-sync");
  assert.equal(user.api_access, true);
  const grants = await call("GET", `/api/v1/users/${user.id}/grants`);
  assert.deepEqual(grants.roles.map((r) => r.name), ["Integration: risk-sync"]);
  assert.deepEqual(grants.roles[0].modules, ["RECORDS"]);
  assert.deepEqual(grants.entitlements, { [app.id]: "edit" });

  // The console asked the administrators' what-if, never as the account:
  // no token minted, no /v1/authorize, nothing the least-privilege report
  // would count as the account's use.
  assert.ok(!paths.some((p) => p.endsWith(" /v1/authorize") || p.endsWith(" /api/v1/account/token")), paths.join("\n"));
  assert.equal(paths.filter((p) => p === `POST /api/v1/users/${user.id}/authorize`).length, rows.length);
  const asAccount = await call("GET", `/api/v1/audit?principal=${user.id}&action=authorize.*`);
  assert.deepEqual(asAccount.events, [], "no decision recorded as the account");
  const whatIf = await call("GET", "/api/v1/audit?action=policy.what_if&limit=1000");
  assert.ok(whatIf.events.some((e) => e.resource === `user/${user.id}/application/${app.id}`), "the checks are the administrator's policy.what_if");
  const report = await call("GET", "/api/v1/reports/least-privilege");
  const own = report.principals.find((p) => p.user_id === user.id);
  assert.deepEqual(own.actions_used, [], "the checks are not the account's use");

  // The integration's own view: its token, the decision API, row by row
  // (the test mints the token; the console never did).
  const token = await api(fx.server, "POST", "/api/v1/account/token", { basic: [user.client_id, secret] });
  assert.equal(token.status, 200, token.text);
  for (const row of rows) {
    const body = { action: row.action, application: row.application };
    if (row.step) body.steps = [row.step];
    const answer = await api(fx.server, "POST", "/v1/authorize", { bearer: token.json.access_token, json: body });
    const decision = answer.status === 200 ? "allow" : answer.status === 403 ? "deny" : `HTTP ${answer.status}`;
    assert.equal(row.decision, decision, `${row.action} ${row.step}: summary ${row.decision}, API ${answer.text}`);
  }
  const step = (name) => app.steps.find((s) => s.name === name).id;
  const decided = (action, stepName = "") =>
    rows.find((r) => r.action === action && r.step === (stepName && step(stepName))).decision;
  assert.equal(decided("create_record"), "allow");
  assert.equal(decided("bulk_import"), "deny");
  assert.equal(decided("update_record", "Intake"), "allow");
  assert.equal(decided("update_record", "Review"), "deny");
  assert.equal(decided("read_records", "Review"), "allow");
  assert.equal(decided("read_records", "Approve"), "deny");
  assert.match(await page.getByRole("row", { name: /Bulk-import Records/ }).innerText(), /module IMPORT/);

  await page.getByRole("heading", { name: "What risk-sync may do", exact: true }).scrollIntoViewIfNeeded();
  await expectNoSeriousAxeViolations(page);
  await screenshot(page, "admin-service-account-summary");
  await page.setViewportSize({ width: 400, height: 800 });
  assert.ok((await horizontalOverflow(page)) <= 0, "no sideways scrolling of the page at 400 px");
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.getByRole("button", { name: "Provision another service account", exact: true }).click();
  const name = page.getByLabel("Name of the service account");
  await page.waitForFunction(() => document.activeElement?.getAttribute("aria-describedby") === "lk-wz-name-hint");
  assert.equal(await name.inputValue(), "", "a fresh form");
  assert.equal(await page.getByRole("heading", { name: "What risk-sync may do", exact: true }).count(), 0);
  withoutDecisions(page);
  expectCleanPage(page);
  await page.context().close();
});

test("least privilege: ADMIN on a service account and unused grants are named", async () => {
  const page = await openWizard();
  await page.getByLabel("Name of the service account").fill("too-much");
  await page.getByRole("checkbox", { name: "ADMIN", exact: true }).check();
  await page.getByText(/ADMIN on a service account makes audit trails meaningless/).waitFor();
  await page.getByRole("checkbox", { name: "IMPORT", exact: true }).check();
  await page.getByRole("combobox", { name: "Risk Register", exact: true }).selectOption("edit"); // step 7, no step access
  await page.getByRole("checkbox", { name: "Build Access on Risk Register", exact: true }).check();
  const { rows } = await provision(page, "too-much");
  assert.ok(rows.every((r) => r.decision === "deny"), "nothing is allowed without step access or BUILD");
  const warnings = await page.getByTestId("least-privilege-warnings").innerText();
  assert.match(warnings, /ADMIN is granted to a service account/);
  assert.match(warnings, /Module IMPORT is granted but no allowed action needs it/);
  assert.match(warnings, /Edit entitlement on Risk Register allows nothing/);
  assert.match(warnings, /Build Access on Risk Register is granted but does not allow/);
  await page.context().close();
});

test("the account without API access: the summary says the server refuses its credentials", async () => {
  const page = await openWizard();
  await page.getByLabel("Name of the service account").fill("switched-off");
  await page.getByRole("checkbox", { name: "API access", exact: true }).uncheck();
  await provision(page, "switched-off");
  await page.getByText(/refuses the account's credentials \(401, api_access_disabled\)/).waitFor();
  await page.context().close();
});

test("a failing step stops the run, says what already exists, and still shows the secret once", async () => {
  await call("POST", "/api/v1/roles", { name: "Integration: dup" });
  const page = await openWizard();
  await page.getByLabel("Name of the service account").fill("dup");
  await page.getByRole("button", { name: "Provision service account", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Client Secret of dup", exact: true });
  await dialog.waitFor();
  await dialog.getByRole("button", { name: "OK", exact: true }).click();
  const failure = page.getByRole("alert").filter({ hasText: "Step 4" });
  await failure.waitFor();
  assert.match(await failure.innerText(), /Step 4, “Create a Role for the integration”, failed: .*dup exists/);
  const progress = await page.getByRole("region", { name: "Provisioning dup", exact: true }).getByRole("listitem").allInnerTexts();
  assert.deepEqual(
    progress.map((line) => /: (done|skipped|failed|waiting)/.exec(line)?.[1]),
    ["done", "done", "done", "failed", "waiting", "waiting", "waiting", "waiting", "waiting"],
  );
  assert.equal(await page.getByRole("heading", { name: "What dup may do", exact: true }).count(), 0, "no summary of a half-made account");
  await page.getByRole("button", { name: "Provision another service account", exact: true }).waitFor();
  await page.context().close();
});
