// The browser-test harness of the web console (docs/console.md, "Browser
// tests"): a real latchkeyd on a loopback port with a fresh data directory
// and the test clock, Debian's headless chromium driven by playwright-core
// (no browser is ever downloaded), and the checks every page test needs.
//
// Environment (set by ctest, tests/e2e/CMakeLists.txt):
//   LATCHKEYD            the latchkeyd binary (required)
//   LATCHKEY_CLI         the latchkey CLI
//   CHROMIUM             the browser (default /usr/bin/chromium)
//   LATCHKEY_SOURCE_DIR  the source tree, where screenshots go (docs/console/)
//   LATCHKEY_SCREENSHOT_DIR  another directory for screenshots
//   LATCHKEY_KEEP_TEST_DATA  keep each server's data directory (and log)
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before } from "node:test";
import { fileURLToPath } from "node:url";

import AxeBuilder from "@axe-core/playwright";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const sourceDir = process.env.LATCHKEY_SOURCE_DIR ?? path.resolve(here, "../..");

export const VIEWPORT = { width: 1280, height: 800 };

// --- latchkeyd ---------------------------------------------------------------------------

// Waits until `file` exists and is not empty, or the process exits, or 10 s
// pass (the server writes its ready file within ~100 ms). Polls: the ready
// file appears atomically once the listener is bound.
async function waitForReadyFile(file, child, logFile) {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`latchkeyd exited during start-up:\n${readIfExists(logFile)}`);
    }
    if (fs.existsSync(file) && fs.statSync(file).size > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`latchkeyd was not ready within 10 s:\n${readIfExists(logFile)}`);
}

function readIfExists(file) {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

// Servers still running when the test process exits (a test failed before
// its stop()) are killed with it, never left behind, and their data removed.
const running = new Map();  // child process -> data directory
process.on("exit", () => {
  for (const [child, dataDir] of running) {
    child.kill("SIGKILL");
    if (!process.env.LATCHKEY_KEEP_TEST_DATA) fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

// Starts the latchkeyd of env LATCHKEYD on 127.0.0.1 (any free port) with a
// temporary data directory, --bootstrap-file, a ready file and the injected
// test clock (--insecure-test-clock), as tests/support/latchkeyd_process.cc.
//   options.args  more command-line arguments
//   options.env   more environment variables
// Returns { url, bootstrap, dataDir, log(), advanceClock(seconds), stop() };
// `bootstrap` is the parsed --bootstrap-file JSON (user_id, client_id,
// client_secret, username, password).
export async function startServer(options = {}) {
  const binary = process.env.LATCHKEYD;
  assert.ok(binary, "set LATCHKEYD to the latchkeyd binary (ctest does)");
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "latchkey-e2e-"));
  const readyFile = path.join(dataDir, "ready");
  const bootstrapFile = path.join(dataDir, "bootstrap.json");
  const logFile = path.join(dataDir, "server.log");
  const log = fs.openSync(logFile, "a", 0o600);
  const args = [
    "--listen", "127.0.0.1:0",
    "--data", path.join(dataDir, "db"),
    "--ready-file", readyFile,
    "--bootstrap-file", bootstrapFile,
    "--insecure-test-clock",
    "--log-level", "info",
    ...(options.args ?? []),
  ];
  const child = spawn(binary, args, {
    stdio: ["ignore", log, log],
    env: { ...process.env, ...(options.env ?? {}) },
  });
  fs.closeSync(log);
  running.set(child, dataDir);
  child.once("exit", () => running.delete(child));
  try {
    await waitForReadyFile(readyFile, child, logFile);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  const url = fs.readFileSync(readyFile, "utf8").split("\n")[0].trim();
  const bootstrap = JSON.parse(fs.readFileSync(bootstrapFile, "utf8"));

  let stopped = false;
  return {
    url,
    bootstrap,
    dataDir,
    log: () => readIfExists(logFile),
    // POST /_test/clock/advance: moves latchkeyd's clock, never the wall clock.
    async advanceClock(seconds) {
      const response = await fetch(`${url}/_test/clock/advance`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ seconds }),
      });
      assert.equal(response.status, 200, `advancing the clock: ${await response.text()}`);
    },
    // SIGTERM and wait (a clean drain exits 0); removes the data directory.
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, "exit");
        child.kill("SIGTERM");
        await exited;
      }
      const output = readIfExists(logFile);
      if (!process.env.LATCHKEY_KEEP_TEST_DATA) {
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
      assert.equal(child.exitCode, 0, `latchkeyd exited with ${child.exitCode}:\n${output}`);
    },
  };
}

