// Screenshots of the participant's pages at 360 px (a cheap Android phone) and 1280 px (a desktop),
// whole page, into docs/screenshots/: the contest page, an attempt in progress (all questions on
// one page, then one question per screen) and a result, on the demo's practice contest. Then the organisers' console at 1280 px (its sign-in page at 360 px
// too), `console-*.png`, on a contest made through the console and filled from the sample files
// of examples/questions/. Run through scripts/screenshots, which starts the server.

import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import {
  BASE,
  PRACTICE,
  adminSignIn,
  clickAndLoad,
  launch,
  newContext,
  person,
  register,
  totp,
  uploadQuestions,
  vnTime,
  watch,
} from "./lib.mjs";

const QUESTIONS = join(dirname(fileURLToPath(import.meta.url)), "../../examples/questions");

const out = process.argv[2] || "docs/screenshots";
// A closed contest with published results, prepared by scripts/screenshots (none: skipped).
const RESULTS = process.env.CUOCTHI_RESULTS_SLUG || "";
const WIDTHS = [360, 1280];
mkdirSync(out, { recursive: true });

async function open(browser, width) {
  const ctx = await newContext(browser, { width, height: width < 400 ? 780 : 900 });
  const page = await ctx.newPage();
  return { ctx, page, seen: watch(page) };
}

// The whole page: the viewport made as tall as the page, so the attempt's sticky timer bar stays
// where a person sees it (Chromium's own full-page capture leaves it out). A page wider than the
// screen (a horizontal scroll bar on a phone) is an error.
async function shot(page, name) {
  const viewport = page.viewportSize();
  const { width, height } = await page.evaluate(() => ({
    width: document.documentElement.scrollWidth,
    height: document.documentElement.scrollHeight,
  }));
  assert.ok(width <= viewport.width, `${name}: ${width} px wide in a ${viewport.width} px screen`);
  const file = join(out, `${name}-${viewport.width}.png`);
  await page.setViewportSize({ width: viewport.width, height });
  await page.screenshot({ path: file });
  await page.setViewportSize(viewport);
  console.log(`${file}  ${page.url().replace(BASE, "")}`);
}

/** Answers the question at `pos` with its first option, and waits for "Đã lưu". */
async function pickFirst(page, pos) {
  const fs = page.locator(`fieldset.q[data-pos="${pos}"]`);
  await fs.locator("input[type=radio]").first().check();
  const status = await fs.locator(".st").elementHandle();
  await page.waitForFunction((el) => el.getAttribute("data-state") === "saved", status);
}

/**
 * The console as a system administrator sees it on a desktop: signing in, setting up the second
 * factor, then a contest made through the form with its round opening tomorrow, its bank filled
 * from cau-dap-an.docx and ngan-hang-mau.xlsx, the report of ngan-hang-co-loi.xlsx (one row
 * without a key), two more accounts given roles on it; the participants page is the practice
 * contest's, where the shots above registered two people.
 */
