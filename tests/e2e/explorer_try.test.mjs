// Administration → API specification in the browser (seed 004): every
// operation of /openapi.json, grouped by tag; "Try" on GET
// /api/v1/account/me succeeds without pasting a token (the console obtains
// its own short-lived explorer token and sends it as a bearer, never the
// cookie); a public operation is sent with no credentials at all; operations
// that need other credentials say what they need instead of offering "Try".
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

import {
  expectCleanPage,
  expectNoSeriousAxeViolations,
  screenshot,
  signedInProfilePage,
  useServerAndBrowser,
  expectTitle,
} from "./harness.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const spec = JSON.parse(fs.readFileSync(path.join(here, "../../docs/openapi.json"), "utf8"));

let page;

const fx = useServerAndBrowser(async ({ server, browser }) => {
  page = await signedInProfilePage(browser, server);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "API specification" }).click();
  await page.getByRole("heading", { level: 1, name: "API specification" }).waitFor();
});

// The operation's disclosure button: "GET /api/v1/account/me <summary>".
const operation = (method, route) =>
  page.getByRole("button", { name: new RegExp(`^${method} ${route.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} `) });

test("every operation of /openapi.json is listed, grouped by tag", async () => {
  let count = 0;
  for (const item of Object.values(spec.paths)) {
    for (const method of ["get", "post", "put", "patch", "delete"]) if (item[method]) count++;
  }
  await page.getByText(`${count} operations`).waitFor();
  assert.equal(await page.locator(".op").count(), count);
  for (const tag of ["Account tokens", "API keys", "Permissions", "OAuth", "Operations"]) {
    await page.getByRole("heading", { level: 2, name: tag, exact: true }).waitFor();
  }
  await expectTitle(page, /API specification/);
  await expectNoSeriousAxeViolations(page);
});

test("Try on GET /api/v1/account/me succeeds with the console's own token, nothing pasted", async () => {
  const requests = [];
  page.on("request", (request) => {
    const { pathname } = new URL(request.url());
    if (pathname === "/api/v1/account/me" || pathname === "/api/v1/console/explorer-token") requests.push(request);
  });
  const button = operation("GET", "/api/v1/account/me");
  await button.click();
  assert.equal(await button.getAttribute("aria-expanded"), "true");
  const body = page.locator(`#${await button.getAttribute("aria-controls")}`);
  // No field asks for a token.
  assert.equal(await body.getByRole("textbox").count(), 0);
  await body.getByText("Sent with a short-lived token the console obtains for you").waitFor();
  await body.getByRole("button", { name: "Try", exact: true }).click();
  await body.getByText("200 OK").waitFor();
  const shown = JSON.parse(await body.locator(".response-body").innerText());
  assert.equal(shown.name, fx.server.bootstrap.username);
  assert.equal(shown.client_id, fx.server.bootstrap.client_id);

  const call = requests.find((r) => new URL(r.url()).pathname === "/api/v1/account/me");
  const headers = await call.allHeaders();
  assert.match(headers.authorization ?? "", /^Bearer ey/, "sent with the explorer's JWT");
  assert.equal(headers.cookie, undefined, "not with the session cookie");
  await expectNoSeriousAxeViolations(page);
  await body.locator(".response").evaluate((element) => element.scrollIntoView({ block: "center" }));
  await screenshot(page, "api-specification");

  // A second Try reuses the cached token: no new explorer-token call.
  const minted = () => requests.filter((r) => new URL(r.url()).pathname === "/api/v1/console/explorer-token").length;
  assert.equal(minted(), 1);
  const [second] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === "/api/v1/account/me"),
    body.getByRole("button", { name: "Try", exact: true }).click(),
  ]);
  assert.equal(second.status(), 200);
  assert.equal(minted(), 1, "the explorer token is cached");
  expectCleanPage(page);
});

