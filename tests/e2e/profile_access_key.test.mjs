// Profile → Access Key and Profile → Sessions in the browser (seed 000): the
// Client ID always visible; "Reset Secret Key" warns, then shows the new
// Client Secret once (the old secret stops working at once, the current
// access token does not); "Generate Access Key" warns that it supersedes the
// current token, then shows the bearer token in the "Access Key" box, and the
// previous token answers 401 with reason "superseded". The Sessions tab marks
// the current session and revokes another one.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  adminToken,
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
  page = await signedInProfilePage(browser, server);
});

const me = (token) => api(fx.server, "GET", "/api/v1/account/me", { bearer: token });
const tokenFor = (secret) =>
  api(fx.server, "POST", "/api/v1/account/token", { basic: [fx.server.bootstrap.client_id, secret] });

test("seed 000: the Person icon in the top right corner, then Profile, opens the Access Key tab", async () => {
  // Start elsewhere, as the seed's reader would.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "API specification" }).click();
  await page.getByRole("heading", { level: 1, name: "API specification" }).waitFor();
  const account = page.getByRole("button", { name: /^Account menu for \S/ });
  assert.equal(await account.locator("svg").count(), 1, "the person icon");
  // Top right: the button's right edge is near the window's.
  const box = await account.boundingBox();
  assert.ok(box.x + box.width > 1280 - 120 && box.y < 80, `the account menu is top right (${JSON.stringify(box)})`);
  // Keyboard: ArrowDown opens on "Profile", Escape closes and gives focus back.
  await account.focus();
  await page.keyboard.press("ArrowDown");
  const menu = page.getByRole("menu");
  assert.deepEqual(await menu.getByRole("menuitem").allInnerTexts(), ["Profile", "Sign out"]);
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Profile");
  await page.keyboard.press("ArrowDown");
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Sign out");
  await page.keyboard.press("Escape");
  await menu.waitFor({ state: "detached" });
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("aria-haspopup")), "menu");
  await account.click();
  await screenshot(page, "account-menu");
  await page.getByRole("menuitem", { name: "Profile" }).click();
  await page.getByRole("heading", { level: 1, name: "Profile" }).waitFor();
  assert.equal(new URL(page.url()).pathname, "/console/profile");
});

test("the Access Key tab shows the Client ID, the masked Secret Key and both buttons", async () => {
  await page.getByRole("tab", { name: "Access Key", selected: true }).waitFor();
  await page.getByText(fx.server.bootstrap.client_id, { exact: true }).waitFor();
  // "you will see both Client and Secret keys": the secret only masked.
  await page.getByText("Secret Key, masked").waitFor();
  await page.getByText("Hidden: the full secret is shown only once, when it is reset.").waitFor();
  // The previous test opened the Profile from the account menu, which focused
  // the heading: no focus ring in the screenshot.
  await page.evaluate(() => (document.activeElement instanceof HTMLElement ? document.activeElement.blur() : undefined));
  await page.getByRole("button", { name: "Reset Secret Key" }).waitFor();
  await page.getByRole("button", { name: "Generate Access Key" }).waitFor();
  assert.equal(await page.getByRole("textbox", { name: "Access Key", exact: true }).inputValue(), "");
  await expectNoSeriousAxeViolations(page);
  await screenshot(page, "profile-access-key");
  expectCleanPage(page);
});

let newSecret = "";
let oldToken = "";