async function consolePages(browser) {
  const narrow = await open(browser, 360);
  await narrow.page.goto(`${BASE}/admin/dang-nhap`);
  await shot(narrow.page, "console-signin");
  assert.deepEqual(narrow.seen.problems, []);
  await narrow.ctx.close();

  const { ctx, page, seen } = await open(browser, 1280);
  const slug = "tim-hieu-phap-luat-2025";
  await page.goto(`${BASE}/admin/dang-nhap`);
  await shot(page, "console-signin");
  await adminSignIn(page);
  assert.equal(new URL(page.url()).pathname, "/admin/bao-mat");
  await clickAndLoad(page, page.getByRole("button", { name: "Bật xác thực hai lớp" }));
  await shot(page, "console-security");
  await page.getByLabel("Mã 6 số").fill(totp(await page.locator("#totp-secret").innerText()));
  await clickAndLoad(page, page.getByRole("button", { name: "Xác nhận và bật" }));
  assert.equal(new URL(page.url()).pathname, "/admin");

  await page.goto(`${BASE}/admin/cuoc-thi/moi`);
  const fields = [
    [/^Địa chỉ/, slug],
    [/^Tên cuộc thi$/, "Cuộc thi trực tuyến “Tìm hiểu pháp luật năm 2025”"],
    [/^Cơ quan tổ chức$/, "Sở Tư pháp tỉnh Khánh Hoà"],
    [/^Giới thiệu ngắn$/, "Tìm hiểu Hiến pháp, pháp luật, lịch sử và địa lý Việt Nam."],
    [/^Đối tượng dự thi$/, "Mọi công dân Việt Nam từ đủ 14 tuổi."],
    [/^Tên đợt$/, "Vòng sơ khảo"],
    [/^Bắt đầu/, vnTime(1, "08:00")],
    [/^Kết thúc/, vnTime(8, "22:00")],
    [/^Số câu hỏi mỗi lượt$/, "10"],
    [/^Thời gian làm bài/, "15"],
  ];
  for (const [label, value] of fields) await page.getByLabel(label).fill(value);
  await clickAndLoad(page, page.getByRole("button", { name: "Tạo cuộc thi" }));
  assert.equal(new URL(page.url()).pathname, `/admin/cuoc-thi/${slug}`);
  for (const file of ["cau-dap-an.docx", "ngan-hang-mau.xlsx"]) {
    await uploadQuestions(page, slug, join(QUESTIONS, file));
    await clickAndLoad(page, page.getByRole("button", { name: /^Xác nhận nhập/ }));
  }
  // The report of a file with an error row, left unconfirmed.
  assert.match(await uploadQuestions(page, slug, join(QUESTIONS, "ngan-hang-co-loi.xlsx")), /1 câu có lỗi/);
  await shot(page, "console-import");

  await page.goto(`${BASE}/admin/cuoc-thi/${slug}/cau-hoi`);
  await shot(page, "console-bank");
  await clickAndLoad(page, page.locator("main table tbody tr", { hasText: "Tuyên ngôn Độc lập" }).getByRole("link"));
  await shot(page, "console-question");

  // Two more accounts, with roles on the contest.
  const team = [
    ["nguyen.thu.ha", "Nguyễn Thu Hà", "Ban Tổ chức"],
    ["tran.van.minh", "Trần Văn Minh", "Tổ Thư ký"],
  ];
  for (const [username, fullName] of team) {
    await page.goto(`${BASE}/admin/tai-khoan`);
    await page.getByLabel("Tên đăng nhập").fill(username);
    await page.getByLabel("Họ và tên").fill(fullName);
    await page.getByLabel(/^Mật khẩu ban đầu/).fill(`mat-khau-tam-${username}`);
    await clickAndLoad(page, page.getByRole("button", { name: "Tạo tài khoản" }));
  }
  for (const [username, , role] of team) {
    await page.goto(`${BASE}/admin/cuoc-thi/${slug}/nhan-su`);
    await page.getByLabel("Tên đăng nhập của tài khoản").fill(username);
    await page.getByLabel("Vai trò").selectOption({ label: role });
    await clickAndLoad(page, page.getByRole("button", { name: "Giao vai trò" }));
  }
  await shot(page, "console-team");
  await page.goto(`${BASE}/admin/tai-khoan`);
  await shot(page, "console-accounts");

  await page.goto(`${BASE}/admin`);
  await shot(page, "console-dashboard");
  await page.goto(`${BASE}/admin/cuoc-thi/${slug}`);
  await shot(page, "console-contest");
  await page.goto(`${BASE}/admin/cuoc-thi/${slug}/dinh-nghia`);
  await shot(page, "console-definition");
  await page.goto(`${BASE}/admin/cuoc-thi/${slug}/nhat-ky`);
  await shot(page, "console-audit");
  await page.goto(`${BASE}/admin/cuoc-thi/${PRACTICE}/thi-sinh`);
  await shot(page, "console-participants");
  // A past contest filled with synthetic attempts and its round published (scripts/screenshots):
  // its statistics, a unit's page, the review list, the question statistics and the results.
  if (RESULTS) {
    await page.goto(`${BASE}/admin/cuoc-thi/${RESULTS}/thong-ke`);
    await shot(page, "console-statistics");
    await page.goto(`${BASE}/admin/cuoc-thi/${RESULTS}/tham-gia`);
    await shot(page, "console-unit");
    await page.goto(`${BASE}/admin/cuoc-thi/${RESULTS}/ra-soat`);
    await shot(page, "console-review");
    await page.goto(`${BASE}/admin/cuoc-thi/${RESULTS}/phan-tich`);
    await shot(page, "console-analysis");
    await page.goto(`${BASE}/admin/cuoc-thi/${RESULTS}/ket-qua`);
    await shot(page, "console-results");
  }
  assert.deepEqual(seen.problems, []);
  await ctx.close();
}

