// Sign-in, sign-out and invitations in the browser (docs/console.md): the
// form's words ("Username", "Password", "Sign in"), one message for every
// refused sign-in, the throttling message with its wait, the invitation page
// (username shown, a password of at least 12 characters typed twice, then
// sign-in), its invalid state, and a person without API access seeing the
// seed's "contact your administrator" instead of the Access Key buttons.
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
  useServerAndBrowser,
  expectTitle,
} from "./harness.mjs";


const fx = useServerAndBrowser();

async function submitSignIn(page, username, password) {
  await page.getByLabel("Username", { exact: true }).fill(username);
  await page.getByLabel("Password", { exact: true }).fill(password);
  const [response] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === "/api/v1/console/sign-in"),
    page.getByRole("button", { name: "Sign in", exact: true }).click(),
  ]);
  return response;
}

test("the sign-in page: labelled fields, a clear error for wrong credentials, then the Profile", async () => {
  const page = await newPage(fx.browser);
  await page.goto(`${fx.server.url}/console/profile/api-keys`);
  await page.getByLabel("Username", { exact: true }).waitFor();
  assert.equal(new URL(page.url()).pathname, "/console/sign-in", "a signed-out deep link goes to sign-in");
  await expectTitle(page, /Sign in/);
  await expectNoSeriousAxeViolations(page);
  await screenshot(page, "sign-in");

  const refused = await submitSignIn(page, fx.server.bootstrap.username, "not the password at all");
  assert.equal(refused.status(), 401);
  const alert = page.getByRole("alert").filter({ hasText: "Wrong username or password." });
  await alert.waitFor();
  assert.equal(await page.getByLabel("Password", { exact: true }).inputValue(), "", "the password field is cleared");
  await expectNoSeriousAxeViolations(page);

  const accepted = await submitSignIn(page, fx.server.bootstrap.username, fx.server.bootstrap.password);
  assert.equal(accepted.status(), 200);
  // Back to the page that was asked for.
  await page.getByRole("heading", { level: 1, name: "Profile" }).waitFor();
  assert.equal(new URL(page.url()).pathname, "/console/profile/api-keys");
  await page.getByRole("tab", { name: "API Keys", selected: true }).waitFor();
  assert.equal(await page.getByRole("main").count(), 1);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Profile" }).waitFor();
  assert.match(await page.locator(".user-menu").innerText(), new RegExp(fx.server.bootstrap.username));
  // The first Tab reaches "Skip to content", which moves focus to the main content.
  await page.reload();
  await page.getByRole("heading", { level: 1, name: "Profile" }).waitFor();
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Skip to content");
  await page.keyboard.press("Enter");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "main");
  assert.equal(new URL(page.url()).pathname, "/console/profile/api-keys", "the skip link does not navigate");
  expectCleanPage(page);
  await page.context().close();
});

test("repeated failures are throttled: \"Too many attempts, try again in N s\"", async () => {
  const page = await newPage(fx.browser);
  await page.goto(`${fx.server.url}/console/`);
  let last;
  for (let attempt = 0; attempt < 8; attempt++) {
    last = await submitSignIn(page, "throttled-person", `wrong password ${attempt}`);
    if (last.status() === 429) break;
    assert.equal(last.status(), 401);
  }
  assert.equal(last.status(), 429, "the console's sign-in is throttled like the token endpoints");
  const wait = Number(last.headers()["retry-after"]);
  assert.ok(wait > 0, "429 carries Retry-After");
  const alert = page.getByRole("alert").filter({ hasText: /Too many attempts, try again in \d+ s/ });
  await alert.waitFor();
  assert.match(await alert.innerText(), new RegExp(`try again in ${wait} s`));
  await page.context().close();
});

test("sign-out ends the session server-side and shows the sign-in page", async () => {
  const page = await newPage(fx.browser);
  await signIn(page, fx.server);
  await page.getByRole("heading", { level: 1, name: "Profile" }).waitFor();
  const cookies = await page.context().cookies();
  const session = cookies.find((cookie) => cookie.name === "latchkey_session");
  assert.ok(session, "the session cookie is set");
  // The account menu (person icon, top right) holds "Sign out".
  await page.getByRole("button", { name: /^Account menu for / }).click();
  await page.getByRole("menuitem", { name: "Sign out" }).click();
  await page.getByText("You have signed out.").waitFor();
  await page.getByLabel("Username", { exact: true }).waitFor();
  // The old cookie no longer opens a session.
  const again = await api(fx.server, "GET", "/api/v1/console/session", {
    headers: { Cookie: `latchkey_session=${session.value}` },
  });
  assert.equal(again.status, 401);
  expectCleanPage(page);
  await page.context().close();
});

