// The console's session as a browser holds it (docs/console.md, "CSRF"): the
// cookie's flags, a cookie the page's own scripts cannot read, a
// state-changing call from the console's origin refused without the
// session's X-CSRF-Token (and nothing changed), accepted with it, and a
// cross-site form post that gets no session at all.
import assert from "node:assert/strict";
import { test } from "node:test";

import { adminToken, api, newPage, signIn, useServerAndBrowser } from "./harness.mjs";


const fx = useServerAndBrowser();

async function userNames() {
  const r = await api(fx.server, "GET", "/api/v1/users", { bearer: await adminToken(fx.server) });
  assert.equal(r.status, 200, r.text);
  const users = Array.isArray(r.json) ? r.json : r.json.users;
  return users.map((u) => u.name);
}

// POST /api/v1/users from the page, with the cookie, and the given headers.
function createUserFromPage(page, name, headers) {
  return page.evaluate(
    async ({ name, headers }) => {
      const r = await fetch("/api/v1/users", {
        method: "POST",
        headers: { "Content-Type": "application/json", ...headers },
        body: JSON.stringify({ name, type: "service" }),
      });
      return { status: r.status, body: await r.json() };
    },
    { name, headers },
  );
}

test("the session cookie is HttpOnly, SameSite=Strict, Path=/, not Secure over http, and hidden from scripts", async () => {
  const page = await newPage(fx.browser);
  await signIn(page, fx.server);
  const cookies = await page.context().cookies(fx.server.url);
  const session = cookies.find((c) => c.name === "latchkey_session");
  assert.ok(session, `no latchkey_session cookie among ${cookies.map((c) => c.name).join(", ")}`);
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, "Strict");
  assert.equal(session.path, "/");
  assert.equal(session.secure, false, "plain http: a Secure cookie would never come back");
  assert.ok(!(await page.evaluate(() => document.cookie)).includes("latchkey_session"));
  await page.context().close();
});

test("a state-changing call needs the session's X-CSRF-Token: refused without it or with another, nothing changed", async () => {
  const page = await newPage(fx.browser);
  await signIn(page, fx.server);

  const missing = await createUserFromPage(page, "csrf-probe-missing", {});
  assert.equal(missing.status, 403);
  assert.equal(missing.body.reason, "csrf_token_invalid");
  const wrong = await createUserFromPage(page, "csrf-probe-wrong", { "X-CSRF-Token": "0".repeat(64) });
  assert.equal(wrong.status, 403);
  assert.equal(wrong.body.reason, "csrf_token_invalid");
  const names = await userNames();
  assert.ok(!names.includes("csrf-probe-missing") && !names.includes("csrf-probe-wrong"), "a refused call created a user");

  const csrf = await page.evaluate(async () => (await (await fetch("/api/v1/console/session")).json()).csrf_token);
  const accepted = await createUserFromPage(page, "csrf-probe-accepted", { "X-CSRF-Token": csrf });
  assert.equal(accepted.status, 201, JSON.stringify(accepted.body));
  assert.ok((await userNames()).includes("csrf-probe-accepted"));
  await page.context().close();
});

test("a form posted from another site carries no session: refused, nothing changed", async () => {
  const page = await newPage(fx.browser);
  await signIn(page, fx.server);
  // A page of no origin of latchkeyd's posting a text/plain form whose body
  // reads as JSON: the classic cross-site request forgery.
  await page.goto("about:blank");
  await page.setContent(`
    <form method="post" enctype="text/plain" action="${fx.server.url}/api/v1/users">
      <input type="hidden" name='{"name":"csrf-probe-form","type":"service","x":"' value='"}'>
    </form>`);
  const [response] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === "/api/v1/users"),
    page.evaluate(() => document.forms[0].submit()),
  ]);
  assert.ok([401, 403].includes(response.status()), `the forged post answered ${response.status()}`);
  assert.ok(!(await userNames()).includes("csrf-probe-form"), "the forged post created a user");
  await page.context().close();
});
