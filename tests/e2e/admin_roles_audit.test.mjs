// Roles & permissions and Audit (docs/console-admin.md): the permission
// model edited through its tabs reaches the policy API; the audit filters
// (principal, decision, action, key, time), paging, the export (the API's
// bytes, CSV and JSON Lines) and "who depends on an account"; axe-core and
// screenshots.
import assert from "node:assert/strict";
import fs from "node:fs";
import { test } from "node:test";

import {
  api,
  expectCleanPage,
  expectNoSeriousAxeViolations,
  screenshot,
  useServerAndBrowser,
} from "./harness.mjs";
import { adminApi, horizontalOverflow, openAdminPage, serviceAccount } from "./admin_support.mjs";

let call;

const fx = useServerAndBrowser(async ({ server }) => {
  call = await adminApi(server);
});

function open(label, heading) {
  return openAdminPage(fx.browser, fx.server, label, heading);
}

test("Roles & permissions: application, permission set, role and a user's grants through the tabs", async () => {
  const sa = await call("POST", "/api/v1/users", { name: "risk-sync", type: "service", api_access: true });
  const page = await open("Roles & permissions", "Roles & permissions");
  const tab = (name) => page.getByRole("tab", { name, exact: true });
  await tab("Roles").waitFor();
  await expectNoSeriousAxeViolations(page);

  // Keyboard: the arrow keys move between the tabs.
  await tab("Roles").focus();
  await page.keyboard.press("ArrowRight");
  assert.equal(await tab("Applications and steps").getAttribute("aria-selected"), "true");
  await page.getByLabel("Application name").fill("Risk Register");
  await page.getByLabel("Origin step").fill("Intake");
  await page.getByLabel("Other steps (comma-separated)").fill("Review, Approve");
  await page.getByRole("button", { name: "Create application", exact: true }).click();
  await page.getByText("Application Risk Register created.").waitFor();
  const app = (await call("GET", "/api/v1/applications")).applications[0];
  assert.deepEqual(app.steps.map((s) => [s.name, s.origin]), [["Intake", true], ["Review", false], ["Approve", false]]);
  await page.getByLabel("New step of Risk Register").fill("Archive");
  await page.getByRole("button", { name: "Add step", exact: true }).click();
  await page.getByText("Step Archive added to Risk Register.").waitFor();
  await expectNoSeriousAxeViolations(page);

  await tab("Step permission sets").click();
  await page.getByRole("textbox", { name: "Name", exact: true }).fill("Risk Sync steps");
  const intake = app.steps.find((s) => s.origin).id;
  await page.getByRole("combobox", { name: "Step", exact: true }).selectOption(intake);
  await page.getByRole("combobox", { name: "Access", exact: true }).selectOption("edit");
  await page.getByRole("button", { name: "Create with this step", exact: true }).click();
  await page.getByText("Permission set Risk Sync steps created.").waitFor();
  const set = (await call("GET", "/api/v1/permission-sets")).permission_sets[0];
  assert.deepEqual(set.steps, { [intake]: "edit" });
  await expectNoSeriousAxeViolations(page);

  await tab("Roles").click();
  await page.getByLabel("New role name").fill("Integration: Risk Sync");
  await page.getByRole("button", { name: "Create role", exact: true }).click();
  await page.getByText("Role Integration: Risk Sync created.").waitFor();
  await page.getByRole("combobox", { name: "Module to attach", exact: true }).selectOption("RECORDS");
  await page.getByRole("button", { name: "Attach module", exact: true }).click();
  await page.getByText("Module RECORDS attached to Integration: Risk Sync.").waitFor();
  await page.getByRole("combobox", { name: "Permission set to attach", exact: true }).selectOption({ label: "Risk Sync steps" });
  await page.getByRole("button", { name: "Attach permission set", exact: true }).click();
  await page.getByText("Permission set attached to Integration: Risk Sync.").waitFor();
  const role = (await call("GET", "/api/v1/roles")).roles[0];
  assert.deepEqual([role.modules, role.permission_sets], [["RECORDS"], [set.id]]);

  await tab("Entitlements and build access").click();
  await page.getByRole("combobox", { name: "User", exact: true }).selectOption({ label: "risk-sync (service account)" });
  await page.getByRole("heading", { name: "Roles of risk-sync", exact: true }).waitFor();
  await page.getByRole("combobox", { name: "Role to grant", exact: true }).selectOption({ label: "Integration: Risk Sync" });
  await page.getByRole("button", { name: "Grant role", exact: true }).click();
  await page.getByText("Role granted to risk-sync.").waitFor();
  await page.getByRole("combobox", { name: "Application", exact: true }).selectOption({ label: "Risk Register" });
  await page.getByRole("combobox", { name: "Entitlement", exact: true }).selectOption("edit");
  await page.getByRole("button", { name: "Set entitlement", exact: true }).click();
  await page.getByText("Entitlement set for risk-sync.").waitFor();
  const grants = await call("GET", `/api/v1/users/${sa.id}/grants`);
  assert.deepEqual(grants.roles.map((r) => r.id), [role.id]);
  assert.deepEqual(grants.entitlements, { [app.id]: "edit" });
  assert.deepEqual(grants.build_access, []);
  await page.getByRole("button", { name: "Remove risk-sync from Integration: Risk Sync", exact: true }).waitFor();
  await expectNoSeriousAxeViolations(page);
  await tab("Roles").click();
  await screenshot(page, "admin-roles");

  // Deleting a role asks first; Cancel keeps it.
  await page.getByRole("button", { name: "Delete role", exact: true }).click();
  const confirm = page.getByRole("alertdialog", { name: "Delete the role Integration: Risk Sync?", exact: true });
  await confirm.getByRole("button", { name: "Cancel", exact: true }).click();
  assert.equal((await call("GET", "/api/v1/roles")).roles.length, 1);
  await page.setViewportSize({ width: 400, height: 800 });
  assert.ok((await horizontalOverflow(page)) <= 0, "no sideways scrolling of the page at 400 px");
  expectCleanPage(page);
  await page.context().close();
});