test("an unknown console path shows the not-found page inside the shell", async () => {
  const page = await newPage(fx.browser);
  await signIn(page, fx.server);
  await page.getByRole("heading", { level: 1, name: "Profile" }).waitFor();
  await page.goto(`${fx.server.url}/console/no-such-page`);
  await page.getByRole("heading", { level: 1, name: "Page not found" }).waitFor();
  await expectTitle(page, /Page not found/);
  await page.getByRole("link", { name: "Go to your Profile" }).click();
  await page.getByRole("heading", { level: 1, name: "Profile" }).waitFor();
  await expectNoSeriousAxeViolations(page);
  await page.context().close();
});

test("an invitation: the username, a password of at least 12 characters typed twice, then sign-in", async () => {
  const token = await adminToken(fx.server);
  const created = await api(fx.server, "POST", "/api/v1/users", {
    bearer: token,
    json: { name: "alice", type: "human" },
  });
  assert.equal(created.status, 201, created.text);
  const invited = await api(fx.server, "POST", `/api/v1/users/${created.json.id}/invitation`, { bearer: token });
  assert.equal(invited.status, 201, invited.text);
  const fragment = new URL(invited.json.invitation_url).hash;
  assert.ok(fragment.length > 1, "the token is in the fragment");

  const page = await newPage(fx.browser);
  await page.goto(`${fx.server.url}/console/invite${fragment}`);
  await page.getByText("alice", { exact: true }).waitFor();
  await expectNoSeriousAxeViolations(page);
  await screenshot(page, "invitation");

  await page.getByLabel("New password").fill("too short");
  await page.getByLabel("Confirm password").fill("too short");
  await page.getByRole("button", { name: "Set password" }).click();
  await page.getByText("Use at least 12 characters.").waitFor();
  assert.equal(await page.getByLabel("New password").getAttribute("aria-invalid"), "true");

  const password = "correct horse battery staple";
  await page.getByLabel("New password").fill(password);
  await page.getByLabel("Confirm password").fill(`${password}!`);
  await page.getByRole("button", { name: "Set password" }).click();
  await page.getByText("The two passwords are not the same.").waitFor();

  await page.getByLabel("Confirm password").fill(password);
  await page.getByRole("button", { name: "Set password" }).click();
  await page.getByRole("heading", { name: "Your password is set" }).waitFor();
  await page.getByRole("link", { name: "Go to sign-in" }).click();
  await signIn(page, fx.server, { username: "alice", password });
  await page.getByRole("heading", { level: 1, name: "Profile" }).waitFor();

  // alice has no API access (the default): the seed's message, no buttons.
  await page.getByText("API access is not enabled for your account. Contact your administrator.").waitFor();
  assert.equal(await page.getByRole("button", { name: "Reset Secret Key" }).count(), 0);
  assert.equal(await page.getByRole("button", { name: "Generate Access Key" }).count(), 0);
  // Not an administrator: no administrators' pages in the navigation.
  const nav = page.getByRole("navigation", { name: "Main" });
  assert.deepEqual(await nav.getByRole("link").allInnerTexts(), ["Profile", "Settings", "API specification"]);
  await expectNoSeriousAxeViolations(page);
  await screenshot(page, "profile-no-api-access");
  // Settings → Users & API keys → Users: only administrators manage users.
  await nav.getByRole("link", { name: "Settings" }).click();
  await page.getByRole("heading", { level: 1, name: "Users & API keys" }).waitFor();
  await page.getByText(/^Administrators manage users/).waitFor();
  assert.equal(await page.getByRole("link", { name: "Manage Users" }).count(), 0);
  expectCleanPage(page);

  // The invitation is used up.
  const second = await newPage(fx.browser);
  await second.goto(`${fx.server.url}/console/invite${fragment}`);
  await second.getByText("This invitation is not valid").waitFor();
  await expectNoSeriousAxeViolations(second);
  await second.context().close();

  // A fragment that is not valid percent-encoding is an invalid invitation,
  // not a page that fails to render.
  const garbled = await newPage(fx.browser);
  await garbled.goto(`${fx.server.url}/console/invite#%E0`);
  await garbled.getByText("This invitation is not valid").waitFor();
  await garbled.context().close();
  await page.context().close();
});