/** The public results page of RESULTS and a certificate's verification page, at both widths. */
async function resultsPages(browser) {
  for (const width of WIDTHS) {
    const { ctx, page, seen } = await open(browser, width);
    await page.goto(`${BASE}/cuoc-thi/${RESULTS}/ket-qua`);
    await shot(page, "results");
    await clickAndLoad(page, page.locator("main table a[href^='/chung-nhan/']").first());
    await shot(page, "certificate");
    // A unit's certificate for a collective prize (giải tập thể), from the collective tables.
    await page.goBack();
    await clickAndLoad(page, page.locator("main h3:has-text('Giải tập thể') ~ div.scroll a[href^='/chung-nhan/']").first());
    await shot(page, "certificate-unit");
    assert.deepEqual(seen.problems, []);
    await ctx.close();
  }
}

const browser = await launch();
try {
  // The contest page as a visitor sees it, before anyone has taken part.
  for (const width of WIDTHS) {
    const { ctx, page, seen } = await open(browser, width);
    await page.goto(`${BASE}/cuoc-thi/${PRACTICE}`);
    await shot(page, "contest");
    assert.deepEqual(seen.problems, []);
    await ctx.close();
  }
  // An attempt with 6 of 20 questions answered, then a result with 14 answered.
  for (const width of WIDTHS) {
    const { ctx, page, seen } = await open(browser, width);
    await register(page, PRACTICE, person());
    await clickAndLoad(page, page.getByRole("button", { name: "Vào thi" }));
    for (const pos of [0, 1, 2, 3, 5, 6]) await pickFirst(page, pos);
    await shot(page, "attempt");
    // The same attempt one question per screen (the person's choice, remembered in a cookie): it
    // opens on the first unanswered question (5); question 8 is flagged for review in the map.
    await clickAndLoad(page, page.getByRole("link", { name: "Từng câu một" }));
    const shown = page.locator("fieldset.q[data-pos]:visible");
    assert.equal(await shown.count(), 1);
    await page.locator(".map button").nth(7).click();
    await shown.getByRole("button", { name: "Đánh dấu để xem lại" }).click();
    await page.locator(".map button").nth(4).click();
    assert.equal(await shown.getAttribute("data-pos"), "4");
    await shot(page, "attempt-one");
    await clickAndLoad(page, page.getByRole("link", { name: "Tất cả các câu" }));
    for (let pos = 7; pos < 15; pos++) await pickFirst(page, pos);
    await clickAndLoad(page, page.getByRole("button", { name: "Nộp bài" }));
    assert.match(page.url(), /\/ket-qua$/);
    await shot(page, "result");
    assert.deepEqual(seen.problems, []);
    await ctx.close();
  }
  if (RESULTS) await resultsPages(browser);
  await consolePages(browser);
} finally {
  await browser.close();
}
