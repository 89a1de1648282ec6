// Seed 004 followed literally in the browser: "Navigate to Settings > Users &
// API keys > API Keys tab", "Click New API Key", a name, a role, a validity
// (at most one year: 366 days is refused), "Click Save and copy the key
// immediately"; the key is shown once with "Copy to clipboard", then only its
// mask; the key works on POST /v2/auth/token/access. Also: /settings leads to
// the page, the Users tab of an administrator links to Manage Users, axe is
// clean, and the page is photographed (docs/console/settings-*.png).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  api,
  expectCleanPage,
  expectNoSeriousAxeViolations,
  screenshot,
  signedInProfilePage,
  useServerAndBrowser,
  expectTitle,
} from "./harness.mjs";

let page;

const fx = useServerAndBrowser(async ({ server, browser }) => {
  page = await signedInProfilePage(browser, server, { clipboard: true });
});

test("Settings > Users & API keys: the Users tab of an administrator leads to Manage Users", async () => {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
  await page.getByRole("heading", { level: 1, name: "Users & API keys" }).waitFor();
  assert.equal(new URL(page.url()).pathname, "/console/settings/users-and-api-keys");
  await expectTitle(page, /Users & API keys/);
  await page.getByRole("tab", { name: "Users", selected: true }).waitFor();
  await page.getByRole("link", { name: "Manage Users" }).first().waitFor();
  await expectNoSeriousAxeViolations(page);
  await screenshot(page, "settings-users");
  // /settings itself moves to the page, replacing the history entry.
  await page.goto(`${fx.server.url}/console/settings`);
  await page.getByRole("heading", { level: 1, name: "Users & API keys" }).waitFor();
  assert.equal(new URL(page.url()).pathname, "/console/settings/users-and-api-keys");
  expectCleanPage(page);
});

let fullKey = "";

test("seed 004: API Keys tab, New API Key, name, role, validity (at most 1 year), Save, copy the key", async () => {
  // 1. Navigate to Settings > Users & API keys > API Keys tab
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
  await page.getByRole("heading", { level: 1, name: "Users & API keys" }).waitFor();
  await page.getByRole("tab", { name: "API Keys" }).click();
  await page.getByRole("tab", { name: "API Keys", selected: true }).waitFor();
  assert.equal(new URL(page.url()).pathname, "/console/settings/users-and-api-keys/api-keys");
  await expectNoSeriousAxeViolations(page);
  await screenshot(page, "settings-api-keys-empty");

  // 2. Click New API Key
  await page.getByRole("button", { name: "New API Key", exact: true }).click();
  const form = page.getByRole("dialog", { name: "New API Key" });
  await form.waitFor();
  // 3. Enter a descriptive name  4. Select an appropriate role
  await form.getByLabel("Name", { exact: true }).fill("risk export");
  await form.getByLabel("Role", { exact: true }).selectOption({ label: "All my roles" });
  // 5. Set validity period (maximum 1 year): 366 days is refused
  await form.getByLabel("Validity (days)").fill("366");
  await form.getByRole("button", { name: "Save", exact: true }).click();
  await form.getByText("An API key is valid for at most one year (365 days).").waitFor();
  await expectNoSeriousAxeViolations(page);
  await screenshot(page, "settings-new-api-key");
  await form.getByLabel("Validity (days)").fill("365");

  // 6. Click Save and copy the key immediately
  const [created] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === "/api/v1/keys" && r.request().method() === "POST"),
    form.getByRole("button", { name: "Save", exact: true }).click(),
  ]);
  assert.equal(created.status(), 201);
  const body = await created.json();
  assert.equal(Math.round((Date.parse(body.expires_at) - Date.parse(body.created_at)) / 86400000), 365);
  const reveal = page.getByRole("alertdialog", { name: "Your new API key" });
  await reveal.waitFor();
  fullKey = await reveal.getByRole("textbox", { name: "API key" }).inputValue();
  assert.equal(fullKey, body.api_key);
  await reveal.getByRole("button", { name: "Copy to clipboard" }).click();
  await reveal.getByText("Copied").waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), fullKey);
  await expectNoSeriousAxeViolations(page);
  await screenshot(page, "settings-api-key-reveal");
  await reveal.getByRole("button", { name: "OK" }).click();
  await reveal.waitFor({ state: "detached" });

  // Then only the mask.
  const row = page.getByRole("row", { name: /risk export/ });
  await row.waitFor();
  assert.equal(await row.locator(".masked-value").innerText(), `••••${fullKey.slice(-4)}`);
  assert.ok(!(await page.content()).includes(fullKey), "the full key is gone from the page");
  await page.reload();
  await page.getByRole("row", { name: /risk export/ }).waitFor();
  assert.ok(!(await page.content()).includes(fullKey), "the full key is not shown after a reload");
  await expectNoSeriousAxeViolations(page);
  await screenshot(page, "settings-api-keys");
  expectCleanPage(page);
});

test("the key from Settings works on POST /v2/auth/token/access", async () => {
  const exchanged = await api(fx.server, "POST", "/v2/auth/token/access", { json: { api_key: fullKey } });
  assert.equal(exchanged.status, 200, exchanged.text);
  assert.ok(exchanged.json.access_token);
  const me = await api(fx.server, "GET", "/api/v1/account/me", { bearer: exchanged.json.access_token });
  assert.equal(me.status, 200, me.text);
});

test("the same keys on Profile → API Keys (one list, two places)", async () => {
  await page.goto(`${fx.server.url}/console/profile/api-keys`);
  await page.getByRole("row", { name: /risk export/ }).waitFor();
  await page.getByRole("button", { name: "New Key", exact: true }).waitFor();
  expectCleanPage(page);
});
