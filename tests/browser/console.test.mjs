// The organisers' console (/admin) in a real browser (Debian's Chromium), against the real
// `cuocthi serve` started by scripts/browser-test, as one organiser's morning: the system
// administrator made with `cuocthi admin create` signs in, is made to set up the second factor,
// signs out and in again with a code; creates a contest whose round opens tomorrow; fills its bank
// from a Word file and two spreadsheets (one with a row missing its key, which is then added by
// hand); searches the bank without diacritics; watches a large file being read in the background;
// opens the round now; and finds all of it in the audit log. The steps run in order in one browser context: each needs the one before.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";

import { unitSteps } from "./units.steps.mjs";
import { ADMIN, BASE, adminSignIn, clickAndLoad, launch, newContext, totp, uploadQuestions, vnTime, watch, withPages } from "./lib.mjs";

const QUESTIONS = join(dirname(fileURLToPath(import.meta.url)), "../../examples/questions");
const SLUG = "tim-hieu-phap-luat-kiem-thu";
const TITLE = "Cuộc thi trực tuyến “Tìm hiểu pháp luật” (kiểm thử quản trị)";
const PER_ATTEMPT = 10;
/** The row of ngan-hang-co-loi.xlsx with no key (crates/engine/examples/make_xlsx_fixtures.rs). */
const BAD_ROW = {
  row: 8,
  topic: "Kỹ năng số",
  stem: "Ngày Chuyển đổi số quốc gia là ngày nào trong năm?",
  options: ["10/10", "9/11", "1/6", "26/3"],
  correct: "A",
  explanation: "Quyết định số 505/QĐ-TTg ngày 22/4/2022 của Thủ tướng Chính phủ.",
};

let browser;
let ctx;
let page;
let seen;
let secret;
let confirmCode;
/** A code valid in no step the server accepts now (the current one ±1, and the next). */
function wrongCode() {
  const valid = [-30_000, 0, 30_000, 60_000].map((d) => totp(secret, Date.now() + d));
  return ["000000", "123456", "999999", "424242", "271828"].find((c) => !valid.includes(c));
}
const path = () => new URL(page.url()).pathname;
const alert = () => page.locator("main .alert").innerText();
/** The sentence a form post leaves on the page ("Đã nhập …", a notice). */
const status = () => page.locator('main [role="status"]').innerText();

/** Runs a step with a screenshot of the page on failure; steps after a failed one are skipped. */
let failed = false;
let steps = 0;
function step(name, body) {
  const n = ++steps;
  test(name, { timeout: 60_000 }, async (t) => {
    if (failed) return t.skip("an earlier step failed");
    try {
      await withPages(`console-${n}`, () => [ctx], body);
    } catch (e) {
      failed = true;
      throw e;
    }
  });
}

/** The public contest page as a visitor sees it (another context: no console session): its text. */
async function publicPage() {
  const visitor = await newContext(browser);
  try {
    const p = await visitor.newPage();
    const seenV = watch(p);
    await p.goto(`${BASE}/cuoc-thi/${SLUG}`);
    assert.equal(await p.locator("h1").innerText(), TITLE);
    const round = p.locator("section.round").first();
    const out = {
      text: await round.innerText(),
      register: await round.getByRole("link", { name: "Đăng ký dự thi" }).count(),
    };
    assert.deepEqual(seenV.problems, []);
    return out;
  } finally {
    await visitor.close();
  }
}

