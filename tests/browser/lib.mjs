// Shared by the browser tests and scripts/screenshots: Debian's Chromium through playwright-core,
// made-up participants, and the few steps every test repeats (register, answer, wait for "Đã lưu").

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHmac, randomInt } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const BASE = process.env.CUOCTHI_BASE_URL;
export const FLOW = process.env.CUOCTHI_FLOW_SLUG || "kiem-thu-trinh-duyet";
export const TIMED = process.env.CUOCTHI_TIMED_SLUG || "kiem-thu-het-gio";
export const PRACTICE = process.env.CUOCTHI_PRACTICE_SLUG || "thi-thu";
/** The system administrator server.sh creates with `cuocthi admin create` (no second factor yet). */
export const ADMIN = { username: process.env.CUOCTHI_ADMIN_USER || "quantri", password: process.env.CUOCTHI_ADMIN_PASS };
if (!BASE) throw new Error("CUOCTHI_BASE_URL is not set: run scripts/browser-test");

/** Debian's Chromium, headless, with no network of its own (no sync, no update, no QUIC). */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** A browser context as a phone would be (Vietnamese, Vietnam time), optionally without JavaScript. */
export function newContext(browser, { javaScriptEnabled = true, width = 412, height = 915 } = {}) {
  return browser.newContext({
    javaScriptEnabled,
    viewport: { width, height },
    locale: "vi-VN",
    timezoneId: "Asia/Ho_Chi_Minh",
  });
}

/**
 * Watches a page for script errors and Content-Security-Policy violations, which the tests
 * require to be none; dialogs (the submit confirmation) are accepted and recorded.
 */
