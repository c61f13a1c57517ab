// Feedback on questions and a voided question, in a real browser (Debian's Chromium), against the
// real `cuocthi serve` started by scripts/browser-test. A participant answers every question right
// but the first, reports a problem with that one from the attempt page, submits (29/30) and reads
// their report on the result page; an organiser's account — a system administrator made here with
// `cuocthi admin create`, who sets up the second factor — finds the report in the queue, replies,
// and voids the question with "everyone asked it gets the point"; the participant's result page
// then says 30/30, with the reply and the void under the question.
//
// The contest is this test's own (`kiem-thu-gop-y`, imported here with `cuocthi contest import`
// from the tests' template), so voiding one of its questions changes no other test's score.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";

import {
  BASE,
  adminSignIn,
  answer,
  attemptId,
  checkedValues,
  clickAndLoad,
  launch,
  newContext,
  person,
  register,
  setUpSecondFactor,
  watch,
  withPages,
} from "./lib.mjs";

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "fixtures");
const SLUG = "kiem-thu-gop-y";
const TOTAL = 30;
const STAFF = { username: "btc-gop-y", password: `gop-y-${randomBytes(8).toString("hex")}` };
/** The `cuocthi` binary scripts/browser-test built (debug unless CUOCTHI_PROFILE says release). */
const BIN = join(process.env.CARGO_TARGET_DIR || "", process.env.CUOCTHI_PROFILE || "debug", "cuocthi");

/** "HH:MM DD/MM/YYYY" in Vietnam time (UTC+7), `offsetMs` from now. */
function vnAt(offsetMs) {
  const d = new Date(Date.now() + 7 * 3_600_000 + offsetMs);
  const p = (n) => String(n).padStart(2, "0");
  return `${p(d.getUTCHours())}:${p(d.getUTCMinutes())} ${p(d.getUTCDate())}/${p(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}`;
}

let browser;
let dir;