test("Reset Secret Key: a warning, then the new Client Secret once; the old secret stops working", async () => {
  oldToken = await adminToken(fx.server);
  assert.equal((await me(oldToken)).status, 200);

  await page.getByRole("button", { name: "Reset Secret Key" }).click();
  const confirm = page.getByRole("alertdialog", { name: "Reset Secret Key?" });
  await confirm.getByText("The current secret stops working at once").waitFor();
  await expectNoSeriousAxeViolations(page);
  await screenshot(page, "reset-secret-confirm");
  await confirm.getByRole("button", { name: "Reset Secret Key" }).click();

  const reveal = page.getByRole("alertdialog", { name: "Your new Client Secret" });
  await reveal.waitFor();
  newSecret = await reveal.getByRole("textbox", { name: "Client Secret" }).inputValue();
  assert.match(newSecret, /^lk_sec_[A-Za-z0-9]{49}$/);
  await reveal.getByText(fx.server.bootstrap.client_id, { exact: true }).waitFor();
  await reveal.getByRole("button", { name: "Copy to clipboard: Client Secret" }).waitFor();
  await reveal.getByRole("button", { name: "OK" }).click();
  await reveal.waitFor({ state: "detached" });
  assert.ok(!(await page.content()).includes(newSecret), "the secret is gone once OK is clicked");
  // Focus is back on the button that started it.
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Reset Secret Key");

  const old = await tokenFor(fx.server.bootstrap.client_secret);
  assert.equal(old.status, 401, "the old secret stops working at once");
  assert.equal((await me(oldToken)).status, 200, "the current access token stays valid");
  // The Client ID did not change.
  await page.getByText(fx.server.bootstrap.client_id, { exact: true }).waitFor();
});

test("Generate Access Key: a warning, the token in the Access Key box, the previous one superseded", async () => {
  await page.getByRole("button", { name: "Generate Access Key" }).click();
  const confirm = page.getByRole("alertdialog", { name: "Generate Access Key?" });
  await confirm.getByText("supersedes your current one").waitFor();
  const [issued] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === "/api/v1/console/access-token"),
    confirm.getByRole("button", { name: "Generate Access Key" }).click(),
  ]);
  assert.equal(issued.status(), 200);
  const box = page.getByRole("textbox", { name: "Access Key", exact: true });
  await page.waitForFunction(() => document.querySelector(".access-key-box textarea")?.value);
  const token = await box.inputValue();
  assert.match(token, /^lk_at_/);
  await expectNoSeriousAxeViolations(page);
  await screenshot(page, "profile-access-key-generated");

  const refused = await me(oldToken);
  assert.equal(refused.status, 401);
  assert.equal(refused.json.reason, "superseded");
  const mine = await me(token);
  assert.equal(mine.status, 200, mine.text);
  assert.equal(mine.json.client_id, fx.server.bootstrap.client_id);

  // The new secret works (and, as seed 000 says, supersedes in turn).
  const fresh = await tokenFor(newSecret);
  assert.equal(fresh.status, 200, fresh.text);
  assert.equal((await me(token)).json?.reason ?? "superseded", "superseded");
  expectCleanPage(page);
});

test("Sessions: the current session is marked; another one is revoked and that browser is signed out", async () => {
  const other = await newPage(fx.browser);
  await signIn(other, fx.server);
  await other.getByRole("heading", { level: 1, name: "Profile" }).waitFor();

  await page.getByRole("tab", { name: "Sessions" }).click();
  assert.equal(new URL(page.url()).pathname, "/console/profile/sessions");
  const rows = page.locator("tbody tr");
  await page.getByText("This session").waitFor();
  assert.ok((await rows.count()) >= 2, "both sessions are listed");
  const current = page.getByRole("row", { name: /This session/ });
  assert.equal(await current.getByRole("button", { name: /Revoke/ }).count(), 0, "the current session has no Revoke");
  await expectNoSeriousAxeViolations(page);
  await screenshot(page, "profile-sessions");

  const before = await rows.count();
  await page.getByRole("button", { name: /^Revoke the session/ }).first().click();
  await page.getByRole("alertdialog", { name: "Revoke this session?" }).getByRole("button", { name: "Revoke" }).click();
  await page.getByText("The session was revoked").waitFor();
  await page.waitForFunction((n) => document.querySelectorAll("tbody tr").length === n - 1, before);

  // Unless the revoked one was this page's own, the other browser is out:
  // its next call sends it back to sign-in.
  const stillIn = await api(fx.server, "GET", "/api/v1/console/session", {
    headers: { Cookie: (await other.context().cookies()).map((c) => `${c.name}=${c.value}`).join("; ") },
  });
  assert.equal(stillIn.status, 401, "the revoked session is gone server-side");
  await other.getByRole("tab", { name: "Sessions" }).click();
  await other.getByText("Your session has ended. Sign in again to continue.").waitFor();
  await other.getByLabel("Username", { exact: true }).waitFor();
  await other.context().close();
  expectCleanPage(page);
});

