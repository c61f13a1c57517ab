// The participant's rough edges (issue 17) in Chromium: a date typed as digits on a number pad,
// the timer's last minute and the page's own submission when it ends, the saving state on a slow
// network and the running attempt at the top of the contest page, and a closed contest that
// leads to its results instead of a registration form. Run at once, each in its own context.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import {
  BASE,
  FLOW,
  TIMED,
  answer,
  attemptId,
  clickAndLoad,
  launch,
  newContext,
  person,
  question,
  register,
  saved,
  sleep,
  watch,
  withPages,
} from "./lib.mjs";

/** A seed contest of `serve --demo`, closed in 2024. */
const CLOSED = "tim-hieu-chuyen-doi-so-quang-ninh-2024";
/** Seed 004, which `serve --demo` plays with synthetic people and publishes (engine::demo). */
const PLAYED = "tim-hieu-de-an-06-thai-binh-2023";
let browser;

describe("the participant's rough edges in Chromium", { concurrency: true }, () => {
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  test("a date typed as digits gets its slashes and is accepted", { timeout: 60_000 }, async () => {
    const ctx = await newContext(browser);
    await withPages("date-digits", () => [ctx], async () => {
      const page = await ctx.newPage();
      const seen = watch(page);
      const p = person();
      await page.goto(`${BASE}/cuoc-thi/${TIMED}/dang-ky`);
      const date = page.getByLabel("Ngày sinh");
      assert.equal(await date.getAttribute("inputmode"), "numeric");
      await date.pressSequentially(p.dateOfBirth.replace(/\//g, ""));
      assert.equal(await date.inputValue(), p.dateOfBirth, "the slashes inserted while typing");
      await page.getByLabel("Họ và tên").fill(p.fullName);
      await page.getByLabel("Số CCCD").fill(p.cccd);
      await page.getByLabel("Số điện thoại").fill(p.phone);
      await page.getByRole("checkbox", { name: /Tôi đồng ý/ }).check();
      await clickAndLoad(page, page.getByRole("button", { name: "Đăng ký và tiếp tục" }));
      assert.equal(new URL(page.url()).pathname, `/cuoc-thi/${TIMED}`);
      assert.equal(await page.locator(".me strong").innerText(), p.fullName);
      assert.deepEqual(seen.problems, []);
    });
    await ctx.close();
  });

  test("the last minute is announced once, then the page submits and says so", { timeout: 120_000 }, async () => {
    const ctx = await newContext(browser);
    await withPages("last-minute", () => [ctx], async () => {
      const page = await ctx.newPage();
      const seen = watch(page);
      const p = person();
      // Registered with the date typed as digits, through the sign-up form.
      await page.goto(`${BASE}/cuoc-thi/${TIMED}/dang-ky`);
      await page.getByLabel("Họ và tên").fill(p.fullName);
      await page.getByLabel("Ngày sinh").fill(p.dateOfBirth.replace(/\//g, ""));
      await page.getByLabel("Số CCCD").fill(p.cccd);
      await page.getByLabel("Số điện thoại").fill(p.phone);
      await page.getByRole("checkbox", { name: /Tôi đồng ý/ }).check();
      await clickAndLoad(page, page.getByRole("button", { name: "Đăng ký và tiếp tục" }));
      await clickAndLoad(page, page.getByRole("button", { name: "Vào thi" }));
      const id = attemptId(page);

      // The round allows one minute (plus grace): the warning comes within seconds, once.
      await page.waitForSelector("#dong-ho.urgent", { timeout: 15_000 });
      assert.equal(await page.locator("#thong-bao").innerText(), "Còn 1 phút làm bài.");
      assert.equal(await page.locator("#thong-bao").getAttribute("aria-live"), "assertive");
      assert.match(await page.locator("p.timer").getAttribute("class"), /last-minute/);

      // An answer shows "Đang lưu…" at once, then "Đã lưu".
      await answer(page, 0);

      // At zero the page posts the form itself; the result says the time ran out.
      await page.waitForURL(new RegExp(`/bai-thi/${id}/ket-qua\\?het-gio=1$`), { timeout: 90_000 });
      assert.equal(
        await page.locator("p.time-up").innerText(),
        "Hết giờ: bài của bạn đã được nộp tự động với các câu đã lưu.",
      );
      assert.match(await page.locator("dl.result").innerText(), /Số câu đã trả lời\s+1\/30/);
      assert.deepEqual(seen.problems, []);
    });
    await ctx.close();
  });

  test("answers show 'Đang lưu…' at once on a slow network; coming back, the attempt is at the top", { timeout: 60_000 }, async () => {
    const ctx = await newContext(browser);
    await withPages("saving-state", () => [ctx], async () => {
      const page = await ctx.newPage();
      const seen = watch(page);
      await register(page, FLOW, person());
      await clickAndLoad(page, page.getByRole("button", { name: "Vào thi" }));
      const id = attemptId(page);
      // Every save takes 1.5 s, as on slow 3G.
      await page.route("**/api/v1/attempts/*/answers/*", async (route) => {
        await sleep(1_500);
        await route.continue();
      });
      const first = await question(page, 0);
      await first.options[0].input.check();
      const status = first.fs.locator(".st");
      assert.equal(await status.getAttribute("data-state"), "saving");
      assert.equal((await status.innerText()).trim(), "Đang lưu…");
      // The person keeps answering while the first answer is on its way.
      const second = await question(page, 1);
      await second.options[1].input.check();
      assert.equal(await second.options[1].input.isChecked(), true);
      await saved(status);
      await saved(second.fs.locator(".st"));

      // Back on the contest page mid-attempt: the way back in comes before the rounds.
      await page.goto(`${BASE}/cuoc-thi/${FLOW}`);
      const back = page.locator("section.running a.btn");
      assert.equal(await back.innerText(), "Tiếp tục làm bài");
      assert.equal(await back.getAttribute("href"), `/bai-thi/${id}`);
      const above = await page.evaluate(() => {
        const running = document.querySelector("section.running").getBoundingClientRect().top;
        const round = document.querySelector("section.round").getBoundingClientRect().top;
        return running < round && running < window.innerHeight;
      });
      assert.equal(above, true, "at the top, on the first screen");
      assert.deepEqual(seen.problems, []);
    });
    await ctx.close();
  });

  test("a closed contest offers its results, not a registration form", { timeout: 60_000 }, async () => {
    const ctx = await newContext(browser);
    await withPages("closed-contest", () => [ctx], async () => {
      const page = await ctx.newPage();
      const seen = watch(page);
      await page.goto(`${BASE}/cuoc-thi/${CLOSED}/dang-ky`);
      assert.match(await page.locator("main").innerText(), /Cuộc thi đã kết thúc nên không nhận đăng ký mới\./);
      assert.equal(await page.locator("form[action$='/dang-ky']").count(), 0, "no form");
      await clickAndLoad(page, page.getByRole("link", { name: "Xem kết quả" }));
      assert.equal(new URL(page.url()).pathname, `/cuoc-thi/${CLOSED}/ket-qua`);
      assert.equal(await page.locator("h1").innerText(), "Kết quả");
      // The contest page links to the results exactly when some are published.
      const published = (await page.locator("section.results").count()) > 0;
      await page.goto(`${BASE}/cuoc-thi/${CLOSED}`);
      assert.equal(await page.locator(`a[href="/cuoc-thi/${CLOSED}/ket-qua"]`).count() > 0, published);
      assert.deepEqual(seen.problems, []);
    });
    await ctx.close();
  });

  test("the demo's seed 004 is finished: published results, collective prizes, a unit's certificate", { timeout: 90_000 }, async () => {
    const ctx = await newContext(browser);
    await withPages("demo-played", () => [ctx], async () => {
      const page = await ctx.newPage();
      const seen = watch(page);
      // The demo plays it when the server starts: wait for its publication.
      for (let i = 0; i < 30; i++) {
        await page.goto(`${BASE}/cuoc-thi/${PLAYED}/ket-qua`);
        if ((await page.locator("section.results").count()) > 0) break;
        await new Promise((r) => setTimeout(r, 2000));
      }
      assert.ok((await page.locator("section.results table tbody tr").count()) > 0, "individual winners are published");
      const collective = page.locator("main h3:has-text('Giải tập thể') ~ div.scroll a[href^='/chung-nhan/']");
      assert.ok((await collective.count()) > 0, "collective prizes are published, each with a certificate");
      await clickAndLoad(page, collective.first());
      assert.equal(await page.locator("h1").innerText(), "Giấy chứng nhận hợp lệ");
      assert.match(await page.locator("main").innerText(), /Tập thể[\s\S]*Giải tập thể/);
      assert.deepEqual(seen.problems, []);
    });
    await ctx.close();
  });
});
