// The event's stage (issue 14) in a real browser (Debian's Chromium), against the real
// `cuocthi serve` started by scripts/browser-test: a contest of this test's own
// (`kiem-thu-san-khau`: kiem-thu.toml.in with fixtures/san-khau.toml appended — two teams, a
// knowledge round of 3 questions drawn by lot), run from the control page:
//
// 1. a system administrator makes the MC (người dẫn chương trình) and a secretary, and gives
//    them their roles on the contest; the secretary registers the two teams and makes the
//    question sets on the control page;
// 2. the projector page (1920×1080) opens in a context of its own, the public scoreboard in a
//    third; the MC, on the control page, puts a team on stage, has it draw its set, shows each
//    question, marks the answer and reveals it: the projector follows each step within a second,
//    without reloading, and its DOM holds no correct answer before the reveal;
// 3. the scoreboard, on the projector and on the public page, shows the points; frozen, it keeps
//    them while the next team scores.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { after, before, describe, test } from "node:test";

import { BASE, clickAndLoad, createStaff, eventShot, importContest, launch, newContext, staffSignIn, sumOf, watch, withPages } from "./lib.mjs";

const SLUG = "kiem-thu-san-khau";
const PASSWORD = `san-khau-${randomBytes(8).toString("hex")}`;
const ADMIN = { username: "quantri-san-khau", password: PASSWORD };
const SECRETARY = { username: "thuky-san-khau", password: PASSWORD };
const MC = { username: "mc-san-khau", password: PASSWORD };
const TEAMS = [
  { unit: "don-vi-a", name: "Huyện Đắk Mil" },
  { unit: "don-vi-b", name: "Huyện Đắk Song" },
];
/** How long the projector may take to follow a step. */
const FOLLOW_MS = 1000;

let browser;
let dir;
const contexts = [];