test("an explorer token that expired is replaced by the console itself", async () => {
  const minted = [];
  const listener = (request) => {
    if (new URL(request.url()).pathname === "/api/v1/console/explorer-token") minted.push(request);
  };
  page.on("request", listener);
  // latchkeyd's clock moves past the token's 5 minutes (the session's idle
  // limit is 30): the console still holds the token, the server refuses it.
  await fx.server.advanceClock(400);
  const meBody = page.locator(`#${await operation("GET", "/api/v1/account/me").getAttribute("aria-controls")}`);
  const answers = [];
  const record = (response) => {
    if (new URL(response.url()).pathname === "/api/v1/account/me") answers.push(response.status());
  };
  page.on("response", record);
  await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === "/api/v1/account/me" && r.status() === 200, {
      timeout: 10_000,
    }),
    meBody.getByRole("button", { name: "Try", exact: true }).click(),
  ]);
  await meBody.getByText("200 OK").waitFor();
  page.off("response", record);
  page.off("request", listener);
  assert.deepEqual(answers, [401, 200], "refused once as expired, then sent again with a fresh token");
  assert.equal(minted.length, 1, "one new explorer token");
});

test("a public operation is sent with no credentials; Basic-only ones say what they need", async () => {
  const health = operation("GET", "/healthz");
  await health.click();
  const body = page.locator(`#${await health.getAttribute("aria-controls")}`);
  await body.getByText("Public: sent without any credentials.").waitFor();
  const [request] = await Promise.all([
    page.waitForRequest((r) => new URL(r.url()).pathname === "/healthz"),
    body.getByRole("button", { name: "Try", exact: true }).click(),
  ]);
  const headers = await request.allHeaders();
  assert.equal(headers.authorization, undefined);
  assert.equal(headers.cookie, undefined);
  await body.getByText("200 OK").waitFor();

  // The console's own operations go with the session cookie.
  const session = operation("GET", "/api/v1/console/session");
  await session.click();
  const sessionBody = page.locator(`#${await session.getAttribute("aria-controls")}`);
  await sessionBody.getByText("sent with your console session").waitFor();
  await sessionBody.getByRole("button", { name: "Try", exact: true }).click();
  await sessionBody.getByText("200 OK").waitFor();
  assert.equal(JSON.parse(await sessionBody.locator(".response-body").innerText()).user.name, fx.server.bootstrap.username);

  const token = operation("POST", "/api/v1/account/token");
  await token.click();
  const tokenBody = page.locator(`#${await token.getAttribute("aria-controls")}`);
  await tokenBody.getByText("Needs your Client ID and Client Secret").waitFor();
  assert.equal(await tokenBody.getByRole("button", { name: "Try" }).count(), 0);
});

test("Try with a path parameter and a JSON body: POST /api/v1/keys creates a key", async () => {
  const create = operation("POST", "/api/v1/keys");
  await create.click();
  const body = page.locator(`#${await create.getAttribute("aria-controls")}`);
  const field = body.getByRole("textbox", { name: "Request body (JSON)" });
  assert.deepEqual(JSON.parse(await field.inputValue()), { name: "ci deploy", expires_in_days: 90, scope: "read" });
  await field.fill("{ not json");
  await body.getByRole("button", { name: "Try", exact: true }).click();
  await body.getByText(/The body is not valid JSON/).waitFor();
  await field.fill(JSON.stringify({ name: "from the explorer", expires_in_days: 30 }));
  await body.getByRole("button", { name: "Try", exact: true }).click();
  await body.getByText(/^(201 Created|403 Forbidden)/).waitFor();
  // A key is created for a person's own session token; an explorer token may
  // be refused key creation like any derived token: either way the answer is shown.
  const shown = await body.locator(".response-body").innerText();
  assert.ok(shown.trim().startsWith("{"), "the JSON answer is shown");

  const user = operation("GET", "/api/v1/users/{id}");
  await user.click();
  const userBody = page.locator(`#${await user.getAttribute("aria-controls")}`);
  const id = userBody.getByRole("textbox", { name: "id (required)" });
  assert.equal(await id.inputValue(), "me");
  await id.fill("");
  await userBody.getByRole("button", { name: "Try", exact: true }).click();
  await userBody.getByText("Enter id.").waitFor();
  await id.fill("me");
  await userBody.getByRole("button", { name: "Try", exact: true }).click();
  await userBody.getByText("200 OK").waitFor();
  await expectNoSeriousAxeViolations(page);
});