export function watch(page) {
  const problems = [];
  const dialogs = [];
  page.on("pageerror", (e) => problems.push(`script error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy|Refused to/i.test(m.text())) {
      problems.push(`console: ${m.text()}`);
    }
  });
  page.on("dialog", async (d) => {
    dialogs.push({ type: d.type(), message: d.message() });
    await d.accept();
  });
  return { problems, dialogs };
}

const FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ"];
const GIVEN = ["Thị Hồng Nhung", "Văn Đức", "Hoàng Yến", "Quốc Bảo", "Minh Châu", "Thị Ánh Tuyết", "Đình Lộc"];
let made = 0;

/**
 * A made-up participant whose CCCD agrees with the date of birth: province 001 (Hà Nội), century
 * and sex digit 0 (a man born in the 1900s), the 2-digit year, 6 digits; a 09 mobile number.
 */
export function person() {
  made += 1;
  const yy = String(randomInt(60, 100)).padStart(2, "0");
  const serial = String((randomInt(0, 10000) * 100 + made) % 1_000_000).padStart(6, "0");
  const day = String(randomInt(1, 29)).padStart(2, "0");
  const month = String(randomInt(1, 13)).padStart(2, "0");
  return {
    fullName: `${FAMILY[randomInt(0, FAMILY.length)]} ${GIVEN[randomInt(0, GIVEN.length)]}`,
    dateOfBirth: `${day}/${month}/19${yy}`,
    cccd: `0010${yy}${serial}`,
    phone: `09${String(randomInt(0, 100_000_000)).padStart(8, "0")}`,
  };
}

/** Clicks something that leads to a new page (a link, a form button) and waits for that page. */
export async function clickAndLoad(page, locator) {
  const loaded = page.waitForEvent("framenavigated", { predicate: (f) => f === page.mainFrame() });
  await locator.click();
  await loaded;
  await page.waitForLoadState("load");
}

/** Fills the real registration form, consent ticked, and arrives on the contest page signed in. */
export async function register(page, slug, p) {
  await page.goto(`${BASE}/cuoc-thi/${slug}`);
  await clickAndLoad(page, page.getByRole("link", { name: "Đăng ký dự thi" }).first());
  assert.match(page.url(), /\/dang-ky$/);
  await fillRegistration(page, p);
  const consent = page.getByRole("checkbox", { name: /Tôi đồng ý/ });
  assert.equal(await consent.isChecked(), false, "the consent box is never pre-ticked");
  await consent.check();
  await clickAndLoad(page, page.getByRole("button", { name: "Đăng ký và tiếp tục" }));
  assert.equal(new URL(page.url()).pathname, `/cuoc-thi/${slug}`, await mainText(page));
  assert.equal(await page.locator(".me strong").innerText(), p.fullName);
}

export async function fillRegistration(page, p) {
  await page.getByLabel("Họ và tên").fill(p.fullName);
  await page.getByLabel("Ngày sinh").fill(p.dateOfBirth);
  await page.getByLabel("Số CCCD").fill(p.cccd);
  await page.getByLabel("Số điện thoại").fill(p.phone);
}

export async function mainText(page) {
  return (await page.locator("main").innerText().catch(() => "")).slice(0, 600);
}

/** The question at a position: its stem, and its options as this attempt shows them. */
export async function question(page, pos) {
  const fs = page.locator(`fieldset.q[data-pos="${pos}"]`);
  const stem = await fs.locator("legend").innerText();
  const labels = fs.locator("label.opt");
  const n = await labels.count();
  const options = [];
  for (let i = 0; i < n; i++) {
    const label = labels.nth(i);
    options.push({
      value: await label.locator("input").getAttribute("value"),
      text: (await label.locator("span").last().innerText()).trim(),
      input: label.locator("input"),
    });
  }
  return { fs, stem, options };
}

/** The test questions are sums ("… phép tính 17 + 16 …"): the correct option is the sum. */
export function sumOf(stem) {
  const m = stem.match(/(\d+) \+ (\d+)/);
  assert.ok(m, `not a test question: ${stem}`);
  return String(Number(m[1]) + Number(m[2]));
}

/**
 * Picks the correct option of the question at `pos`, or a wrong one, by ticking its radio button.
 * With JavaScript, waits until the page says the answer is saved. Returns the option's value.
 */
export async function answer(page, pos, { correct = true, js = true } = {}) {
  const q = await question(page, pos);
  const sum = sumOf(q.stem);
  const pick = q.options.find((o) => (o.text === sum) === correct);
  assert.ok(pick, `no ${correct ? "correct" : "wrong"} option in: ${q.stem}`);
  await pick.input.check();
  if (js) await saved(q.fs.locator(".st"));
  return pick.value;
}

/** Waits until a status line says "Đã lưu" (saved by the server). */
export async function saved(status, timeout = 15_000) {
  await status.page().waitForFunction(
    (el) => el.getAttribute("data-state") === "saved",
    await status.elementHandle(),
    { timeout },
  );
  assert.equal((await status.innerText()).trim(), "Đã lưu");
}

/** Which option is checked at each position (null where none). */
export async function checkedValues(page, total) {
  const out = [];
  for (let pos = 0; pos < total; pos++) {
    const checked = page.locator(`input[name="q${pos}"]:checked`);
    out.push((await checked.count()) ? await checked.getAttribute("value") : null);
  }
  return out;
}

export function attemptId(page) {
  const m = new URL(page.url()).pathname.match(/^\/bai-thi\/(\d+)/);
  assert.ok(m, `not an attempt page: ${page.url()}`);
  return Number(m[1]);
}

/** Runs a test body; on failure keeps a screenshot of each open page and names the page. */
export async function withPages(name, contexts, body) {
  try {
    await body();
  } catch (e) {
    const dir = process.env.CUOCTHI_BROWSER_FAILURES || join(tmpdir(), "cuocthi-browser-failures");
    mkdirSync(dir, { recursive: true });
    let i = 0;
    for (const ctx of contexts()) {
      for (const p of ctx.pages()) {
        i += 1;
        const file = join(dir, `${name}-${i}.png`);
        await p.screenshot({ path: file, fullPage: true }).catch(() => {});
        e.message += `\n  page ${i}: ${p.url()} (screenshot ${file})\n  ${(await mainText(p)).replace(/\n/g, " | ")}`;
      }
    }
    throw e;
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// --- The organisers' console ------------------------------------------------------------------

/** Bytes of an RFC 4648 base32 string (the TOTP secret shown on /admin/bao-mat). */
export function base32(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of text.toUpperCase().replace(/[\s=]/g, "")) {
    const v = alphabet.indexOf(c);
    if (v < 0) throw new Error(`not base32: ${c}`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** The RFC 6238 code (SHA-1, 6 digits, 30 s) of a base32 secret at a time in milliseconds. */
export function totp(secret, atMs = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(atMs / 30_000)));
  const h = createHmac("sha1", base32(secret)).update(counter).digest();
  const o = h[h.length - 1] & 0x0f;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

/** "HH:MM DD/MM/YYYY" in Vietnam time (UTC+7, no daylight saving), `days` from now at `hhmm`. */
export function vnTime(days, hhmm) {
  const d = new Date(Date.now() + 7 * 3_600_000 + days * 86_400_000);
  const p = (n) => String(n).padStart(2, "0");
  return `${hhmm} ${p(d.getUTCDate())}/${p(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}`;
}

/** Fills the console's sign-in form and sends it; `code` is the second factor, if any. */
export async function adminSignIn(page, { username = ADMIN.username, password = ADMIN.password, code = "" } = {}) {
  if (new URL(page.url()).pathname !== "/admin/dang-nhap") await page.goto(`${BASE}/admin/dang-nhap`);
  await page.getByLabel("Tên đăng nhập").fill(username);
  await page.getByLabel("Mật khẩu").fill(password);
  await page.getByLabel(/Mã xác thực/).fill(code);
  await clickAndLoad(page, page.getByRole("button", { name: "Đăng nhập" }));
}

/**
 * At a first sign-in every account is sent to set up its authenticator app: reads the secret shown
 * under the QR code, confirms with the code it gives now, and returns the secret (for later codes).
 */
export async function setUpSecondFactor(page) {
  assert.equal(new URL(page.url()).pathname, "/admin/bao-mat", "a first sign-in leads to the set-up");
  await clickAndLoad(page, page.getByRole("button", { name: "Bật xác thực hai lớp" }));
  const secret = (await page.locator("#totp-secret").innerText()).trim();
  await page.getByLabel("Mã 6 số").fill(totp(secret));
  await clickAndLoad(page, page.getByRole("button", { name: "Xác nhận và bật" }));
  assert.equal(new URL(page.url()).pathname, "/admin", await page.locator("main").innerText());
  return secret;
}

/** Uploads a question file on a contest's import page; returns the report's sentence. */
export async function uploadQuestions(page, slug, file) {
  await page.goto(`${BASE}/admin/cuoc-thi/${slug}/nhap-cau-hoi`);
  await page.getByLabel(/Tệp câu hỏi/).setInputFiles(file);
  await clickAndLoad(page, page.getByRole("button", { name: "Tải lên và kiểm tra" }));
  // The file is read in the background: a progress page until the report shows.
  const report = page.locator("main p", { hasText: /^Đã đọc \d+ câu hỏi/ });
  await report.waitFor({ timeout: 30_000 });
  return (await report.innerText()).trim();
}

/** The `cuocthi` binary the tests' server runs (scripts/browser-test builds it). */
export const BIN = join(process.env.CARGO_TARGET_DIR || "", process.env.CUOCTHI_PROFILE || "debug", "cuocthi");
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "fixtures");

/** "HH:MM DD/MM/YYYY" in Vietnam time (UTC+7), `offsetMs` from now. */
export function vnAt(offsetMs) {
  const d = new Date(Date.now() + 7 * 3_600_000 + offsetMs);
  const p = (n) => String(n).padStart(2, "0");
  return `${p(d.getUTCHours())}:${p(d.getUTCMinutes())} ${p(d.getUTCDate())}/${p(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}`;
}

/**
 * A test's own contest, imported with `cuocthi contest import`: fixtures/kiem-thu.toml.in, open from
 * an hour ago until tomorrow, with `fixture` (a file of fixtures/) appended and the addition bank.
 * Returns the temporary folder that holds it (the caller removes it).
 */
export function importContest(slug, title, fixture) {
  const dir = mkdtempSync(join(tmpdir(), `cuocthi-${slug}-`));
  const definition =
    readFileSync(join(FIXTURES, "kiem-thu.toml.in"), "utf8")
      .replaceAll("@SLUG@", slug)
      .replaceAll("@TITLE@", title)
      .replaceAll("@MINUTES@", "15")
      .replaceAll("@OPENS@", vnAt(-3_600_000))
      .replaceAll("@CLOSES@", vnAt(86_400_000)) +
    "\n" +
    readFileSync(join(FIXTURES, fixture), "utf8");
  writeFileSync(join(dir, `${slug}.toml`), definition);
  copyFileSync(join(FIXTURES, "phep-cong.csv"), join(dir, "phep-cong.csv"));
  execFileSync(BIN, ["contest", "import", join(dir, `${slug}.toml`)], { stdio: "pipe" });
  return dir;
}

/** A staff account made with `cuocthi admin create`, its password from the environment. */
export function createStaff(who, role) {
  execFileSync(BIN, ["admin", "create", "--username", who.username, "--role", role], {
    stdio: "pipe",
    env: { ...process.env, CUOCTHI_ADMIN_PASSWORD: who.password },
  });
}

/** Signs a staff member in, setting up the second factor the first time (every account needs one). */
export async function staffSignIn(page, who) {
  await adminSignIn(page, who);
  if (new URL(page.url()).pathname === "/admin/bao-mat") await setUpSecondFactor(page);
  assert.equal(new URL(page.url()).pathname, "/admin", await page.locator("main").innerText());
}

/** With CUOCTHI_EVENT_SHOTS=DIR, keeps a screenshot of `page` there (docs/screenshots/event-*.png). */
export async function eventShot(page, name) {
  if (process.env.CUOCTHI_EVENT_SHOTS) await page.screenshot({ path: join(process.env.CUOCTHI_EVENT_SHOTS, `${name}.png`) });
}

