// The participant's path in a real browser (Debian's Chromium), against a real `cuocthi serve`
// started by scripts/browser-test. The five tests run at once, each in its own browser context
// with its own participant, so the deadline test's wait overlaps the others.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import {
  BASE,
  FLOW,
  TIMED,
  answer,
  attemptId,
  checkedValues,
  clickAndLoad,
  fillRegistration,
  launch,
  mainText,
  newContext,
  person,
  register,
  saved,
  sleep,
  watch,
  withPages,
} from "./lib.mjs";

const TOTAL = 30;
let browser;

describe("the participant in Chromium", { concurrency: true }, () => {
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  test("one question per screen: Previous/Next, the question map, a flag kept on reload; English", { timeout: 60_000 }, async () => {
    const ctx = await newContext(browser);
    await withPages("one-per-screen", () => [ctx], async () => {
      const page = await ctx.newPage();
      const seen = watch(page);
      await register(page, FLOW, person());
      await clickAndLoad(page, page.getByRole("button", { name: "Vào thi" }));
      const id = attemptId(page);
      const shown = page.locator("fieldset.q[data-pos]:visible");
      assert.equal(await shown.count(), TOTAL, "all on one page by default");
      assert.equal(await page.locator(".map").count(), 0);

      await clickAndLoad(page, page.getByRole("link", { name: "Từng câu một" }));
      assert.equal(attemptId(page), id);
      assert.equal(await page.locator(".map button").count(), TOTAL);
      assert.equal(await shown.count(), 1);
      assert.equal(await shown.getAttribute("data-pos"), "0");
      await answer(page, 0);
      assert.match(await page.locator(".map button").nth(0).getAttribute("class"), /\bok\b/);
      await page.getByRole("button", { name: "Câu sau ›" }).click();
      assert.equal(await shown.getAttribute("data-pos"), "1");
      const flag = shown.getByRole("button", { name: "Đánh dấu để xem lại" });
      await flag.click();
      assert.equal(await flag.getAttribute("aria-pressed"), "true");
      assert.match(await page.locator(".map button").nth(1).getAttribute("aria-label"), /đã đánh dấu/);

      // A reload keeps the layout, starts at the first unanswered question, keeps the flag.
      await page.reload();
      assert.equal(await shown.count(), 1);
      assert.equal(await shown.getAttribute("data-pos"), "1");
      assert.equal(await shown.getByRole("button", { name: "Đánh dấu để xem lại" }).getAttribute("aria-pressed"), "true");
      // The map by keyboard.
      await page.locator(".map button").nth(4).focus();
      await page.keyboard.press("Enter");
      assert.equal(await shown.getAttribute("data-pos"), "4");
      await page.getByRole("button", { name: "‹ Câu trước" }).click();
      assert.equal(await shown.getAttribute("data-pos"), "3");

      // In English, the same attempt and layout.
      await clickAndLoad(page, page.getByRole("link", { name: "English" }));
      assert.equal(attemptId(page), id);
      assert.equal(await page.locator("html").getAttribute("lang"), "en");
      assert.equal(await page.locator("#dong-ho-nhan").innerText(), "Time left");
      assert.equal(await page.locator("#tien-do").innerText(), `Answered 1/${TOTAL}`);
      assert.equal(await shown.count(), 1);
      await clickAndLoad(page, page.getByRole("link", { name: "All questions" }));
      assert.equal(await shown.count(), TOTAL);
      assert.deepEqual(seen.problems, []);
    });
  });

  test("registers, answers, reloads midway and resumes, submits and sees the score", { timeout: 90_000 }, async () => {
    const ctx = await newContext(browser);
    await withPages("with-js", () => [ctx], async () => {
      const page = await ctx.newPage();
      const seen = watch(page);
      const p = person();

      // A refused registration (no consent) keeps what was typed and says why, next to the box.
      await page.goto(`${BASE}/cuoc-thi/${FLOW}/dang-ky`);
      await fillRegistration(page, p);
      await clickAndLoad(page, page.getByRole("button", { name: "Đăng ký và tiếp tục" }));
      assert.match(await page.locator(".consent .error").innerText(), /đồng ý với việc xử lý dữ liệu cá nhân/);
      assert.equal(await page.getByLabel("Họ và tên").inputValue(), p.fullName);
      assert.equal(await page.getByLabel("Số CCCD").inputValue(), p.cccd);

      await register(page, FLOW, p);
      await clickAndLoad(page, page.getByRole("button", { name: "Vào thi" }));
      const id = attemptId(page);
      assert.equal(await page.locator("fieldset.q[data-pos]").count(), TOTAL);
      assert.equal(await page.locator("#tien-do").innerText(), `Đã trả lời 0/${TOTAL}`);
      // The script took over: answers are saved as they are given.
      assert.equal(await page.locator("#ghi-chu").innerText(), "Câu trả lời được lưu ngay khi bạn chọn.");

      // Twelve answers (8 right, 4 wrong), each seen as "Đã lưu".
      const chosen = Array(TOTAL).fill(null);
      for (let pos = 0; pos < 12; pos++) chosen[pos] = await answer(page, pos, { correct: pos < 8 });
      assert.equal(await page.locator("#tien-do").innerText(), `Đã trả lời 12/${TOTAL}`);

      // Reload midway: every saved answer is still checked, and said to be saved.
      await page.reload();
      assert.equal(attemptId(page), id);
      assert.deepEqual(await checkedValues(page, TOTAL), chosen);
      assert.equal(await page.locator("#tien-do").innerText(), `Đã trả lời 12/${TOTAL}`);
      assert.equal(await page.locator('.st[data-state="saved"]').count(), 12);

      // The rest: 12 right, 6 wrong; 20 right in all.
      for (let pos = 12; pos < TOTAL; pos++) chosen[pos] = await answer(page, pos, { correct: pos < 24 });
      assert.equal(await page.locator("#tien-do").innerText(), `Đã trả lời ${TOTAL}/${TOTAL}`);

      // The tiebreak prediction, typed as people write numbers; saved when the field is left.
      await page.locator("#du-doan").fill("12.500");
      await page.locator("#du-doan").press("Tab");
      await saved(page.locator("#du-doan-st"));

      // Submitting asks first (the dialog is accepted), then the result.
      await clickAndLoad(page, page.getByRole("button", { name: "Nộp bài" }));
      assert.deepEqual(seen.dialogs, [{ type: "confirm", message: `Bạn đã trả lời đủ ${TOTAL} câu. Nộp bài ngay?` }]);
      assert.equal(new URL(page.url()).pathname, `/bai-thi/${id}/ket-qua`);
      assert.equal(await page.locator("h1").innerText(), "Kết quả bài thi");
      assert.equal(await page.locator(".score").innerText(), `20/${TOTAL}`);
      const facts = await page.locator("dl.result").innerText();
      assert.match(facts, /Số dự đoán\s+12\.500/);
      assert.match(facts, /Số lượt thi còn lại\s+0/);
      assert.equal(await page.locator(".notice").count(), 0, "not submitted by the server");
      assert.deepEqual(seen.problems, []);
    });
    await ctx.close();
  });

  test("a second attempt is refused once the limit is reached", { timeout: 60_000 }, async () => {
    const ctx = await newContext(browser);
    await withPages("limit", () => [ctx], async () => {
      // Tab A: the contest page with its start button, left open.
      const tabA = await ctx.newPage();
      const seenA = watch(tabA);
      await register(tabA, TIMED, person());
      assert.equal(await tabA.getByRole("button", { name: "Vào thi" }).count(), 1);

      // Tab B: the one attempt allowed, taken and submitted.
      const tabB = await ctx.newPage();
      const seenB = watch(tabB);
      await tabB.goto(`${BASE}/cuoc-thi/${TIMED}`);
      await clickAndLoad(tabB, tabB.getByRole("button", { name: "Vào thi" }));
      const id = attemptId(tabB);
      await answer(tabB, 0);
      await clickAndLoad(tabB, tabB.getByRole("button", { name: "Nộp bài" }));
      assert.equal(seenB.dialogs.length, 1);
      assert.match(seenB.dialogs[0].message, /Bạn còn 29 câu chưa trả lời/);
      assert.equal(new URL(tabB.url()).pathname, `/bai-thi/${id}/ket-qua`);
      assert.match(await tabB.locator("dl.result").innerText(), /Số lượt thi còn lại\s+0/);

      // Tab A's stale button: the server refuses with the engine's message, and offers no button.
      const refusal = tabA.waitForResponse((r) => r.request().method() === "POST" && r.url().includes("/vao-thi/"));
      await clickAndLoad(tabA, tabA.getByRole("button", { name: "Vào thi" }));
      assert.equal((await refusal).status(), 409);
      const limit = "Bạn đã sử dụng hết 1 lượt thi của đợt này.";
      assert.equal(await tabA.locator(".alert").innerText(), limit);
      assert.equal(await tabA.locator('form[action*="/vao-thi/"]').count(), 0);

      // The contest page itself says so, with no start button, and links the result.
      await tabA.goto(`${BASE}/cuoc-thi/${TIMED}`);
      assert.equal(await tabA.locator(".round .notice").innerText(), limit);
      assert.equal(await tabA.locator('form[action*="/vao-thi/"]').count(), 0);
      assert.equal(await tabA.locator(`a[href="/bai-thi/${id}/ket-qua"]`).count(), 1);
      assert.deepEqual([...seenA.problems, ...seenB.problems], []);
    });
    await ctx.close();
  });

  test("a timed-out attempt is submitted by the server with the saved answers", { timeout: 150_000 }, async () => {
    const contexts = [];
    await withPages("deadline", () => contexts, async () => {
      const ctx = await newContext(browser);
      contexts.push(ctx);
      const page = await ctx.newPage();
      const seen = watch(page);
      const p = person();
      await register(page, TIMED, p);
      await clickAndLoad(page, page.getByRole("button", { name: "Vào thi" }));
      const loadedAt = Date.now();
      const id = attemptId(page);
      const remaining = Number(await page.locator("#bai-thi").getAttribute("data-remaining-ms"));
      assert.ok(remaining > 30_000 && remaining <= 65_000, `1 minute + 5 s grace, not ${remaining} ms`);

      const chosen = Array(TOTAL).fill(null);
      chosen[0] = await answer(page, 0, { correct: true });
      chosen[1] = await answer(page, 1, { correct: false });
      chosen[2] = await answer(page, 2, { correct: true });
      assert.deepEqual(seen.problems, []);

      // The browser goes away: nothing is left to submit the attempt but the server.
      await ctx.close();
      contexts.length = 0;
      await sleep(Math.max(0, loadedAt + remaining + 3_000 - Date.now()));

      // Back on another "device": identify with CCCD and date of birth.
      const ctx2 = await newContext(browser);
      contexts.push(ctx2);
      const page2 = await ctx2.newPage();
      const seen2 = watch(page2);
      await page2.goto(`${BASE}/cuoc-thi/${TIMED}/dang-nhap`);
      await page2.getByLabel("Số CCCD").fill(p.cccd);
      await page2.getByLabel("Ngày sinh").fill(p.dateOfBirth);
      await clickAndLoad(page2, page2.getByRole("button", { name: "Đăng nhập" }));
      assert.equal(new URL(page2.url()).pathname, `/cuoc-thi/${TIMED}`, await mainText(page2));

      // The server's sweep runs every 2 s: allow it a few more rounds.
      const link = page2.locator(`a[href="/bai-thi/${id}/ket-qua"]`);
      for (let i = 0; i < 10 && !(await link.count()); i++) {
        await sleep(1_000);
        await page2.reload();
      }
      // Scored on the three saved answers (2 right), timed at the end of the minute allowed.
      assert.equal(await link.innerText(), `Lượt 1: 2/${TOTAL} câu đúng, 1 phút`);
      await clickAndLoad(page2, link);
      assert.equal(await page2.locator(".score").innerText(), `2/${TOTAL}`);
      assert.equal(
        await page2.locator("p.time-up").innerText(),
        "Hết giờ: bài của bạn đã được nộp tự động với các câu đã lưu.",
      );

      // The same through the JSON API with the session cookie: submitted automatically, at the end
      // of the time allowed, with exactly the three saved answers.
      const result = await (await ctx2.request.get(`${BASE}/api/v1/attempts/${id}/result`)).json();
      assert.equal(result.auto_submitted, true);
      assert.equal(result.correct, 2);
      assert.equal(result.questions, TOTAL);
      assert.equal(result.time_taken_ms, 60_000);
      const attempt = await (await ctx2.request.get(`${BASE}/api/v1/attempts/${id}`)).json();
      assert.equal(attempt.status, "submitted");
      assert.deepEqual(
        attempt.questions.map((q) => (q.answer === null ? null : String(q.answer))),
        chosen,
      );
      assert.deepEqual(seen2.problems, []);
      await ctx2.close();
    });
  });

  test("the same path with JavaScript disabled, through the plain forms", { timeout: 90_000 }, async () => {
    const ctx = await newContext(browser, { javaScriptEnabled: false });
    await withPages("no-js", () => [ctx], async () => {
      const page = await ctx.newPage();
      const seen = watch(page);
      await register(page, FLOW, person());
      await clickAndLoad(page, page.getByRole("button", { name: "Vào thi" }));
      const id = attemptId(page);
      // No script ran: the page explains how answers are saved without it.
      assert.match(await page.locator("#ghi-chu").innerText(), /Lưu câu trả lời/);

      // Fifteen answers (10 right, 5 wrong), saved with the form's button.
      const chosen = Array(TOTAL).fill(null);
      for (let pos = 0; pos < 15; pos++) chosen[pos] = await answer(page, pos, { correct: pos < 10, js: false });
      await clickAndLoad(page, page.getByRole("button", { name: "Lưu câu trả lời" }));
      assert.equal(new URL(page.url()).pathname, `/bai-thi/${id}`);
      assert.equal(await page.locator("#tien-do").innerText(), `Đã trả lời 15/${TOTAL}`);
      assert.equal(await page.locator('.st[data-state="saved"]').count(), 15);

      // Reload: the answers come back from the server.
      await page.reload();
      assert.deepEqual(await checkedValues(page, TOTAL), chosen);

      // All but the last, and the prediction; "Nộp bài" saves them and asks for confirmation,
      // naming the one question left.
      for (let pos = 15; pos < TOTAL - 1; pos++) chosen[pos] = await answer(page, pos, { js: false });
      await page.getByLabel(/Số dự đoán của bạn/).fill("7 300");
      await clickAndLoad(page, page.getByRole("button", { name: "Nộp bài" }));
      assert.equal(new URL(page.url()).pathname, `/bai-thi/${id}/nop`);
      assert.match(await page.locator(".notice").innerText(), /Bạn còn 1 câu chưa trả lời \(trong tổng số 30 câu\): câu 30\./);

      // Back to question 30 through the link, answer it, and submit again.
      await clickAndLoad(page, page.getByRole("link", { name: "30", exact: true }));
      assert.equal(new URL(page.url()).pathname, `/bai-thi/${id}`);
      assert.deepEqual(await checkedValues(page, TOTAL), chosen);
      assert.equal(await page.getByLabel(/Số dự đoán của bạn/).inputValue(), "7.300");
      chosen[TOTAL - 1] = await answer(page, TOTAL - 1, { js: false });
      await clickAndLoad(page, page.getByRole("button", { name: "Nộp bài" }));
      assert.match(await page.locator("main").innerText(), /Bạn đã trả lời đủ 30\/30 câu hỏi\./);
      await clickAndLoad(page, page.getByRole("button", { name: "Nộp bài" }));

      assert.equal(new URL(page.url()).pathname, `/bai-thi/${id}/ket-qua`);
      assert.equal(await page.locator(".score").innerText(), `25/${TOTAL}`);
      assert.match(await page.locator("dl.result").innerText(), /Số dự đoán\s+7\.300/);
      assert.deepEqual(seen.dialogs, []);
      assert.deepEqual(seen.problems, []);
    });
    await ctx.close();
  });
});
