// Profile → API Keys in the browser (seeds 002, 004): the empty state, "New
// Key" (name, role, scope, validity at most one year), the one-time reveal
// with "Copy to clipboard" and "OK", then only the mask; the key works from a
// plain HTTP client on POST /v2/auth/token/access; "Deactivate" in the
// console and the client's next exchange is refused; the sessions of a key
// listed and revoked.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  api,
  expectCleanPage,
  expectNoSeriousAxeViolations,
  newPage,
  screenshot,
  signIn,
  signedInProfilePage,
  useServerAndBrowser,
} from "./harness.mjs";

let page;

const fx = useServerAndBrowser(async ({ server, browser }) => {
  page = await signedInProfilePage(browser, server, { clipboard: true });
});

const exchange = (key) => api(fx.server, "POST", "/v2/auth/token/access", { json: { api_key: key } });

let fullKey = "";

test("no key yet: the empty state with \"New Key\"", async () => {
  await page.getByRole("tab", { name: "API Keys" }).click();
  assert.equal(new URL(page.url()).pathname, "/console/profile/api-keys");
  await page.getByText("You have no API keys yet").waitFor();
  await expectNoSeriousAxeViolations(page);
  await screenshot(page, "profile-api-keys-empty");
});

test("New Key checks the validity (at most one year) and reveals the key once", async () => {
  await page.getByRole("button", { name: "New Key" }).click();
  const form = page.getByRole("dialog", { name: "New Key" });
  await form.waitFor();
  // Focus starts in the dialog, on the name.
  assert.equal(await page.evaluate(() => document.activeElement?.id), await form.getByLabel("Name", { exact: true }).getAttribute("id"));
  await form.getByLabel("Name", { exact: true }).fill("ci deploy");
  await form.getByLabel("Role", { exact: true }).selectOption({ label: "All my roles" });
  await form.getByLabel(/^Write/).check();
  await form.getByLabel("Validity (days)").fill("366");
  await form.getByRole("button", { name: "Save" }).click();
  await form.getByText("An API key is valid for at most one year (365 days).").waitFor();
  await expectNoSeriousAxeViolations(page);
  await screenshot(page, "new-key-dialog");

  await form.getByLabel("Validity (days)").fill("90");
  const [created] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === "/api/v1/keys" && r.request().method() === "POST"),
    form.getByRole("button", { name: "Save" }).click(),
  ]);
  assert.equal(created.status(), 201);
  const body = await created.json();
  assert.equal(body.scope, "write");
  assert.equal(Math.round((Date.parse(body.expires_at) - Date.parse(body.created_at)) / 86400000), 90);

  const reveal = page.getByRole("alertdialog", { name: "Your new API key" });
  await reveal.waitFor();
  fullKey = await reveal.getByRole("textbox", { name: "API key" }).inputValue();
  assert.match(fullKey, /^lk_key_[A-Za-z0-9]{49}$/);
  assert.equal(fullKey, body.api_key);
  await reveal.getByText("This is your only chance to see the full key.").waitFor();
  // Escape does not dismiss the reveal: the person must acknowledge with OK.
  await page.keyboard.press("Escape");
  assert.equal(await reveal.count(), 1);
  // Tab and Shift+Tab stay inside the dialog.
  for (const key of ["Tab", "Tab", "Tab", "Tab", "Shift+Tab", "Shift+Tab", "Shift+Tab"]) {
    await page.keyboard.press(key);
    assert.ok(
      await page.evaluate(() => document.activeElement?.closest("[role=alertdialog]") !== null),
      `focus left the dialog after ${key}`,
    );
  }
  await reveal.getByRole("button", { name: "Copy to clipboard" }).click();
  await reveal.getByText("Copied").waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), fullKey);
  await expectNoSeriousAxeViolations(page);
  await screenshot(page, "api-key-reveal");
  await reveal.getByRole("button", { name: "OK" }).click();
  await reveal.waitFor({ state: "detached" });

  // From now on: only the mask, anywhere in the page.
  const row = page.getByRole("row", { name: /ci deploy/ });
  await row.waitFor();
  assert.equal(await row.locator(".masked-value").innerText(), `••••${fullKey.slice(-4)}`);
  assert.ok(!(await page.content()).includes(fullKey), "the full key is gone from the page");
  assert.match(await row.innerText(), /Write/);
  assert.match(await row.innerText(), /Active/);
  assert.match(await row.innerText(), /Never/);
  await page.reload();
  await page.getByRole("row", { name: /ci deploy/ }).waitFor();
  assert.ok(!(await page.content()).includes(fullKey), "the full key is not shown after a reload");
  await expectNoSeriousAxeViolations(page);
  await screenshot(page, "profile-api-keys");
  expectCleanPage(page);
});

