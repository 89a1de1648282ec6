// Shared set-up of the administrators' page tests (admin_*.test.mjs): the
// admin API called from outside the browser, as a plain client would.
import assert from "node:assert/strict";

import { adminToken, api, newPage, signIn } from "./harness.mjs";

// An admin-API caller for `server`: call(method, path, json?) asserts a 2xx
// and returns the parsed body.
export async function adminApi(server) {
  const token = await adminToken(server);
  const call = async (method, path, json) => {
    const r = await api(server, method, path, { bearer: token, json });
    assert.ok(r.status >= 200 && r.status < 300, `${method} ${path}: ${r.status} ${r.text}`);
    return r.json;
  };
  call.token = token;
  return call;
}

// A service account with API access and a fresh Client Secret; returns
// { user, secret, token() } where token() exchanges the secret (seed 000).
export async function serviceAccount(server, call, name) {
  const user = await call("POST", "/api/v1/users", { name, type: "service", api_access: true });
  const issued = await call("POST", `/api/v1/users/${user.id}/access-key`);
  const token = async () => {
    const r = await api(server, "POST", "/api/v1/account/token", { basic: [issued.client_id, issued.client_secret] });
    assert.equal(r.status, 200, r.text);
    return r.json.access_token;
  };
  return { user, secret: issued.client_secret, clientId: issued.client_id, token };
}

// The page's horizontal overflow at its current viewport: 0 when it fits.
export async function horizontalOverflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

// The app's own links (not the shell's navigation) may repeat a nav label.
export function nav(page, name) {
  return page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true });
}

// A new page of `server`, signed in as the bootstrap admin, opened on the
// Main navigation's `label` once its level-1 `heading` shows.
export async function openAdminPage(browser, server, label, heading) {
  const page = await newPage(browser);
  await page.goto(`${server.url}/console/`);
  await signIn(page, server);
  await nav(page, label).click();
  await page.getByRole("heading", { level: 1, name: heading }).waitFor();
  return page;
}
