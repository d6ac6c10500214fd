// End-to-end test of the web UI: the real meterhub binary on free loopback ports, Debian's Chromium driven by
// playwright-core. Each step saves a screenshot under --out; a failing step saves failed-<step>.png and the
// run exits 1. Usage: node tests/e2e/web_e2e.mjs --meterhub build/test/meterhub --out build/test/e2e
import { spawn, spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { mkdirSync, mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "../../web/package.json"));
const { chromium } = require("playwright-core");

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, a, i, all) =>
  (a.startsWith("--") ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), []));
const meterhub = path.resolve(args.meterhub || "build/test/meterhub");
const out = path.resolve(args.out || "build/test/e2e");
const chromiumPath = process.env.MH_CHROMIUM || "/usr/bin/chromium";
mkdirSync(out, { recursive: true });
if (!existsSync(chromiumPath)) {
  console.error(`web_e2e: no Chromium at ${chromiumPath} (scripts/setup test installs Debian's chromium)`);
  process.exit(1);
}

const fail = (message) => { throw new Error(message); };
const expect = (condition, message) => { if (!condition) fail(message); };

// ---- the server ----
const dir = mkdtempSync(path.join(tmpdir(), "meterhub-e2e-"));
const db = path.join(dir, "m.db");
const run = (cmdArgs, input) => spawnSync(meterhub, ["--db", db, ...cmdArgs], { input, encoding: "utf8" });
const admin = run(["user", "add", "root@example.org", "--admin"], "admin password 1\n");
expect(admin.status === 0, "cannot create the admin: " + admin.stderr);

const log = [];
const server = spawn(meterhub, ["--db", db, "--set", "http.port=0", "--set", "http.address=127.0.0.1",
  "--set", "solarman.port=0", "--set", "solarman.address=127.0.0.1", "--set", "auth.login_attempts_per_minute=50",
  "serve"], { stdio: ["ignore", "pipe", "pipe"] });
const waiters = [];
for (const stream of [server.stdout, server.stderr]) {
  let rest = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk) => {
    rest += chunk;
    const lines = rest.split("\n");
    rest = lines.pop();
    for (const line of lines) { log.push(line); waiters.forEach((w) => w()); }
  });
}
function waitForLog(pattern, ms = 15000) {
  return new Promise((resolve, reject) => {
    const check = () => {
      for (const line of log) { const m = line.match(pattern); if (m) { cleanup(); resolve(m); return true; } }
      return false;
    };
    const timer = setTimeout(() => { cleanup(); reject(new Error("not in the server log: " + pattern)); }, ms);
    const cleanup = () => { clearTimeout(timer); waiters.splice(waiters.indexOf(check), 1); };
    waiters.push(check);
    check();
  });
}

let browser;
let page;
const sims = [];
let step = "start";
const shot = async (name) => { if (page) await page.screenshot({ path: path.join(out, name + ".png"), fullPage: true }); };

async function stepDo(name, fn) {
  step = name;
  const started = Date.now();
  await fn();
  await shot(name);
  console.log(`ok   ${name} (${Date.now() - started} ms)`);
}

// Waits for a condition on the Node side, polling every 100 ms.
async function waitUntil(condition, what, ms = 20000) {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) fail("timed out waiting for " + what);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// Waits for a condition in the page, polling (playwright's waitForFunction).
const waitInPage = (fn, arg, ms = 15000) => page.waitForFunction(fn, arg, { timeout: ms, polling: 100 });