test("the tabs follow the keyboard: arrows move between them, each with its URL", async () => {
  await page.getByRole("tab", { name: "Sessions" }).focus();
  await page.keyboard.press("Home");
  await page.getByRole("tab", { name: "Access Key", selected: true }).waitFor();
  assert.equal(new URL(page.url()).pathname, "/console/profile/access-key");
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Access Key");
  await page.keyboard.press("ArrowRight");
  await page.getByRole("tab", { name: "API Keys", selected: true }).waitFor();
  assert.equal(new URL(page.url()).pathname, "/console/profile/api-keys");
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), "API Keys");
  await page.goBack();
  await page.getByRole("tab", { name: "Access Key", selected: true }).waitFor();
});

test("a first-time person: no Client ID yet, so Reset Secret Key first, then Generate Access Key", async () => {
  // The bootstrap secret was reset above: the admin's token comes from the new one.
  const admin = (await tokenFor(newSecret)).json.access_token;
  const created = await api(fx.server, "POST", "/api/v1/users", {
    bearer: admin,
    json: { name: "bob", type: "human", api_access: true },
  });
  assert.equal(created.status, 201, created.text);
  const invited = await api(fx.server, "POST", `/api/v1/users/${created.json.id}/invitation`, { bearer: admin });
  assert.equal(invited.status, 201, invited.text);
  const password = "a password long enough";
  const accepted = await api(fx.server, "POST", "/api/v1/console/invitations/accept", {
    json: { token: decodeURIComponent(new URL(invited.json.invitation_url).hash.slice(1)), password },
  });
  assert.equal(accepted.status, 204, accepted.text);

  const bob = await newPage(fx.browser);
  await signIn(bob, fx.server, { username: "bob", password });
  await bob.getByRole("heading", { level: 1, name: "Profile" }).waitFor();
  await bob.getByText("Not created yet. Use “Reset Secret Key” to create your Client ID and Secret.").waitFor();

  await bob.getByRole("button", { name: "Generate Access Key" }).click();
  await bob.getByRole("alertdialog", { name: "Generate Access Key?" }).getByRole("button", { name: "Generate Access Key" }).click();
  await bob.getByRole("alert").filter({ hasText: "You have no Client ID yet." }).waitFor();

  await bob.getByRole("button", { name: "Reset Secret Key" }).click();
  await bob.getByRole("alertdialog", { name: "Reset Secret Key?" }).getByRole("button", { name: "Reset Secret Key" }).click();
  const reveal = bob.getByRole("alertdialog", { name: "Your new Client Secret" });
  const secret = await reveal.getByRole("textbox", { name: "Client Secret" }).inputValue();
  await reveal.getByRole("button", { name: "OK" }).click();
  const clientId = (await bob.locator(".client-id").innerText()).trim();
  assert.match(clientId, /^cli_/);

  await bob.getByRole("button", { name: "Generate Access Key" }).click();
  await bob.getByRole("alertdialog", { name: "Generate Access Key?" }).getByRole("button", { name: "Generate Access Key" }).click();
  await bob.waitForFunction(() => document.querySelector(".access-key-box textarea")?.value);
  const token = await bob.getByRole("textbox", { name: "Access Key", exact: true }).inputValue();
  const who = await me(token);
  assert.equal(who.status, 200, who.text);
  assert.equal(who.json.name, "bob");
  // The secret from the reveal is bob's: it exchanges for a token too.
  const exchanged = await api(fx.server, "POST", "/api/v1/account/token", { basic: [clientId, secret] });
  assert.equal(exchanged.status, 200, exchanged.text);
  expectCleanPage(bob);
  await bob.context().close();
});