// A plain HTTP call to the server (a client outside the browser), for
// checks such as "the key works from curl" or "the API's report".
//   options: { headers, json (a body sent as JSON), body, bearer, basic: [id, secret] }
// Returns { status, headers, text, json } (json: null when not JSON).
export async function api(server, method, urlPath, options = {}) {
  const headers = { ...(options.headers ?? {}) };
  let body = options.body;
  if (options.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.json);
  }
  if (options.bearer) headers.Authorization = `Bearer ${options.bearer}`;
  if (options.basic) {
    headers.Authorization = `Basic ${Buffer.from(options.basic.join(":")).toString("base64")}`;
  }
  const response = await fetch(`${server.url}${urlPath}`, { method, headers, body });
  const text = await response.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: response.status, headers: response.headers, text, json };
}

// The admin's account token (seed 000: Client ID + Secret as Basic).
export async function adminToken(server) {
  const { client_id: id, client_secret: secret } = server.bootstrap;
  const r = await api(server, "POST", "/api/v1/account/token", { basic: [id, secret] });
  assert.equal(r.status, 200, r.text);
  return r.json.access_token;
}

// --- the browser -------------------------------------------------------------------------

// Headless chromium from env CHROMIUM or /usr/bin/chromium (Debian's).
// Chromium's sandbox cannot start as root (CI containers): --no-sandbox then.
export async function launchBrowser() {
  const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
  const args = ["--disable-dev-shm-usage", "--no-proxy-server"];
  if (process.getuid?.() === 0) args.push("--no-sandbox");
  return chromium.launch({ executablePath, headless: true, args });
}

// Reported by the page itself: the browser does not always say it in the console.
const reportCspViolations = () => {
  document.addEventListener("securitypolicyviolation", (event) => {
    console.error(
      `[csp] ${event.effectiveDirective} blocked ${event.blockedURI || "inline"} ` +
        `(${event.sourceFile || "?"}:${event.lineNumber})`,
    );
  });
};

// A page of its own browser context (fresh cookies) at 1280 x 800 that
// records what must not happen, in page.problems:
//   errors       console errors and uncaught exceptions
//   csp          Content-Security-Policy violations
//   badResponses responses >= 500, and >= 400 to anything but fetch()/XHR
//                calls (the document and its files must all load; an API
//                call's refusal is the page's business)
// expectCleanPage(page) asserts all three are empty.
export async function newPage(browser, options = {}) {
  const context = await browser.newContext({ viewport: options.viewport ?? VIEWPORT });
  const page = await context.newPage();
  const problems = { errors: [], csp: [], badResponses: [] };
  page.problems = problems;
  await page.addInitScript(reportCspViolations);
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const text = message.text();
    if (text.startsWith("[csp]") || text.includes("Content Security Policy")) {
      problems.csp.push(text);
    } else if (!text.startsWith("Failed to load resource")) {
      // A failed load is judged by its response (badResponses).
      problems.errors.push(text);
    }
  });
  page.on("pageerror", (error) => problems.errors.push(`uncaught: ${error.message}`));
  page.on("response", (response) => {
    const status = response.status();
    const request = response.request();
    const apiCall = ["fetch", "xhr"].includes(request.resourceType());
    if (status >= 500 || (status >= 400 && !apiCall)) {
      problems.badResponses.push(`${status} ${request.method()} ${new URL(response.url()).pathname}`);
    }
  });
  page.on("requestfailed", (request) => {
    const error = request.failure()?.errorText ?? "";
    // Navigating away cancels what was loading (net::ERR_ABORTED): not a fault.
    if (["fetch", "xhr"].includes(request.resourceType()) || error === "net::ERR_ABORTED") return;
    problems.badResponses.push(`failed ${request.method()} ${request.url()}: ${error}`);
  });
  return page;
}