describe("feedback on a question and its void, in Chromium", () => {
  before(async () => {
    // The contest (open from an hour ago to tomorrow) and the staff account, straight into the
    // server's database with the CLI, as server.sh does for the other tests.
    dir = mkdtempSync(join(tmpdir(), "cuocthi-gop-y-"));
    const definition = readFileSync(join(FIXTURES, "kiem-thu.toml.in"), "utf8")
      .replaceAll("@SLUG@", SLUG)
      .replaceAll("@TITLE@", "Kiểm thử trình duyệt: góp ý và hủy câu hỏi")
      .replaceAll("@MINUTES@", "15")
      .replaceAll("@OPENS@", vnAt(-3_600_000))
      .replaceAll("@CLOSES@", vnAt(86_400_000));
    writeFileSync(join(dir, `${SLUG}.toml`), definition);
    copyFileSync(join(FIXTURES, "phep-cong.csv"), join(dir, "phep-cong.csv"));
    execFileSync(BIN, ["contest", "import", join(dir, `${SLUG}.toml`)], { stdio: "pipe" });
    execFileSync(BIN, ["admin", "create", "--username", STAFF.username], {
      stdio: "pipe",
      env: { ...process.env, CUOCTHI_ADMIN_PASSWORD: STAFF.password },
    });
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("a report from the attempt page, a reply and a void: the result gains the point", { timeout: 150_000 }, async () => {
    const participant = await newContext(browser);
    const console_ = await newContext(browser, { width: 1280, height: 900 });
    await withPages("feedback", () => [participant, console_], async () => {
      // The participant: every answer right except the first.
      const page = await participant.newPage();
      const seen = watch(page);
      await register(page, SLUG, person());
      await clickAndLoad(page, page.getByRole("button", { name: "Vào thi" }));
      const id = attemptId(page);
      for (let pos = 0; pos < TOTAL; pos++) await answer(page, pos, { correct: pos > 0 });
      const chosen = await checkedValues(page, TOTAL);

      // A report on question 1 from its own small form; the page comes back saying so, the
      // answers untouched, and question 1 offers no second report.
      const first = page.locator('fieldset.q[data-pos="0"]');
      await first.locator("summary", { hasText: "Góp ý / báo lỗi câu hỏi" }).click();
      const message = "Em nghĩ câu này in sai đề: kết quả phép tính không có trong các phương án.";
      await first.getByLabel("Nội dung góp ý (tối đa 1.000 ký tự)").fill(message);
      await clickAndLoad(page, first.getByRole("button", { name: "Gửi góp ý" }));
      assert.equal(new URL(page.url()).pathname, `/bai-thi/${id}`);
      assert.match(await page.locator('main [role="status"]').innerText(), /^Đã gửi góp ý về câu 1\./);
      assert.equal((await first.locator(".gop-y").innerText()).trim(), "Đã gửi góp ý");
      assert.deepEqual(await checkedValues(page, TOTAL), chosen, "every answer still checked");

      await clickAndLoad(page, page.getByRole("button", { name: "Nộp bài" }));
      assert.equal(new URL(page.url()).pathname, `/bai-thi/${id}/ket-qua`);
      assert.equal(await page.locator(".score").innerText(), `29/${TOTAL}`);
      const mine = page.locator("#cau-1");
      assert.match(await mine.innerText(), /Góp ý của bạn:/);
      assert.match(await mine.innerText(), /Ban Tổ chức chưa trả lời góp ý này\./);

      // The organiser: a system administrator made with the CLI sets up the second factor.
      const admin = await console_.newPage();
      const adminSeen = watch(admin);
      await adminSignIn(admin, STAFF);
      await setUpSecondFactor(admin);

      // The queue: the report with its question and key; a reply that closes it.
      await admin.goto(`${BASE}/admin/cuoc-thi/${SLUG}`);
      await clickAndLoad(admin, admin.getByRole("link", { name: "Góp ý", exact: true }));
      assert.equal(new URL(admin.url()).pathname, `/admin/cuoc-thi/${SLUG}/gop-y`);
      const report = admin.locator("article.q").first();
      assert.match(await report.innerText(), /câu 1/);
      assert.match(await report.innerText(), /đáp án đúng/);
      assert.ok((await report.innerText()).includes(message));
      assert.match(await admin.locator("main").innerText(), /1 góp ý đang mở/);
      const reply = "Cảm ơn bạn. Ban Tổ chức đã kiểm tra và hủy câu hỏi này; mọi người được tính đúng.";
      await report.getByLabel(/Trả lời người dự thi/).fill(reply);
      await clickAndLoad(admin, report.getByRole("button", { name: "Gửi trả lời" }));
      assert.match(await admin.locator("main").innerText(), /0 góp ý đang mở/);

      // The void, from the report's link: the committee's choice and a written reason.
      await clickAndLoad(admin, admin.getByRole("link", { name: "Hủy câu hỏi…" }));
      assert.match(new URL(admin.url()).pathname, new RegExp(`^/admin/cuoc-thi/${SLUG}/gop-y/cau-hoi/\\d+$`));
      await admin.getByLabel("Tính đúng cho mọi người được hỏi câu này").check();
      await admin.getByLabel("Lý do hủy (ghi vào nhật ký)").fill("Đề in sai: không phương án nào là kết quả đúng.");
      await clickAndLoad(admin, admin.getByRole("button", { name: "Hủy câu hỏi và chấm lại" }));
      assert.match(await admin.locator('main [role="status"]').innerText(), /Đã hủy câu hỏi và chấm lại/);
      assert.match(await admin.locator("main").innerText(), /1 bài thi đã nộp có câu hỏi này; 1 bài được tăng điểm/);
      assert.equal(await admin.getByRole("button", { name: "Hủy câu hỏi và chấm lại" }).count(), 0, "voided once");

      // The participant's result: one more correct answer, the reply and the void under question 1.
      await page.reload();
      assert.equal(await page.locator(".score").innerText(), `30/${TOTAL}`);
      const text = await page.locator("#cau-1").innerText();
      assert.ok(text.includes(reply), text);
      assert.ok(text.includes("Câu hỏi đã bị hủy: mọi người được hỏi câu này đều được tính đúng."), text);
      assert.deepEqual(seen.problems, []);
      assert.deepEqual(adminSeen.problems, []);
    });
  });
});
