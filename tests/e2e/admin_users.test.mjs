// Manage Users and a user's profile as an admin (docs/console-admin.md,
// seeds 001 and 002): the key report exported from the action menu is the
// report API's bytes; an admin sees no "New Key" on another user's profile
// but can deactivate their key; a new human user comes with an invitation
// link; axe-core and a screenshot of each page.
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
let warehouse; // a service account with one API key of its own

const fx = useServerAndBrowser(async ({ server }) => {
  call = await adminApi(server);
  warehouse = await serviceAccount(server, call, "warehouse-export");
  // The account creates its own key (only the owner may, seed 002).
  const r = await api(server, "POST", "/api/v1/keys", {
    bearer: await warehouse.token(),
    json: { name: "nightly export", expires_in_days: 90, scope: "read" },
  });
  assert.equal(r.status, 201, r.text);
  warehouse.key = r.json;
});

async function openUsers() {
  const page = await openAdminPage(fx.browser, fx.server, "Manage Users", "Manage Users");
  await page.getByRole("region", { name: /users/ }).waitFor();
  return page;
}

test("Export Account API Key from the action menu downloads exactly the report API's CSV", async () => {
  const page = await openUsers();
  const context = page.context();
  // The page's menu (seed 002: Manage Users → Action Menu → "Export Account API Key").
  await page.getByRole("button", { name: "Actions for all users", exact: true }).click();
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("menuitem", { name: "Export Account API Key", exact: true }).click(),
  ]);
  const downloaded = fs.readFileSync(await download.path());
  const expected = await api(fx.server, "GET", "/api/v1/reports/api-keys?format=csv", { bearer: call.token });
  assert.equal(expected.status, 200);
  assert.equal(download.suggestedFilename(), "api-keys.csv");
  assert.equal(downloaded.toString("utf8"), expected.text, "the file equals the report API's answer");
  assert.match(expected.text, new RegExp(`${warehouse.key.id},nightly export,`), "the report lists the key");
  assert.ok(!downloaded.toString("utf8").includes("lk_key_"), "no full key in the report");

  // The same item in a user's own menu, driven by the keyboard alone.
  const menu = page.getByRole("button", { name: "Actions for warehouse-export", exact: true });
  await menu.focus();
  await page.keyboard.press("ArrowUp"); // opens on the last item
  const [again] = await Promise.all([page.waitForEvent("download"), page.keyboard.press("Enter")]);
  assert.equal(fs.readFileSync(await again.path()).toString("utf8"), expected.text);
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("aria-label")), "Actions for warehouse-export",
    "focus is back on the menu button");
  expectCleanPage(page);
  await context.close();
});

