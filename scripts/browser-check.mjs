// Drives the staff console and the merchant counter in headless Chromium over the DevTools
// protocol, saves a screenshot of every page, and fails when a page errors: an HTTP 5xx, an
// unexpected 4xx, a script exception, a console error (CSP violations included) or a missing
// element. Started by scripts/browser-check.sh, which runs the server on the demo community.
//
// Usage: node --experimental-websocket scripts/browser-check.mjs BASE_URL DATABASE SCREENSHOT_DIR

import { spawn, execFileSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [base, database, shots] = process.argv.slice(2);
if (!base || !database || !shots) {
  console.error("usage: browser-check.mjs BASE_URL DATABASE SCREENSHOT_DIR");
  process.exit(2);
}
mkdirSync(shots, { recursive: true });
const problems = [];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// --- The chat side: signed generic-gateway messages, as the demo bot receives them. ---------

let messageNumber = 0;
async function say(sender, chat, text) {
  messageNumber += 1;
  const body = JSON.stringify({
    message_id: `browser-check-${Date.now()}-${messageNumber}`, chat_id: chat,
    sender: { id: sender, name: sender }, text, attachments: [], sent_at: Math.floor(Date.now() / 1000),
  });
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = createHmac("sha256", "demo-generic-secret").update(`${timestamp}\n${body}`).digest("hex");
  const response = await fetch(`${base}/webhooks/generic/demo`, {
    method: "POST", body,
    headers: { "Content-Type": "application/json", "X-GridBot-Timestamp": timestamp, "X-GridBot-Signature": `v1=${signature}` },
  });
  if (response.status !== 200) throw new Error(`webhook answered ${response.status} to "${text}"`);
  await sleep(400);
}

function query(sql) {
  return execFileSync("python3", ["-c", "import sqlite3,sys; print('\\n'.join(str(r[0]) for r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2])))", database, sql])
    .toString().trim();
}

// --- A minimal DevTools protocol client. -----------------------------------------------------

const profile = mkdtempSync(join(tmpdir(), "gridbot-chromium-"));
const chromium = spawn(process.env.CHROMIUM ?? "chromium", [
  "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--remote-debugging-port=0",
  `--user-data-dir=${profile}`, "--window-size=412,900", "about:blank",
], { stdio: ["ignore", "ignore", "pipe"] });
chromium.stderr.on("data", () => {});

// Chromium creates DevToolsActivePort before it writes the port into it: wait for the number.
let portFile = join(profile, "DevToolsActivePort");
let port = "";
for (let i = 0; i < 150 && !/^\d+$/.test(port); i++) {
  if (existsSync(portFile)) port = readFileSync(portFile, "utf8").split("\n")[0].trim();
  if (!/^\d+$/.test(port)) await sleep(100);
}
if (!/^\d+$/.test(port)) throw new Error("Chromium did not start");
const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
const page = targets.find((t) => t.type === "page");
const socket = new WebSocket(page.webSocketDebuggerUrl);
await new Promise((resolve, reject) => { socket.onopen = resolve; socket.onerror = reject; });

let nextID = 0;
const pending = new Map();
const listeners = [];
socket.onmessage = (event) => {
  const message = JSON.parse(event.data);
  if (message.id !== undefined && pending.has(message.id)) {
    const { resolve, reject } = pending.get(message.id);
    pending.delete(message.id);
    message.error ? reject(new Error(message.error.message)) : resolve(message.result);
  } else if (message.method) {
    for (const listener of listeners) listener(message);
  }
};
function send(method, params = {}) {
  const id = ++nextID;
  socket.send(JSON.stringify({ id, method, params }));
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
}

let currentStep = "start";
let documentStatus = 0;
listeners.push((message) => {
  if (message.method === "Runtime.exceptionThrown") {
    problems.push(`${currentStep}: script exception: ${message.params.exceptionDetails.exception?.description ?? message.params.exceptionDetails.text}`);
  } else if (message.method === "Runtime.consoleAPICalled" && message.params.type === "error") {
    problems.push(`${currentStep}: console error: ${message.params.args.map((a) => a.value ?? a.description).join(" ")}`);
  } else if (message.method === "Log.entryAdded" && message.params.entry.level === "error") {
    problems.push(`${currentStep}: ${message.params.entry.source}: ${message.params.entry.text}`);
  } else if (message.method === "Network.responseReceived" && message.params.type === "Document") {
    documentStatus = message.params.response.status;
  }
});
await send("Page.enable");
await send("Runtime.enable");
await send("Log.enable");
await send("Network.enable");
await send("Emulation.setDeviceMetricsOverride", { width: 412, height: 900, deviceScaleFactor: 1, mobile: true });

async function evaluate(expression) {
  const result = await send("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true });
  if (result.exceptionDetails) throw new Error(`${currentStep}: ${result.exceptionDetails.text}`);
  return result.result.value;
}

async function waitForLoad() {
  for (let i = 0; i < 100; i++) {
    await sleep(100);
    if ((await evaluate("document.readyState")) === "complete") return;
  }
  throw new Error(`${currentStep}: the page did not finish loading`);
}

/// Opens a page (or submits with `action`), checks its status and an element, and saves a screenshot.
async function step(name, { url, action, expect, status = 200, check }) {
  currentStep = name;
  documentStatus = 0;
  if (url) await send("Page.navigate", { url: `${base}${url}` });
  if (action) await evaluate(action);
  await sleep(300);
  await waitForLoad();
  if (documentStatus !== status) problems.push(`${name}: HTTP ${documentStatus}, expected ${status}`);
  if (expect && !(await evaluate(`!!document.querySelector(${JSON.stringify(expect)})`))) {
    problems.push(`${name}: no ${expect} on the page`);
  }
  if (check && !(await evaluate(check.expression))) problems.push(`${name}: ${check.what}`);
  const { data } = await send("Page.captureScreenshot", { format: "png", captureBeyondViewport: true });
  writeFileSync(join(shots, `${name}.png`), Buffer.from(data, "base64"));
  console.log(`browser-check: ${name} ok (${await evaluate("location.pathname")})`);
}

const submit = (selector) => `document.querySelector(${JSON.stringify(selector)}).submit()`;
function signIn(account, password) {
  return `document.getElementById('account').value=${JSON.stringify(account)};document.getElementById('password').value=${JSON.stringify(password)};document.querySelector('form[action="/login"]').submit()`;
}

try {
  // Something to look at: two reports, and a voucher for 王芳 earned by a task.
  await say("resident.wangfang", "building-3", "3号楼2单元电梯停了，有人被困");
  await say("resident.liqiang", "building-3", "33号楼消防通道堆满纸箱");
  // Too vague for the parser to be sure of: it waits in the triage list.
  await say("resident.wangfang", "building-3", "电梯那个事");
  await say("worker01", "staff-g01", "发布任务 清理3号楼自行车棚 120分 1人");
  await say("resident.wangfang", "building-3", "报名 T4");
  await say("resident.wangfang", "building-3", "完成 T4 已清理");
  await say("zheng.jianguo", "staff-hx", "通过 T4 @王芳");
  await say("resident.wangfang", "building-3", "兑换 O1");
  const voucher = query("SELECT code FROM vouchers WHERE offer_code = 'O1' ORDER BY issued_at DESC LIMIT 1");
  if (!voucher) throw new Error("no voucher was issued to redeem");

  // The staff console, as the community admin.
  await step("01-login", { url: "/login", expect: "form[action='/login']" });
  // At a phone's width the queue is cards, and nothing is wider than the screen.
  const phoneCards = {
    expression: `getComputedStyle(document.querySelector("#reports thead")).display === "none" && document.documentElement.scrollWidth <= innerWidth`,
    what: "the report queue is not shown as cards at 412 px, or the page is wider than the screen",
  };
  await step("02-reports", { action: signIn("ADM1", "demo-admin-hx"), expect: "table#reports", check: phoneCards });
  await step("03-report", { url: "/reports/1", expect: "ol#timeline" });
  await step("04-acknowledged", { action: `document.querySelector("input[name='verb'][value='acknowledge']").form.submit()`, expect: "p.ok" });
  await step("05-filtered", { url: "/reports?status=all&category=fire_safety", expect: "table#reports" });
  await step("06-dashboard", { url: "/dashboard", expect: "svg" });
  // The grid map: 3号楼's trapped-in-the-lift report colours it red; on a phone the map scrolls
  // in its own box and the page stays as wide as the screen; then the same at a desk's width.
  const mapFits = { expression: `document.documentElement.scrollWidth <= innerWidth`, what: "the map page is wider than the screen" };
  await step("06b-map-phone", { url: "/map", expect: "#map svg a[data-building='3'][data-state='emergency']", check: mapFits });
  // The care register: the emergency in 3号楼2单元 asked for a check on 王秀兰, listed with its button.
  const careFits = { expression: `document.documentElement.scrollWidth <= innerWidth`, what: "the care page is wider than the screen" };
  await step("06d-care-phone", { url: "/care", expect: "#checks form[action='/care/visits'] button", check: careFits });
  await send("Emulation.setDeviceMetricsOverride", { width: 1280, height: 900, deviceScaleFactor: 1, mobile: false });
  await step("06c-map-desktop", { url: "/map?building=3", expect: "#building a[href='/reports/1']", check: mapFits });
  await step("06e-care-desktop", { url: "/care", expect: "#register table#care td", check: careFits });
  await step("06f-care-visited", { action: submit("#checks form[action='/care/visits']"), expect: "p.ok" });
  await send("Emulation.setDeviceMetricsOverride", { width: 412, height: 900, deviceScaleFactor: 1, mobile: true });
  await step("07-admin", { url: "/admin", expect: "table#change-log" });
  await step("08-routing-saved", {
    action: `(() => { const f = document.querySelector("form[action='/admin/routing'] input[value='noise']").form; f.querySelector('select').value = 'police'; f.submit(); })()`,
    expect: "p.ok",
  });
  await step("08b-triage", { url: "/triage", expect: "article.triage form button" });
  await step("08c-promoted", { action: `document.querySelector("article.triage input[name='action'][value='promote']").form.submit()`, expect: "ol#timeline" });
  await step("09-logged-out", { action: submit("form[action='/logout']"), expect: "form[action='/login']" });

  // The voucher page the private message links to, with its QR image, before it is used.
  const privateText = query("SELECT text FROM outbound_messages WHERE recipient = 'resident.wangfang' AND text LIKE '%GBV1.%' ORDER BY id DESC LIMIT 1");
  const payload = (privateText.match(/GBV1\.[A-Za-z0-9._-]+/) ?? [])[0];
  if (!payload) throw new Error("the voucher was not sent privately with its payload");
  await step("09b-voucher", { url: `/vouchers/${payload}`, expect: ".qr svg path" });
  await step("09c-login", { url: "/login", expect: "form[action='/login']" });

  // The merchant counter, as a shop assistant of 和谐便利超市.
  await step("10-counter", { action: signIn("MA1", "demo-counter-m1"), expect: "input#code" });
  await step("11-lookup", { action: `document.getElementById('code').value=${JSON.stringify(voucher)};document.getElementById('code').form.submit()`, expect: "form[action='/counter/redeem']" });
  await step("12-redeemed", { action: `document.querySelector("form[action='/counter/redeem']").submit()`, expect: "table#today td" });
  await step("13-statement", { url: "/counter/statement", expect: "table#statement" });
  const status = query(`SELECT status FROM vouchers WHERE code = '${voucher}'`);
  if (status !== "redeemed") problems.push(`the voucher is ${status || "missing"} after redeeming, not redeemed`);
} catch (error) {
  problems.push(`${currentStep}: ${error.message}`);
} finally {
  socket.close();
  const exited = new Promise((resolve) => chromium.once("exit", resolve));
  chromium.kill();
  await exited;
  rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
}

if (problems.length > 0) {
  console.error("browser-check FAILED:\n  " + problems.join("\n  "));
  process.exit(1);
}
console.log(`browser-check: all pages fine; screenshots in ${shots}`);