// Asserts the document's title matches `pattern`, once the page has set it:
// the console sets its title in an effect, just after the page is drawn.
export async function expectTitle(page, pattern) {
  await page
    .waitForFunction((source) => new RegExp(source).test(document.title), pattern.source, { timeout: 5000 })
    .catch(() => {});  // the assertion below says what the title was
  assert.match(await page.title(), pattern);
}

// Asserts the page had no console error, no uncaught exception, no CSP
// violation and no failed load of its own files so far.
export function expectCleanPage(page) {
  assert.deepEqual(page.problems.csp, [], "Content-Security-Policy violations");
  assert.deepEqual(page.problems.errors, [], "console errors");
  assert.deepEqual(page.problems.badResponses, [], "failed loads");
}

// Signs in through the console's form: the fields labelled "Username" and
// "Password", then "Sign in"; waits for the session (POST
// /api/v1/console/sign-in answering 200) and for the form to go.
// credentials: { username, password }, by default the bootstrap admin's.
export async function signIn(page, server, credentials = {}) {
  const username = credentials.username ?? server.bootstrap.username;
  const password = credentials.password ?? server.bootstrap.password;
  assert.ok(username && password, "the bootstrap file has no console username/password");
  if (!new URL(page.url(), server.url).pathname.startsWith("/console")) {
    await page.goto(`${server.url}/console/`);
  }
  await page.getByLabel("Username", { exact: true }).fill(username);
  await page.getByLabel("Password", { exact: true }).fill(password);
  const [response] = await Promise.all([
    page.waitForResponse(
      (r) => new URL(r.url()).pathname === "/api/v1/console/sign-in" && r.request().method() === "POST",
    ),
    page.getByRole("button", { name: "Sign in", exact: true }).click(),
  ]);
  assert.equal(response.status(), 200, `sign-in answered ${response.status()}`);
  await page.getByLabel("Password", { exact: true }).waitFor({ state: "detached" });
}

// --- accessibility and screenshots ------------------------------------------------------

// Runs axe-core on the page as it is now and fails on any violation of
// impact "serious" or "critical", listing each with the elements concerned.
export async function expectNoSeriousAxeViolations(page, options = {}) {
  let builder = new AxeBuilder({ page });
  if (options.include) builder = builder.include(options.include);
  if (options.exclude) builder = builder.exclude(options.exclude);
  const results = await builder.analyze();
  const serious = results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
  assert.deepEqual(serious, [], `axe-core found serious or critical violations on ${page.url()}`);
}

// Writes docs/console/<name>.png (the screenshots of docs/console.md are
// produced by the test run); LATCHKEY_SCREENSHOT_DIR writes elsewhere.
// Every element marked data-secret (a one-time reveal, the Access Key box)
// is painted over: no screenshot shows a full secret. Returns the file's path.
export async function screenshot(page, name) {
  assert.match(name, /^[a-z0-9][a-z0-9-]*$/, "a screenshot name: lower-case letters, digits, '-'");
  const dir = process.env.LATCHKEY_SCREENSHOT_DIR ?? path.join(sourceDir, "docs", "console");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file, animations: "disabled", caret: "hide", mask: [page.locator("[data-secret]")] });
  return file;
}

// --- the fixture of a test file ------------------------------------------------------------

// One latchkeyd and one browser for all the tests of a file: both start
// before its first test (then `setUp(fixture)` runs, if given) and stop after
// its last. Returns the fixture; its `server` and `browser` are set once
// started, so read them inside tests and hooks, not at module load.
export function useServerAndBrowser(setUp) {
  const fixture = { server: undefined, browser: undefined };
  before(async () => {
    [fixture.server, fixture.browser] = await Promise.all([startServer(), launchBrowser()]);
    if (setUp) await setUp(fixture);
  });
  after(async () => {
    await fixture.browser?.close();
    await fixture.server?.stop();
  });
  return fixture;
}

// A new page signed in as the bootstrap admin, on the Profile page the
// console opens after sign-in. options.clipboard grants the clipboard
// permissions first (the "Copy to clipboard" tests read it back).
export async function signedInProfilePage(browser, server, options = {}) {
  const page = await newPage(browser);
  if (options.clipboard) {
    await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
  }
  await signIn(page, server);
  await page.getByRole("heading", { level: 1, name: "Profile" }).waitFor();
  return page;
}