test("creating a human user shows a one-time invitation link", async () => {
  const page = await openUsers();
  await page.getByLabel("Name", { exact: true }).fill("alice");
  await page.getByRole("button", { name: "Create user and invitation link", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Invitation link for alice", exact: true });
  await dialog.waitFor();
  const link = await dialog.getByRole("textbox", { name: "Invitation link", exact: true }).inputValue();
  assert.match(link, /\/console\/invite#.+/);
  const token = link.split("#")[1];
  const inspected = await api(fx.server, "POST", "/api/v1/console/invitations/inspect", { json: { token } });
  assert.equal(inspected.status, 200, inspected.text);
  assert.equal(inspected.json.username, "alice");
  await expectNoSeriousAxeViolations(page);
  await dialog.getByRole("button", { name: "OK", exact: true }).click();
  await dialog.waitFor({ state: "detached" });
  assert.equal(await page.getByText(link).count(), 0, "the link is not shown again");
  await page.getByRole("link", { name: "alice", exact: true }).waitFor();
  await page.context().close();
});

test("the API access switch and Disable change the user through the API", async () => {
  const sa = await call("POST", "/api/v1/users", { name: "report-reader", type: "service" });
  const page = await openUsers();
  // Your own switch is disabled, and says why in visible text tied to it.
  const own = page.locator("[role=switch][disabled]");
  assert.equal(await own.count(), 1, "only your own switch is disabled");
  const reasonId = await own.getAttribute("aria-describedby");
  assert.ok(reasonId, "the disabled switch is described");
  const reason = page.locator(`[id="${reasonId}"]`);
  assert.equal(await reason.innerText(), "You cannot change your own API access.");
  assert.ok(await reason.isVisible(), "the reason is visible, not only a tooltip");
  const toggle = page.getByRole("switch", { name: "API access for report-reader", exact: true });
  assert.equal(await toggle.getAttribute("aria-checked"), "false");
  await toggle.click();
  await page.getByText("API access turned on for report-reader.").waitFor();
  assert.equal((await call("GET", `/api/v1/users/${sa.id}`)).api_access, true);
  await page.getByRole("button", { name: "Actions for report-reader", exact: true }).click();
  await page.getByRole("menuitem", { name: "Disable", exact: true }).click();
  await page.getByText("report-reader disabled; their tokens were deleted.").waitFor();
  assert.equal((await call("GET", `/api/v1/users/${sa.id}`)).disabled, true);
  // Search narrows the list.
  await page.getByLabel("Search users").fill("report-");
  assert.equal(await page.getByRole("region", { name: /1 of \d+ users/ }).count(), 1);
  await page.context().close();
});

test("Manage Users: axe-core, 1280x800 and narrow", async () => {
  const page = await openUsers();
  await expectNoSeriousAxeViolations(page);
  await screenshot(page, "admin-users");
  await page.setViewportSize({ width: 400, height: 800 });
  assert.ok((await horizontalOverflow(page)) <= 0, "no sideways scrolling of the page at 400 px");
  await expectNoSeriousAxeViolations(page);
  await page.context().close();
});

test("another user's profile: no New Key, Deactivate works, dependents listed", async () => {
  const page = await openUsers();
  await page.getByRole("link", { name: "warehouse-export", exact: true }).click();
  await page.getByRole("heading", { level: 2, name: "API Keys" }).waitFor();
  const deactivate = page.getByRole("button", { name: /^Deactivate key nightly export/ });
  await deactivate.waitFor();
  assert.equal(await page.getByRole("button", { name: /new key/i }).count(), 0, "no New Key (separation of duties)");
  assert.equal(await page.getByRole("link", { name: /new key/i }).count(), 0);
  // Who depends on it: the calls made above as the account.
  await page.getByRole("region", { name: /Clients of warehouse-export/ }).waitFor();
  await expectNoSeriousAxeViolations(page);
  await screenshot(page, "admin-user-profile");

  // The key works until the admin deactivates it in the console.
  const jwtBefore = await api(fx.server, "POST", "/v2/auth/token/access", { json: { api_key: warehouse.key.api_key } });
  assert.equal(jwtBefore.status, 200, jwtBefore.text);
  await deactivate.click();
  await page.getByText(/deactivated: it and every token obtained from it are refused/).waitFor();
  const keys = await call("GET", `/api/v1/keys?user_id=${warehouse.user.id}`);
  assert.equal(keys.keys.find((k) => k.id === warehouse.key.id).status, "inactive");
  const refused = await api(fx.server, "POST", "/v2/auth/token/access", { json: { api_key: warehouse.key.api_key } });
  assert.equal(refused.status, 401, refused.text);
  assert.equal(await page.getByRole("button", { name: /^Deactivate key nightly export/ }).count(), 0);
  await page.setViewportSize({ width: 400, height: 800 });
  assert.ok((await horizontalOverflow(page)) <= 0, "no sideways scrolling of the page at 400 px");
  expectCleanPage(page);
  await page.context().close();
});

test("Reset Secret of a service account and a human's first Client Secret: shown once, and they work", async () => {
  const bob = await call("POST", "/api/v1/users", { name: "bob", type: "human", api_access: true });
  const page = await openUsers();
  await page.getByRole("button", { name: "Actions for bob", exact: true }).click();
  await page.getByRole("menuitem", { name: "Generate Client Secret", exact: true }).click();
  await page.getByRole("alertdialog", { name: "Generate a Client Secret for bob?", exact: true }).getByRole("button", { name: "Generate Client Secret", exact: true }).click();
  let dialog = page.getByRole("dialog", { name: "New Client Secret for bob", exact: true });
  const bobSecret = await dialog.getByRole("textbox", { name: /^Client Secret/ }).inputValue();
  await dialog.getByRole("button", { name: "OK", exact: true }).click();
  const bobClient = (await call("GET", `/api/v1/users/${bob.id}`)).client_id;
  assert.equal((await api(fx.server, "POST", "/api/v1/account/token", { basic: [bobClient, bobSecret] })).status, 200);
  // Enrolment only: bob now has credentials, so the item is gone.
  await page.getByRole("button", { name: "Actions for bob", exact: true }).click();
  assert.equal(await page.getByRole("menuitem", { name: "Generate Client Secret", exact: true }).count(), 0);
  await page.keyboard.press("Escape");

  const oldSecret = warehouse.secret;
  await page.getByRole("button", { name: "Actions for warehouse-export", exact: true }).click();
  await page.getByRole("menuitem", { name: "Reset Secret", exact: true }).click();
  await page.getByRole("alertdialog", { name: "Reset the Client Secret of warehouse-export?", exact: true }).getByRole("button", { name: "Reset Secret", exact: true }).click();
  dialog = page.getByRole("dialog", { name: "New Client Secret for warehouse-export", exact: true });
  const secret = await dialog.getByRole("textbox", { name: /^Client Secret/ }).inputValue();
  await expectNoSeriousAxeViolations(page);
  await dialog.getByRole("button", { name: "OK", exact: true }).click();
  await dialog.waitFor({ state: "detached" });
  assert.equal(await page.getByText(secret).count(), 0, "not shown again");
  const refused = await api(fx.server, "POST", "/api/v1/account/token", { basic: [warehouse.clientId, oldSecret] });
  assert.equal(refused.status, 401, "the old secret stops working at once");
  const accepted = await api(fx.server, "POST", "/api/v1/account/token", { basic: [warehouse.clientId, secret] });
  assert.equal(accepted.status, 200, accepted.text);
  await page.context().close();
});
