// The console's shell in a real browser: it loads under the strict CSP with
// no console error, deep links load the app too, and axe-core finds nothing
// serious on the first screen (docs/console.md).
import assert from "node:assert/strict";
import { test } from "node:test";

import { expectCleanPage, expectNoSeriousAxeViolations, newPage, useServerAndBrowser } from "./harness.mjs";


const fx = useServerAndBrowser();

// Opens `path`, waits for the app to settle, and returns the page.
async function open(path) {
  const page = await newPage(fx.browser);
  const response = await page.goto(`${fx.server.url}${path}`);
  await page.waitForLoadState("networkidle");
  return { page, response };
}

test("/console/ loads with the CSP, no console error and no CSP violation", async () => {
  const { page, response } = await open("/console/");
  assert.equal(response.status(), 200);
  const headers = response.headers();
  assert.match(headers["content-security-policy"], /^default-src 'self'; script-src 'self';/);
  assert.equal(headers["x-frame-options"], "DENY");
  await page.getByRole("main").waitFor();
  assert.equal(await page.getByRole("main").count(), 1, "one main landmark");
  assert.ok((await page.title()).length > 0, "the document has a title");
  expectCleanPage(page);
  await page.context().close();
});

test("/console redirects to /console/ and the app loads", async () => {
  const { page, response } = await open("/console");
  const first = response.request().redirectedFrom();
  assert.equal(new URL(first.url()).pathname, "/console");
  assert.equal((await first.response()).status(), 308);
  assert.equal(new URL(response.url()).pathname, "/console/");
  await page.getByRole("main").waitFor();
  expectCleanPage(page);
  await page.context().close();
});

test("a deep link (/console/profile) loads the app", async () => {
  const { page, response } = await open("/console/profile");
  assert.equal(response.status(), 200);
  assert.equal(response.headers()["cache-control"], "no-cache");
  await page.getByRole("main").waitFor();
  expectCleanPage(page);
  await page.context().close();
});

test("the CSP refuses an inline script, and the harness sees the violation", async () => {
  const { page } = await open("/console/");
  const reported = page.waitForEvent("console", (m) => m.text().startsWith("[csp]"));
  // An inline script that is allowed runs as soon as it is inserted.
  const ran = await page.evaluate(() => {
    window.inlineRan = false;
    const script = document.createElement("script");
    script.textContent = "window.inlineRan = true;";
    document.body.append(script);
    return window.inlineRan;
  });
  assert.equal(ran, false, "an inline script ran despite the CSP");
  assert.match((await reported).text(), /script-src/);
  assert.ok(page.problems.csp.length > 0, "the violation was recorded");
  await page.context().close();
});

test("axe-core finds no serious or critical violation on the first screen", async () => {
  const { page } = await open("/console/");
  await page.getByRole("main").waitFor();
  await expectNoSeriousAxeViolations(page);
  expectCleanPage(page);
  await page.context().close();
});