test("Audit: filters, paging, export equal to the API's, who depends on an account", async () => {
  const app = await call("POST", "/api/v1/applications", { name: "Claims", steps: [{ name: "Open", origin: true }] });
  const sa = await serviceAccount(fx.server, call, "auditee");
  const token = await sa.token();
  // 30 distinct calls (each its own User-Agent: identical calls would merge
  // into one event) and 2 denials.
  for (let i = 0; i < 30; i++) {
    const r = await api(fx.server, "GET", "/api/v1/account/me", { bearer: token, headers: { "User-Agent": `poller/${i}` } });
    assert.equal(r.status, 200);
  }
  for (const action of ["bulk_import", "create_record"]) {
    const r = await api(fx.server, "POST", "/v1/authorize", { bearer: token, json: { action, application: app.id }, headers: { "X-Integration": "claims-sync" } });
    assert.equal(r.status, 403, r.text);
  }

  const page = await open("Audit", "Audit");
  await page.getByRole("region", { name: /Audit events/ }).waitFor();
  await expectNoSeriousAxeViolations(page);
  await screenshot(page, "admin-audit");

  const decisions = () => page.locator("[data-decision]").evaluateAll((e) => e.map((x) => x.dataset.decision));
  // Applies the filters and waits for the server's page to be shown.
  const apply = async () => {
    const [response] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === "/api/v1/audit"),
      page.getByRole("button", { name: "Apply filters", exact: true }).click(),
    ]);
    await page.getByRole("region", { name: /Audit events/ }).or(page.getByText(/No event matches/)).first().waitFor();
    return new URL(response.url()).searchParams;
  };
  await page.getByRole("combobox", { name: "Principal", exact: true }).selectOption({ label: "auditee" });
  await page.getByRole("combobox", { name: "Decision", exact: true }).selectOption("deny");
  await apply();
  assert.deepEqual(await decisions(), ["deny", "deny"]);
  const region = page.getByRole("region", { name: /Audit events/ });
  assert.match(await region.innerText(), /authorize\.create_record/);
  assert.match(await region.innerText(), /claims-sync/);

  // Export with the same filters: the API's bytes, CSV and JSON Lines.
  const query = `principal=${sa.user.id}&decision=deny`;
  for (const [format, label] of [["csv", "CSV"], ["jsonl", "JSON Lines"]]) {
    await page.getByRole("combobox", { name: "Format", exact: true }).selectOption({ label });
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export audit trail", exact: true }).click()]);
    const expected = await api(fx.server, "GET", `/api/v1/audit/export?format=${format}&${query}`, { bearer: call.token });
    assert.equal(expected.status, 200);
    assert.equal(download.suggestedFilename(), `audit.${format}`);
    assert.equal(fs.readFileSync(await download.path(), "utf8"), expected.text, `the ${format} export equals the API's`);
  }

  // Action (its beginning) and credential (the end of the Client ID: calls
  // with an account token are recorded by Client ID, API keys masked),
  // filtered by the fx.server.
  await page.getByRole("combobox", { name: "Decision", exact: true }).selectOption("");
  await page.getByRole("combobox", { name: "Events per page", exact: true }).selectOption("100");
  await page.getByRole("combobox", { name: "Action (or its beginning)", exact: true }).fill("account.me");
  await page.getByRole("textbox", { name: "Key or Client ID (any part, e.g. a1B9)", exact: true }).fill(sa.clientId.slice(-6));
  const sent = await apply();
  assert.equal(sent.get("action"), "account.me*", "the action's beginning goes to the server");
  assert.equal(sent.get("key"), sa.clientId.slice(-6), "the key goes to the server");
  const actions = await region.getByRole("row").allInnerTexts();
  assert.equal(actions.length, 1 + 30, "the header and the 30 calls of account.me");
  assert.ok(actions.slice(1).every((row) => row.includes("account.me")));

  // The export honours the key and action filters: the API's bytes, and
  // only the 30 calls of account.me (not the 2 denied authorize calls).
  const filtered = `principal=${sa.user.id}&key=${encodeURIComponent(sa.clientId.slice(-6))}&action=${encodeURIComponent("account.me*")}`;
  for (const [format, label] of [["csv", "CSV"], ["jsonl", "JSON Lines"]]) {
    await page.getByRole("combobox", { name: "Format", exact: true }).selectOption({ label });
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export audit trail", exact: true }).click()]);
    const expected = await api(fx.server, "GET", `/api/v1/audit/export?format=${format}&${filtered}`, { bearer: call.token });
    assert.equal(expected.status, 200);
    const text = fs.readFileSync(await download.path(), "utf8");
    assert.equal(text, expected.text, `the filtered ${format} export equals the API's`);
    const lines = text.split(/\r?\n/).filter((l) => l !== "");
    if (format === "jsonl") {
      assert.equal(lines.length, 30, "the export holds the 30 calls of account.me only");
      for (const line of lines) {
        const event = JSON.parse(line);
        assert.equal(event.action, "account.me");
        assert.ok(event.credential.includes(sa.clientId.slice(-6)), event.credential);
      }
    } else {
      assert.equal(lines.length, 1 + 30, "the CSV header and the 30 calls of account.me");
      assert.ok(lines.slice(1).every((l) => l.includes(",account.me,")));
    }
  }

  // Paging: 25 a page, the next page continues where the first ended.
  await page.getByRole("combobox", { name: "Action (or its beginning)", exact: true }).fill("");
  await page.getByRole("textbox", { name: "Key or Client ID (any part, e.g. a1B9)", exact: true }).fill("");
  await page.getByRole("combobox", { name: "Events per page", exact: true }).selectOption("25");
  await apply();
  const first = await region.getByRole("row").allInnerTexts();
  assert.equal(first.length, 26);
  await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === "/api/v1/audit"),
    page.getByRole("button", { name: "Older events", exact: true }).click(),
  ]);
  await page.getByText("Page 2", { exact: true }).waitFor();
  await region.waitFor();
  const second = await region.getByRole("row").allInnerTexts();
  const ours = await call("GET", `/api/v1/audit?principal=${sa.user.id}&limit=1000`);
  assert.equal(first.length - 1 + second.length - 1, ours.events.length, "the two pages hold every event of the account");
  await page.getByRole("button", { name: "Newer events", exact: true }).click();
  await page.getByText("Page 1", { exact: true }).waitFor();

  // A time window with nothing in it.
  await page.getByLabel("From (your local time)").fill("2099-01-01T00:00");
  await apply();
  await page.getByText("No event matches these filters.").waitFor();

  // Who depends on the account: its two kinds of clients.
  await page.getByRole("combobox", { name: "Account", exact: true }).selectOption({ label: "auditee (service account)" });
  const clients = page.getByRole("region", { name: /Clients of auditee/ });
  await clients.waitFor();
  assert.match(await clients.innerText(), /claims-sync/);
  assert.match(await clients.innerText(), /poller\/29/);
  await expectNoSeriousAxeViolations(page);
  await page.setViewportSize({ width: 400, height: 800 });
  assert.ok((await horizontalOverflow(page)) <= 0, "no sideways scrolling of the page at 400 px");
  expectCleanPage(page);
  await page.context().close();
});