describe("the stage: control page and projector, in Chromium", () => {
  before(async () => {
    dir = importContest(SLUG, "Kiểm thử trình duyệt: sân khấu", "san-khau.toml");
    createStaff(ADMIN, "system-admin");
    createStaff(SECRETARY, "secretariat");
    createStaff(MC, "viewer");
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("the projector follows the control page, the key only after the reveal", { timeout: 240_000 }, async () => {
    await withPages("stage", () => contexts, async () => {
      // 1. Roles, teams, question sets.
      const adminCtx = await newContext(browser, { width: 1280, height: 900 });
      contexts.push(adminCtx);
      const admin = await adminCtx.newPage();
      await staffSignIn(admin, ADMIN);
      for (const [who, role] of [[SECRETARY, "secretariat"], [MC, "mc"]]) {
        await admin.goto(`${BASE}/admin/cuoc-thi/${SLUG}/nhan-su`);
        await admin.getByLabel("Tên đăng nhập của tài khoản").fill(who.username);
        await admin.getByLabel("Vai trò").selectOption(role);
        await clickAndLoad(admin, admin.getByRole("button", { name: "Giao vai trò" }));
      }
      assert.match(await admin.locator("main").innerText(), /Người dẫn chương trình/);

      const secCtx = await newContext(browser, { width: 1280, height: 900 });
      contexts.push(secCtx);
      const sec = await secCtx.newPage();
      await staffSignIn(sec, SECRETARY);
      await sec.goto(`${BASE}/admin/cuoc-thi/${SLUG}/hoi-thi`);
      for (const [i, team] of TEAMS.entries()) {
        await sec.locator("#unit").selectOption(team.unit);
        await sec.getByLabel("Họ và tên thành viên 1").fill(`Đội trưởng ${i + 1}`);
        await sec.getByLabel("Chức vụ của thành viên 1").fill("Phó Chủ tịch UBND huyện");
        await sec.getByLabel("Thành viên 1 là đội trưởng").check();
        await clickAndLoad(sec, sec.getByRole("button", { name: "Lưu đội thi" }));
      }
      await sec.goto(`${BASE}/admin/cuoc-thi/${SLUG}/san-khau`);
      await clickAndLoad(sec, sec.getByRole("button", { name: "Tạo bộ câu hỏi" }));
      assert.match(await sec.locator(".notice").innerText(), /Đã tạo 2 bộ câu hỏi, mỗi bộ 3 câu/);

      // 2. The projector, the public scoreboard and the MC's control page.
      const screenCtx = await newContext(browser, { width: 1920, height: 1080 });
      contexts.push(screenCtx);
      const screen = await screenCtx.newPage();
      const screenSeen = watch(screen);
      await screen.goto(`${BASE}/su-kien/${SLUG}/man-hinh`);
      await screen.evaluate(() => { window.__sameLoad = "chưa tải lại"; });
      const boardCtx = await newContext(browser, { width: 1280, height: 900 });
      contexts.push(boardCtx);
      const board = await boardCtx.newPage();
      const boardSeen = watch(board);
      await board.goto(`${BASE}/su-kien/${SLUG}/bang-diem`);
      await board.evaluate(() => { window.__sameLoad = "chưa tải lại"; });

      const mcCtx = await newContext(browser, { width: 1280, height: 900 });
      contexts.push(mcCtx);
      const mc = await mcCtx.newPage();
      const mcSeen = watch(mc);
      await staffSignIn(mc, MC);
      await mc.goto(`${BASE}/admin/cuoc-thi/${SLUG}/san-khau`);
      // Let both streams connect before the first step.
      await new Promise((r) => setTimeout(r, 500));

      /** Takes a step on the control page and waits for the projector to show `selector`. */
      const step = async (click, selector, text) => {
        const sent = Date.now();
        await clickAndLoad(mc, click);
        await screen.locator(selector, text ? { hasText: text } : {}).first().waitFor({ timeout: FOLLOW_MS + 500 });
        const took = Date.now() - sent;
        assert.ok(took <= FOLLOW_MS + 500, `the projector followed in ${took} ms`);
        assert.equal(await screen.evaluate(() => window.__sameLoad), "chưa tải lại", "no reload");
        return took;
      };
      /** The projector's whole DOM holds no correct answer. */
      const noKey = async () => {
        const html = await screen.evaluate(() => document.documentElement.outerHTML);
        assert.ok(!html.includes("is-correct") && !html.includes("Đáp án đúng"), "no key on the projector before the reveal");
      };

      const lag = [];
      for (const [t, team] of TEAMS.entries()) {
        const row = mc.locator("tr", { hasText: team.name });
        await row.getByLabel("Phần thi").selectOption("kien-thuc");
        lag.push(await step(row.getByRole("button", { name: "Lên sân khấu" }), ".stage-team", team.name));
        lag.push(await step(mc.getByRole("button", { name: "Bốc thăm bộ câu hỏi" }), ".stage-lot-number[data-set-no]"));
        await screen.locator(".stage-lot-number:not(.is-spinning)").waitFor();
        const drawn = await screen.locator(".stage-lot-number").getAttribute("data-set-no");
        assert.equal((await screen.locator(".stage-lot-number").innerText()).trim(), drawn, "the animation stops on the lot");
        for (let q = 1; q <= 3; q++) {
          lag.push(await step(mc.getByRole("button", { name: "Câu hỏi tiếp theo" }), ".stage-meta", `Câu ${q}/3`));
          await screen.locator(".stage-countdown").waitFor();
          const seconds = Number((await screen.locator(".stage-countdown").innerText()).trim());
          assert.ok(seconds > 10 && seconds <= 20, `the countdown shows ${seconds}`);
          await noKey();
          if (t === 0 && q === 1) {
            await eventShot(screen, "event-projector-question-1920");
            await eventShot(mc, "event-control-1280");
          }
          const stem = await screen.locator(".stage-stem").innerText();
          // The first team answers every question right, the second only the first.
          const right = t === 0 || q === 1;
          const key = await mc.locator(".stage-options li.key").innerText();
          assert.ok(key.includes(sumOf(stem)), "the control page shows the key");
          lag.push(await step(mc.getByRole("button", { name: right ? "Trả lời đúng" : "Trả lời sai" }), ".stage-answered"));
          await noKey();
          lag.push(await step(mc.getByRole("button", { name: "Công bố đáp án" }), ".stage-options li.is-correct"));
          const correct = await screen.locator(".stage-options li.is-correct").innerText();
          assert.ok(correct.includes(sumOf(stem)), `the revealed option is the sum: ${correct}`);
          assert.match(await screen.locator(".stage-reveal").innerText(), right ? /cộng 10 điểm/ : /không được điểm/);
        }
        if (t === 0) {
          lag.push(await step(mc.getByRole("button", { name: "Bảng điểm", exact: true }), ".stage-board td.stage-total", "30"));
          await board.locator(".stage-board td.stage-total", { hasText: "30" }).waitFor({ timeout: FOLLOW_MS + 500 });
          // Frozen before the second team plays.
          await clickAndLoad(mc, mc.getByRole("button", { name: "Đóng băng bảng điểm" }));
          await board.locator(".stage-frozen").waitFor({ timeout: FOLLOW_MS + 500 });
        }
      }
      lag.push(await step(mc.getByRole("button", { name: "Bảng điểm", exact: true }), ".stage-board"));
      const rows = await board.locator(".stage-board tbody tr").allInnerTexts();
      assert.equal(rows.length, 2);
      assert.ok(!rows.some((r) => r.includes(TEAMS[1].name) && /\b10\b/.test(r)), `the frozen board hides the later points: ${rows}`);
      await clickAndLoad(mc, mc.getByRole("button", { name: "Mở băng bảng điểm" }));
      await board.locator(".stage-board tr", { hasText: TEAMS[1].name }).locator("td.stage-total", { hasText: "10" }).waitFor({ timeout: FOLLOW_MS + 500 });
      await eventShot(board, "event-scoreboard-1280");
      assert.equal(await board.evaluate(() => window.__sameLoad), "chưa tải lại", "the scoreboard never reloaded");
      // A reload shows the current state, rendered on the server.
      await screen.reload();
      assert.ok((await screen.locator(".stage-board").count()) === 1);
      assert.deepEqual([...screenSeen.problems, ...boardSeen.problems, ...mcSeen.problems], []);
      console.log(`projector lag after each step (ms, control page load included): max ${Math.max(...lag)}, ${lag.join(" ")}`);
    });
  });
});