describe("the organisers' console in Chromium", () => {
  before(async () => {
    assert.ok(ADMIN.password, "CUOCTHI_ADMIN_PASS is not set: run scripts/browser-test");
    browser = await launch();
    ctx = await newContext(browser, { width: 1280, height: 900 });
    page = await ctx.newPage();
    seen = watch(page);
  });
  after(async () => {
    await browser?.close();
  });

  step("sign-in: a wrong password, then the required second factor set up with the QR's secret", async () => {
    await page.goto(`${BASE}/admin`);
    assert.equal(path(), "/admin/dang-nhap", "no session: the sign-in page");
    assert.equal(await page.locator("h1").innerText(), "Đăng nhập quản trị");

    await adminSignIn(page, { password: `${ADMIN.password}x` });
    assert.equal(await alert(), "Tên đăng nhập hoặc mật khẩu không đúng.");
    assert.equal(await page.getByLabel("Tên đăng nhập").inputValue(), ADMIN.username, "the name is kept");

    // Signed in, but a system administrator without a second factor may only set it up.
    await adminSignIn(page);
    assert.equal(path(), "/admin/bao-mat");
    assert.match(await alert(), /bắt buộc bật xác thực hai lớp/);
    await page.goto(`${BASE}/admin/cuoc-thi/moi`);
    assert.equal(path(), "/admin/bao-mat", "every other page sends back here");

    await clickAndLoad(page, page.getByRole("button", { name: "Bật xác thực hai lớp" }));
    const qr = page.getByRole("img", { name: "Mã QR cài đặt xác thực hai lớp" });
    assert.ok(await qr.evaluate((img) => img.complete && img.naturalWidth > 0), "the QR image is drawn");
    secret = (await page.locator("#totp-secret").innerText()).trim();
    assert.match(secret, /^[A-Z2-7]{32}$/);

    // A wrong code is refused and the same secret shown again.
    await page.getByLabel("Mã 6 số").fill(wrongCode());
    await clickAndLoad(page, page.getByRole("button", { name: "Xác nhận và bật" }));
    assert.equal(await alert(), "Mã xác thực không đúng; hãy nhập mã đang hiện trong ứng dụng.");
    assert.equal((await page.locator("#totp-secret").innerText()).trim(), secret);

    confirmCode = totp(secret);
    await page.getByLabel("Mã 6 số").fill(confirmCode);
    await clickAndLoad(page, page.getByRole("button", { name: "Xác nhận và bật" }));
    assert.equal(path(), "/admin");
    assert.equal(await page.locator("main h1").innerText(), "Cuộc thi");
    await page.goto(`${BASE}/admin/bao-mat`);
    assert.match(await page.locator("main").innerText(), /Đã bật: mỗi lần đăng nhập cần mã 6 số/);
  });

  step("sign-out, then sign-in again: a code is needed, a used or wrong one refused, the next one accepted", async () => {
    await clickAndLoad(page, page.locator("header").getByRole("button", { name: "Đăng xuất" }));
    assert.equal(path(), "/admin/dang-nhap");
    await page.goto(`${BASE}/admin`);
    assert.equal(path(), "/admin/dang-nhap", "the session is gone");

    await adminSignIn(page);
    assert.equal(await alert(), "Nhập mã xác thực 6 số từ ứng dụng xác thực.");
    // The code that confirmed the set-up: its step is used up.
    await adminSignIn(page, { code: confirmCode });
    assert.equal(path(), "/admin/dang-nhap");
    assert.equal(await alert(), "Mã xác thực không đúng hoặc đã được dùng.");
    await adminSignIn(page, { code: wrongCode() });
    assert.equal(await alert(), "Mã xác thực không đúng hoặc đã được dùng.");

    // The code of the next 30 s step: the server accepts one step ahead, and never a step twice.
    await adminSignIn(page, { code: totp(secret, Date.now() + 30_000) });
    assert.equal(path(), "/admin", await page.locator("main").innerText());
    assert.equal(await page.locator("header .adminnav").getByRole("link", { name: ADMIN.username }).count(), 1);
  });

  step("a new contest whose round opens tomorrow, Vietnam time", async () => {
    await clickAndLoad(page, page.getByRole("link", { name: "Tạo cuộc thi mới" }));
    assert.equal(path(), "/admin/cuoc-thi/moi");
    const opens = vnTime(1, "08:00");
    const closes = vnTime(8, "22:00");
    // The address's pattern compiles in Chromium (`v` flag: `-` escaped in its class), so the
    // browser itself refuses a bad address; a good one passes.
    const address = page.getByLabel(/^Địa chỉ/);
    for (const bad of ["Sai Địa Chỉ", "-gach-dau", "ab"]) {
      await address.fill(bad);
      assert.equal(await address.evaluate((el) => el.checkValidity()), false, bad);
    }
    await address.fill(SLUG);
    assert.equal(await address.evaluate((el) => el.checkValidity()), true);
    await page.getByLabel("Tên cuộc thi", { exact: true }).fill(TITLE);
    await page.getByLabel("Cơ quan tổ chức").fill("Sở Tư pháp tỉnh Khánh Hoà");
    await page.getByLabel("Giới thiệu ngắn").fill("Tìm hiểu Hiến pháp, pháp luật và lịch sử, địa lý Việt Nam.");
    await page.getByLabel("Đối tượng dự thi").fill("Mọi công dân Việt Nam từ đủ 14 tuổi.");
    await page.getByLabel(/^Thể lệ/).fill("Mỗi lượt thi gồm **10 câu hỏi** trắc nghiệm, làm trong 15 phút.");
    await page.getByLabel("Tên đợt").fill("Vòng sơ khảo");
    await page.getByLabel(/^Bắt đầu/).fill(opens);
    await page.getByLabel(/^Kết thúc/).fill(closes);
    await page.getByLabel("Số câu hỏi mỗi lượt").fill(String(PER_ATTEMPT));
    await page.getByLabel("Thời gian làm bài (phút)").fill("15");
    await page.getByLabel("Số lượt thi tối đa mỗi người").fill("2");
    await clickAndLoad(page, page.getByRole("button", { name: "Tạo cuộc thi" }));

    assert.equal(path(), `/admin/cuoc-thi/${SLUG}`, await page.locator("main").innerText());
    assert.equal(await page.locator("main h1").innerText(), TITLE);
    const round = page.locator("main table tbody tr").first();
    const cells = await round.locator("td").allInnerTexts();
    assert.equal(cells[0], "1. Vòng sơ khảo");
    assert.equal(cells[1], `${opens} – ${closes}`);
    assert.equal(cells[2], "Chưa mở");
    assert.equal(await round.getByRole("button", { name: "Mở ngay" }).count(), 1);
    // On the dashboard too; the public page counts down, without a way to register yet.
    await page.goto(`${BASE}/admin`);
    assert.match(await page.locator("main").innerText(), new RegExp(`Vòng sơ khảo: ${opens} – ${closes} · Chưa mở`));
    const visitor = await publicPage();
    assert.match(visitor.text, /Đợt thi mở sau/);
    assert.equal(visitor.register, 0);
  });

  step("the bank from a Word file: the report, the confirmation, a round too short to open", async () => {
    const report = await uploadQuestions(page, SLUG, join(QUESTIONS, "cau-dap-an.docx"));
    assert.equal(report, "Đã đọc 7 câu hỏi: 7 câu hợp lệ sẽ được nhập, 0 câu có lỗi, 0 câu trùng (bỏ qua).");
    assert.equal(await page.locator("main h2").first().innerText(), "Báo cáo kiểm tra: cau-dap-an.docx");
    assert.equal(await page.getByRole("checkbox").count(), 0, "nothing to skip");
    await clickAndLoad(page, page.getByRole("button", { name: "Xác nhận nhập 7 câu hỏi" }));
    assert.equal(await status(), "Đã nhập 7 câu hỏi vào ngân hàng.");

    // The same file again: every question a duplicate, named by its paragraph, nothing to confirm.
    const again = await uploadQuestions(page, SLUG, join(QUESTIONS, "cau-dap-an.docx"));
    assert.equal(again, "Đã đọc 7 câu hỏi: 0 câu hợp lệ sẽ được nhập, 0 câu có lỗi, 7 câu trùng (bỏ qua).");
    const dup = await page.locator("main table tbody tr").first().locator("td").allInnerTexts();
    assert.equal(dup[0], "Đoạn 4");
    assert.ok(dup[1].length > 10 && dup[1].length <= 61, `the start of the question: ${dup[1]}`);
    assert.match(dup[2], /^câu #\d+ đã có trong ngân hàng$/);
    assert.equal(await page.getByRole("button", { name: /Xác nhận nhập/ }).count(), 0);

    // Seven questions cannot fill an attempt of ten: "Mở ngay" is refused, and says why.
    await page.goto(`${BASE}/admin/cuoc-thi/${SLUG}`);
    await clickAndLoad(page, page.getByRole("button", { name: "Mở ngay" }));
    assert.equal(await alert(), `Ngân hàng mới có 7 câu hỏi, chưa đủ ${PER_ATTEMPT} câu cho một lượt thi.`);
    assert.equal((await page.locator("main table tbody tr").first().locator("td").allInnerTexts())[2], "Chưa mở");
  });

  step("a spreadsheet with a row missing its key: skipped on confirmation, then added by hand", async () => {
    const report = await uploadQuestions(page, SLUG, join(QUESTIONS, "ngan-hang-co-loi.xlsx"));
    assert.equal(report, "Đã đọc 8 câu hỏi: 7 câu hợp lệ sẽ được nhập, 1 câu có lỗi, 0 câu trùng (bỏ qua).");
    const problems = page.locator("main table", { has: page.locator("caption", { hasText: "Câu có lỗi" }) });
    // The row, the start of its question (no need to open the file to find it), and why.
    assert.deepEqual(await problems.locator("tbody tr td").allInnerTexts(), [
      `Dòng ${BAD_ROW.row}`,
      BAD_ROW.stem,
      "Chưa chỉ ra đáp án đúng.",
    ]);

    // The skip box is required: the browser does not send the form without it.
    const skip = page.getByRole("checkbox", { name: /Bỏ qua 1 câu có lỗi và chỉ nhập 7 câu hợp lệ/ });
    const confirm = page.getByRole("button", { name: "Xác nhận nhập 7 câu hỏi" });
    const url = page.url();
    await confirm.click();
    assert.equal(await skip.evaluate((el) => el.validity.valueMissing), true);
    assert.equal(page.url(), url);
    await skip.check();
    await clickAndLoad(page, confirm);
    assert.equal(await status(), "Đã nhập 7 câu hỏi vào ngân hàng.");

    // The bad row, typed in by hand with its key.
    await page.goto(`${BASE}/admin/cuoc-thi/${SLUG}/cau-hoi`);
    assert.match(await page.locator("main p.muted").first().innerText(), /14 câu đang dùng/);
    await clickAndLoad(page, page.getByRole("link", { name: "Thêm câu hỏi" }));
    assert.equal(await page.locator("main h1").innerText(), "Thêm câu hỏi");
    await page.getByLabel("Chủ đề").fill(BAD_ROW.topic);
    await page.getByLabel("Câu hỏi", { exact: true }).fill(BAD_ROW.stem);
    for (const [i, option] of BAD_ROW.options.entries()) {
      await page.getByLabel(`Phương án ${"ABCD"[i]}`).fill(option);
    }
    await page.getByLabel("Đáp án đúng").selectOption(BAD_ROW.correct);
    await page.getByLabel(/^Giải thích/).fill(BAD_ROW.explanation);
    await clickAndLoad(page, page.getByRole("button", { name: "Thêm vào ngân hàng" }));

    // The question's page: the preview as a participant sees it, the key and explanation below.
    assert.match(path(), new RegExp(`^/admin/cuoc-thi/${SLUG}/cau-hoi/\\d+$`), await page.locator("main").innerText());
    assert.match(await page.locator("main h1").innerText(), /^Câu hỏi #\d+$/);
    const preview = page.locator(".preview");
    assert.equal(await page.getByRole("heading", { name: "Xem trước (như người dự thi thấy)" }).count(), 1);
    assert.equal(await preview.locator("legend").innerText(), `Câu 1. ${BAD_ROW.stem}`);
    const options = preview.locator("label.opt");
    assert.deepEqual(
      (await options.allInnerTexts()).map((t) => t.replace(/\s+/g, " ").trim()),
      BAD_ROW.options.map((o, i) => `${"ABCD"[i]}. ${o}`),
    );
    assert.equal(await preview.getByRole("radio", { disabled: true }).count(), 4, "the preview cannot be answered");
    assert.equal(
      await preview.locator("p").innerText(),
      `Đáp án đúng: ${BAD_ROW.correct} · Giải thích: ${BAD_ROW.explanation}`,
    );
  });

  step("the sample spreadsheet fills the bank; a search without diacritics finds a question", async () => {
    const report = await uploadQuestions(page, SLUG, join(QUESTIONS, "ngan-hang-mau.xlsx"));
    assert.equal(report, "Đã đọc 25 câu hỏi: 25 câu hợp lệ sẽ được nhập, 0 câu có lỗi, 0 câu trùng (bỏ qua).");
    await clickAndLoad(page, page.getByRole("button", { name: "Xác nhận nhập 25 câu hỏi" }));
    assert.equal(await status(), "Đã nhập 25 câu hỏi vào ngân hàng.");

    // The confirmation lands on the bank (a redirect: a reload cannot import twice).
    assert.equal(new URL(page.url()).pathname, `/admin/cuoc-thi/${SLUG}/cau-hoi`);
    assert.match(await page.locator("main p.muted").first().innerText(), /40 câu đang dùng, 0 câu đã rút/);
    assert.equal(await page.locator("main table caption").innerText(), "40 câu hỏi");

    const search = async (q) => {
      await page.getByRole("searchbox", { name: /Tìm/ }).fill(q);
      await clickAndLoad(page, page.getByRole("button", { name: "Lọc" }));
      return page.locator("main table tbody tr");
    };
    let rows = await search("tuyen ngon doc lap");
    assert.equal(await rows.count(), 1);
    assert.match(await rows.innerText(), /Chủ tịch Hồ Chí Minh đọc bản Tuyên ngôn Độc lập/);
    assert.match(await rows.innerText(), /Lịch sử Việt Nam/);
    rows = await search("CHUYEN DOI SO");
    assert.equal(await rows.count(), 1, "the question added by hand");
    assert.match(await rows.innerText(), /Ngày Chuyển đổi số quốc gia/);
    assert.equal((await rows.locator("td").allInnerTexts())[3], "A");
    rows = await search("khong co cau nao nhu the nay");
    assert.equal(await rows.innerText(), "Không có câu hỏi nào khớp.");
  });

  step("a large file is read in the background: the progress bar moves, then the report", async () => {
    // 40,000 questions (about 3 MB), not confirmed: the bank is left as it was.
    const rows = ["Chủ đề,Câu hỏi,A,B,C,D,Đáp án"];
    for (let i = 0; i < 40_000; i++) rows.push(`Phép cộng,Câu số ${i}: ${i} cộng 1 bằng bao nhiêu?,${i + 1},${i + 2},${i + 3},${i},A`);
    const dir = mkdtempSync(join(tmpdir(), "cuocthi-lon-"));
    const file = join(dir, "ngan-hang-lon.csv");
    writeFileSync(file, rows.join("\n") + "\n");
    try {
      await page.goto(`${BASE}/admin/cuoc-thi/${SLUG}/nhap-cau-hoi`);
      await page.getByLabel(/Tệp câu hỏi/).setInputFiles(file);
      await clickAndLoad(page, page.getByRole("button", { name: "Tải lên và kiểm tra" }));
      assert.match(path(), new RegExp(`^/admin/cuoc-thi/${SLUG}/nhap-cau-hoi/\\d+$`));
      // While reading, the script (not a refresh: <noscript> is inert with JavaScript) asks the
      // server how far it has got, moves the bar, and reloads the page once, for the report.
      let reloads = 0;
      const count = (f) => {
        if (f === page.mainFrame()) reloads++;
      };
      const reading = (await page.locator("main progress").count()) > 0;
      page.on("framenavigated", count);
      const report = page.locator("main p", { hasText: /^Đã đọc \d+ câu hỏi/ });
      await report.waitFor({ timeout: 60_000 });
      page.off("framenavigated", count);
      if (reading) assert.ok(reloads <= 1, `${reloads} reloads while reading: the script polls, the page does not refresh`);
      else console.log("# the file was read before the first page: no progress shown");
      assert.equal(
        await report.innerText(),
        "Đã đọc 40000 câu hỏi: 40000 câu hợp lệ sẽ được nhập, 0 câu có lỗi, 0 câu trùng (bỏ qua).",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  step("the round opened now: 'Đang mở' in the console, open on the public page", async () => {
    await page.goto(`${BASE}/admin/cuoc-thi/${SLUG}`);
    assert.match(await page.getByRole("link", { name: /^Ngân hàng câu hỏi/ }).innerText(), /\(40\)/);
    await clickAndLoad(page, page.getByRole("button", { name: "Mở ngay" }));
    assert.equal(path(), `/admin/cuoc-thi/${SLUG}`);
    const round = page.locator("main table tbody tr").first();
    assert.equal((await round.locator("td").allInnerTexts())[2], "Đang mở");
    assert.equal(await page.getByRole("button", { name: "Mở ngay" }).count(), 0);
    assert.equal(await page.locator("main .alert").count(), 0);

    // A visitor sees it open, with the way to register.
    const visitor = await publicPage();
    assert.match(visitor.text, /Đợt thi kết thúc sau/);
    assert.match(visitor.text, /10 câu hỏi, thời gian làm bài tối đa 15 phút, mỗi người được thi tối đa 02 lượt\./);
    assert.equal(visitor.register, 1);
  });

  step("the audit log names every action and who did it", async () => {
    await page.goto(`${BASE}/admin/cuoc-thi/${SLUG}`);
    await clickAndLoad(page, page.locator("nav.tabs").getByRole("link", { name: "Nhật ký" }));
    assert.equal(path(), `/admin/cuoc-thi/${SLUG}/nhat-ky`);
    assert.equal(await page.locator("main h1").innerText(), `Nhật ký thao tác – ${TITLE}`);
    // Each action by its Vietnamese name, with its code beside it.
    const entries = async () =>
      Promise.all(
        (await page.locator("main table tbody tr").all()).map(async (tr) => {
          const td = tr.locator("td");
          const action = await td.nth(3).locator(".code").innerText();
          const label = (await td.nth(3).innerText()).replace(action, "").trim();
          return { actor: await td.nth(2).innerText(), action, label };
        }),
      );
    const log = await entries();
    // Newest first.
    assert.deepEqual(
      log.map((e) => e.action),
      ["round.open", "question.import", "question.add", "question.import", "question.import", "contest.create"],
    );
    assert.ok(log.every((e) => e.actor === ADMIN.username), JSON.stringify(log));
    assert.deepEqual(
      log.map((e) => e.label),
      ["Mở đợt thi ngay", "Nhập câu hỏi từ tệp", "Thêm câu hỏi", "Nhập câu hỏi từ tệp", "Nhập câu hỏi từ tệp", "Tạo cuộc thi"],
    );

    // Filtered by kind.
    await page.getByLabel("Loại thao tác").fill("question.");
    await clickAndLoad(page, page.getByRole("button", { name: "Lọc" }));
    assert.deepEqual(
      (await entries()).map((e) => e.action),
      ["question.import", "question.add", "question.import", "question.import"],
    );

    // The whole log (system administrators): the sign-ins and the second factor too.
    await clickAndLoad(page, page.locator("header").getByRole("link", { name: "Nhật ký" }));
    assert.equal(path(), "/admin/nhat-ky");
    const all = (await entries()).filter((e) => e.actor === ADMIN.username).map((e) => e.action);
    for (const action of ["session.sign_in", "account.totp_on", "session.sign_out", "contest.create", "round.open"]) {
      assert.ok(all.includes(action), `${action} in ${all.join(", ")}`);
    }
    assert.deepEqual(seen.problems, []);
  });

  // The school's coordinator and the staff who have not taken part (units.steps.mjs).
  unitSteps({ step, page: () => page, browser: () => browser, slug: SLUG });
});