try {
  const port = (await waitForLog(/meterhub: http:\/\/localhost:([0-9]+)/))[1];
  const solarmanPort = (await waitForLog(/solarman loggers on port ([0-9]+)/))[1];
  const base = `http://127.0.0.1:${port}`;
  browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: "en-GB" });
  page = await context.newPage();
  const dialogs = [];
  // confirm() guards deletions and revocations; an alert() can only come from injected script.
  page.on("dialog", async (d) => { if (d.type() !== "confirm") dialogs.push(d.message()); await d.accept(); });
  const pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));

  await stepDo("signup", async () => {
    await page.goto(base + "/signup");
    await page.fill('input[name="email"]', "alice@example.org");
    await page.fill('input[name="display_name"]', "Alice");
    await page.fill('input[name="password"]', "a good password");
    await page.fill('input[name="password_again"]', "a different one");
    await page.click('main button[type="submit"]');
    await page.waitForSelector("#password_again-error");  // the error sits next to its field
    await page.fill('input[name="password"]', "a good password");
    await page.fill('input[name="password_again"]', "a good password");
    await page.click('main button[type="submit"]');
    await page.waitForSelector("text=alice@example.org");
  });

  await stepDo("verify", async () => {
    const link = (await waitForLog(/(http:\/\/\S+\/verify\?token=[0-9a-f]+)/))[1];
    await page.goto(base + new URL(link).pathname + new URL(link).search);
    await page.waitForSelector("text=Your e-mail address is confirmed");
  });

  await stepDo("login", async () => {
    await page.goto(base + "/login");
    await page.fill('input[name="email"]', "alice@example.org");
    await page.fill('input[name="password"]', "wrong password");
    await page.click('main button[type="submit"]');
    await page.waitForSelector("#form-error");
    await page.fill('input[name="password"]', "a good password");
    await page.click('main button[type="submit"]');
    await page.waitForURL(/\/t\/[0-9]+$/);
    await page.waitForSelector("#setup-help");  // the empty state says how to connect devices
  });
  const tenantUrl = page.url();

  await stepDo("add-inverter", async () => {
    await page.goto(tenantUrl + "/inverters/new");
    await page.fill('input[name="name"]', "Roof");
    await page.selectOption('select[name="source"]', "solarman");
    await page.fill('input[name="serial"]', "2711000001");
    await page.fill('input[name="mppt_count"]', "2");
    await page.click('main button[type="submit"]');
    await page.waitForURL(/\/inverters\/[0-9]+$/);
    await page.waitForSelector("#no-data");
  });
  const dashboardUrl = page.url();

  const simulate = (serial, frames) => {
    const sim = spawn(meterhub, ["sim", "solarman", "--loggers", "1", "--first-serial", serial, "--host", "127.0.0.1",
      "--port", solarmanPort, "--interval", "1", "--frames", String(frames)], { stdio: "ignore" });
    sims.push(sim);
    return sim;
  };

  await stepDo("chart-draws", async () => {
    simulate("2711000001", 120);
    await waitUntil(async () => !(await (await page.request.get(dashboardUrl)).text()).includes('id="no-data"'),
                    "the logger's first data on the dashboard");
    await page.goto(dashboardUrl);
    await waitInPage(() => Number(document.querySelector("#power-chart")?.dataset.points || 0) >= 1);
    await waitInPage(() => document.querySelector("#power-chart canvas") !== null);
    const before = Number(await page.locator("#power-chart").getAttribute("data-points"));
    // Live: new samples arrive through server-sent events and extend the chart without a reload.
    await waitInPage((n) => Number(document.querySelector("#power-chart").dataset.points) > n
                            && Number(document.body.dataset.liveEvents || 0) >= 1, before);
    const power = await page.locator("#current-power").textContent();
    expect(/[0-9]/.test(power), "no current power on the dashboard: " + power);
  });

  await stepDo("page-load", async () => {
    // A figure, not a check: the whole dashboard (HTML and cached assets) until the load event, on loopback.
    const times = [];
    for (let i = 0; i < 5; i++) {
      await page.goto(dashboardUrl);
      times.push(await page.evaluate(() => performance.getEntriesByType("navigation")[0].loadEventEnd));
    }
    times.sort((a, b) => a - b);
    console.log(`     dashboard load with cached assets: median ${times[2].toFixed(0)} ms, max ${times[4].toFixed(0)} ms`);
  });

  await stepDo("phone-layout", async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    await page.goto(dashboardUrl);
    await waitInPage(() => document.querySelector("#power-chart canvas") !== null);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width <= 375, "horizontal scroll on a phone: the page is " + width + " px wide");
    await page.setViewportSize({ width: 1200, height: 900 });
  });

  await stepDo("api-key", async () => {
    await page.goto(tenantUrl + "/keys");
    await page.fill('input[name="name"]', "OpenDTU roof");
    await page.click("#create-key");
    const key = (await page.locator("#new-key").textContent()).trim();
    expect(/^mhk_[a-z0-9]{8}_[a-z0-9]{32}$/.test(key), "not a key: " + key);
    const pushed = await fetch(base + "/api/opendtu/measurements", { method: "POST",
      headers: { "X-API-Key": key, "Content-Type": "application/json" },
      body: JSON.stringify({ dtu_serial: "DTU1", inverters: [{ serial: "114100000001", name: "x",
        measurements: { power_ac: 100 }, dc_channels: [] }] }) });
    expect(pushed.status !== 401, "a fresh key is refused: " + pushed.status);
    await page.goto(tenantUrl + "/keys");
    expect(!(await page.content()).includes(key), "the key is shown again after creation");
    await page.click('#keys button:has-text("Revoke")');
    await page.waitForSelector("#keys .revoked");
    const refused = await fetch(base + "/api/opendtu/measurements", { method: "POST",
      headers: { "X-API-Key": key, "Content-Type": "application/json" }, body: "{}" });
    expect(refused.status === 401, "a revoked key still works: " + refused.status);
  });

  await stepDo("claim-unclaimed", async () => {
    const sim = simulate("2799000009", 3);
    await new Promise((resolve) => sim.on("exit", resolve));
    await page.goto(tenantUrl + "/unclaimed");
    await page.waitForSelector("text=2799000009");
    const row = page.locator("tr", { hasText: "2799000009" });
    await row.locator('input[name="name"]').fill("Garage");
    await row.locator('button[type="submit"]').click();
    await page.waitForURL(/\/inverters\/[0-9]+$/);
    await page.waitForSelector("h1:has-text('Garage')");
  });

  await stepDo("xss-renders-as-text", async () => {
    await page.goto(dashboardUrl + "/edit");
    await page.fill('input[name="name"]', "<script>alert(1)</script>");
    await page.click('main button[type="submit"]');
    await page.waitForURL(dashboardUrl);
    await page.waitForSelector("h1");
    expect((await page.locator("h1").textContent()) === "<script>alert(1)</script>", "the name is not shown as text");
    await page.goto(tenantUrl + "/inverters");
    await page.waitForSelector("text=<script>alert(1)</script>");
    expect(dialogs.length === 0, "a script ran: " + dialogs.join(", "));
  });

  await stepDo("viewer-cannot-reach-admin", async () => {
    const response = await page.goto(base + "/admin");
    expect(response.status() === 403, "a household user opened /admin: " + response.status());
    await page.waitForSelector("#error-message");
  });

  await stepDo("logout", async () => {
    await page.goto(tenantUrl);
    await page.click('button:has-text("Log out")');
    await page.waitForURL(/\/login$/);
    const response = await page.goto(tenantUrl);
    expect(page.url().includes("/login"), "a logged-out browser still sees the tenant: " + response.url());
  });

  expect(pageErrors.length === 0, "JavaScript errors: " + pageErrors.join("; "));
  console.log("web_e2e: all steps passed; screenshots in " + out);
} catch (error) {
  console.error(`FAIL ${step}: ${error.stack || error}`);
  try { await page?.screenshot({ path: path.join(out, "failed-" + step + ".png"), fullPage: true }); } catch {}
  console.error("server log (last 40 lines):\n" + log.slice(-40).join("\n"));
  process.exitCode = 1;
} finally {
  sims.forEach((s) => s.kill("SIGKILL"));
  await browser?.close();
  server.kill("SIGTERM");
  await new Promise((resolve) => { server.on("exit", resolve); setTimeout(resolve, 5000); });
  rmSync(dir, { recursive: true, force: true });
}