test("the revealed key works from a plain HTTP client, and its use shows as last used", async () => {
  const first = await exchange(fullKey);
  assert.equal(first.status, 200, first.text);
  assert.ok(first.json.access_token);
  const me = await api(fx.server, "GET", "/api/v1/account/me", { bearer: first.json.access_token });
  assert.equal(me.status, 200, me.text);
  assert.equal(me.json.name, fx.server.bootstrap.username);
  await page.reload();
  const row = page.getByRole("row", { name: /ci deploy/ });
  await row.waitFor();
  assert.doesNotMatch(await row.locator(".col-last-used").innerText(), /Never/);
});

test("a key's sessions are listed and revocable", async () => {
  const login = await api(fx.server, "POST", "/auth/login", { json: { api_key: fullKey, session_id: "worker-7" } });
  assert.equal(login.status, 200, login.text);
  const sessionToken = login.json.access_token ?? login.json.token;
  assert.ok(sessionToken, login.text);
  await page.getByRole("button", { name: "Sessions of ci deploy" }).click();
  const dialog = page.getByRole("dialog", { name: "Sessions of key “ci deploy”" });
  await dialog.waitFor();
  await dialog.getByRole("row", { name: /worker-7/ }).waitFor();
  await expectNoSeriousAxeViolations(page);
  await screenshot(page, "api-key-sessions");
  await dialog.getByRole("button", { name: "Revoke session worker-7" }).click();
  await page.getByRole("alertdialog", { name: "Revoke session “worker-7”?" }).getByRole("button", { name: "Revoke" }).click();
  await dialog.getByText("Session “worker-7” revoked").waitFor();
  const refused = await api(fx.server, "GET", "/api/v1/account/me", { bearer: sessionToken });
  assert.equal(refused.status, 401);
  assert.equal(refused.json.reason, "revoked");
  await dialog.getByRole("button", { name: "Close" }).click();
  await dialog.waitFor({ state: "detached" });
  // Focus went back to the button that opened the dialog.
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("aria-label")), "Sessions of ci deploy");
});

test("Deactivate in the console: the client's next exchange is refused", async () => {
  await page.getByRole("button", { name: "Deactivate ci deploy" }).click();
  const confirm = page.getByRole("alertdialog", { name: "Deactivate key “ci deploy”?" });
  await confirm.waitFor();
  // Focus starts on Cancel (the safe choice); Escape cancels.
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Cancel");
  await page.keyboard.press("Escape");
  await confirm.waitFor({ state: "detached" });
  assert.equal((await exchange(fullKey)).status, 200, "cancelled: the key still works");

  await page.getByRole("button", { name: "Deactivate ci deploy" }).click();
  await confirm.getByRole("button", { name: "Deactivate" }).click();
  await page.getByText("Key “ci deploy” deactivated.").waitFor();
  const row = page.getByRole("row", { name: /ci deploy/ });
  await row.getByText("Inactive").waitFor();
  assert.equal(await page.getByRole("button", { name: "Deactivate ci deploy" }).count(), 0);

  const refused = await exchange(fullKey);
  assert.equal(refused.status, 401, refused.text);
  assert.equal(refused.json.reason, "revoked");
  expectCleanPage(page);
});

test("seed 002: \"New Key\" from the action menu opens the New Key dialog", async () => {
  await page.goto(`${fx.server.url}/console/profile/api-keys`);
  await page.getByRole("row", { name: /ci deploy/ }).waitFor();
  const actions = page.getByRole("button", { name: "API key actions" });
  await actions.click();
  await page.getByRole("menuitem", { name: "New Key" }).waitFor();
  await expectNoSeriousAxeViolations(page);
  await screenshot(page, "profile-api-keys-action-menu");
  await page.getByRole("menuitem", { name: "New Key" }).click();
  const form = page.getByRole("dialog", { name: "New Key" });
  await form.waitFor();
  await form.getByRole("button", { name: "Cancel" }).click();
  await form.waitFor({ state: "detached" });
  // Keyboard: Enter on the button opens the menu on "New Key".
  await actions.focus();
  await page.keyboard.press("Enter");
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), "New Key");
  await page.keyboard.press("Escape");
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("aria-label")), "API key actions");
  expectCleanPage(page);
});

test("the API Keys tab on a narrow window: the navigation collapses behind \"Menu\"", async () => {
  const narrow = await newPage(fx.browser, { viewport: { width: 390, height: 800 } });
  await signIn(narrow, fx.server);
  await narrow.goto(`${fx.server.url}/console/profile/api-keys`);
  await narrow.getByRole("row", { name: /ci deploy/ }).waitFor();
  const menu = narrow.getByRole("button", { name: "Menu", exact: true });
  assert.equal(await menu.getAttribute("aria-expanded"), "false");
  assert.equal(await narrow.getByRole("navigation", { name: "Main" }).isVisible(), false);
  await menu.click();
  assert.equal(await menu.getAttribute("aria-expanded"), "true");
  await narrow.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "API specification" }).waitFor();
  await expectNoSeriousAxeViolations(narrow);
  await screenshot(narrow, "profile-api-keys-narrow");
  await narrow.context().close();
});
