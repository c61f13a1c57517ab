// The in-person event (issue 14) in a real browser (Debian's Chromium), against the real
// `cuocthi serve` started by scripts/browser-test: a small event of this test's own
// (`kiem-thu-hoi-thi`: kiem-thu.toml.in with fixtures/hoi-thi.toml appended — three units, two
// judged parts, five judges, trimmed means), run the way a hall runs it:
//
// 1. a system administrator (made here with `cuocthi admin create`) gives five judges and a
//    secretary their roles on the contest;
// 2. the secretary registers the three teams, draws the order on stage and opens both parts;
// 3. five judges, each in a browser context of their own on a 360-px phone, fill in and submit
//    every sheet (3 teams × 2 parts) through the confirmation; judge 3's network is cut while
//    they type and submit one sheet ("Chưa gửi được — sẽ tự gửi lại"), then restored: the sheet
//    arrives, exactly once;
// 4. the secretary's page, without a reload, sees the missing sheets go to zero;
// 5. the knowledge round on the stage: the secretary makes the question sets and drives the control
//    page; the projector (1920×1080, a context of its own) follows each step without reloading,
//    never holds a correct answer before the reveal, and ends on the scoreboard;
// 6. the secretary's ranking, and the projector's scoreboard, equal the ones this test computes
//    from the sheets and answers it entered.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { after, before, describe, test } from "node:test";

import { BASE, clickAndLoad, createStaff, eventShot, importContest, launch, newContext, staffSignIn, watch, withPages } from "./lib.mjs";

const SLUG = "kiem-thu-hoi-thi";
const PASSWORD = `hoi-thi-${randomBytes(8).toString("hex")}`;
const ADMIN = { username: "quantri-hoi-thi", password: PASSWORD };
const SECRETARY = { username: "thuky-hoi-thi", password: PASSWORD };
const JUDGES = [1, 2, 3, 4, 5].map((n) => ({ username: `giamkhao-hoi-thi-${n}`, password: PASSWORD }));
/** Correct answers of each team (by unit) in the knowledge round: 2 questions, 10 points each. */
const KNOWLEDGE = { questions: 2, points: 10, correct: [1, 2, 0] };
/** The judge whose network is cut, and the sheet they send while offline. */
const OFFLINE = { judge: 2, team: 1, part: "gioi-thieu" };

const TEAMS = [
  { unit: "don-vi-a", name: "Huyện Đắk Mil" },
  { unit: "don-vi-b", name: "Huyện Đắk Song" },
  { unit: "don-vi-c", name: "Huyện Tuy Đức" },
];
const PARTS = [
  { key: "gioi-thieu", weight: 100, criteria: [{ key: "noi-dung", max: 40 }, { key: "trinh-bay", max: 30 }] },
  { key: "tieu-pham", weight: 50, criteria: [{ key: "kich-ban", max: 50 }] },
];

/**
 * What judge `j` types for team `t` (by unit, whatever order the lot gives), criterion `c`:
 * different enough between teams that no two totals tie, spread between judges so that the
 * trimmed mean drops something, on the part's step (0,25 or 0,5).
 */
function typed(j, t, part, c) {
  const step = part.key === "gioi-thieu" ? 0.25 : 0.5;
  const base = part.criteria[c].max * (0.55 + 0.12 * t) + (j - 2) * 1.5 + (j === 4 ? 3 : 0);
  const value = Math.min(part.criteria[c].max, Math.max(0, Math.round(base / step) * step));
  return value;
}

/** Hundredths rounded half away from zero: `num / den` for non-negative numbers. */
const roundDiv = (num, den) => Math.floor((2 * num + den) / (2 * den));

/**
 * The ranking computed here, independently of the server: per criterion the mean of the five
 * judges after dropping one highest and one lowest, rounded to hundredths; parts summed; the skit
 * at half weight; ranked by total. Totals in hundredths.
 */
function expectedRanking() {
  const totals = TEAMS.map((team, t) => {
    let total = 0;
    for (const part of PARTS) {
      let partScore = 0;
      part.criteria.forEach((_, c) => {
        const scores = JUDGES.map((_, j) => Math.round(typed(j, t, part, c) * 100)).sort((a, b) => a - b);
        const kept = scores.slice(1, -1);
        partScore += roundDiv(kept.reduce((a, b) => a + b, 0), kept.length);
      });
      total += roundDiv(partScore * part.weight, 100);
    }
    total += KNOWLEDGE.correct[t] * KNOWLEDGE.points * 100;
    return { name: team.name, total };
  });
  return totals.sort((a, b) => b.total - a.total);
}

/** Hundredths as the console writes them: "83,5", "71,25", "80". */
function shown(h) {
  const whole = Math.floor(h / 100);
  const frac = String(h % 100).padStart(2, "0").replace(/0+$/, "");
  return frac ? `${whole},${frac}` : String(whole);
}


let browser;
let dir;
/** Every context of the event, for the steps to come (the stage, the projector). */
const ctx = { admin: null, secretary: null, judges: [], screen: null };

describe("the in-person event: five judges on phones, the stage and the projector, in Chromium", () => {
  before(async () => {
    dir = importContest(SLUG, "Kiểm thử trình duyệt: hội thi trực tiếp", "hoi-thi.toml");
    createStaff(ADMIN, "system-admin");
    createStaff(SECRETARY, "secretariat");
    for (const j of JUDGES) createStaff(j, "judge");
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("three teams, three parts: sheets from five phones (one sent offline), the knowledge round on the projector, the ranking", { timeout: 300_000 }, async () => {
    const all = () => [ctx.admin, ctx.secretary, ...ctx.judges, ctx.screen].filter(Boolean);
    await withPages("event", all, async () => {
      // 1. The roles on the contest.
      ctx.admin = await newContext(browser, { width: 1280, height: 900 });
      const admin = await ctx.admin.newPage();
      const adminSeen = watch(admin);
      await staffSignIn(admin, ADMIN);
      for (const [who, role] of [[SECRETARY, "secretariat"], ...JUDGES.map((j) => [j, "judge"])]) {
        await admin.goto(`${BASE}/admin/cuoc-thi/${SLUG}/nhan-su`);
        await admin.getByLabel("Tên đăng nhập của tài khoản").fill(who.username);
        await admin.getByLabel("Vai trò").selectOption(role);
        await clickAndLoad(admin, admin.getByRole("button", { name: "Giao vai trò" }));
      }
      assert.deepEqual(adminSeen.problems, []);

      // 2. The secretary: teams, the order on stage, both parts open.
      ctx.secretary = await newContext(browser, { width: 1280, height: 900 });
      const sec = await ctx.secretary.newPage();
      const secSeen = watch(sec);
      await staffSignIn(sec, SECRETARY);
      await sec.goto(`${BASE}/admin/cuoc-thi/${SLUG}`);
      await clickAndLoad(sec, sec.getByRole("link", { name: /Hội thi: đội thi, phiếu chấm/ }));
      assert.equal(new URL(sec.url()).pathname, `/admin/cuoc-thi/${SLUG}/hoi-thi`);
      for (const [i, team] of TEAMS.entries()) {
        await sec.locator("#unit").selectOption(team.unit);
        await sec.getByLabel("Họ và tên thành viên 1").fill(`Đội trưởng ${i + 1}`);
        await sec.getByLabel("Chức vụ của thành viên 1").fill("Phó Chủ tịch UBND huyện");
        await sec.getByLabel("Họ và tên thành viên 2").fill(`Thành viên ${i + 1}`);
        await sec.getByLabel("Thành viên 1 là đội trưởng").check();
        await clickAndLoad(sec, sec.getByRole("button", { name: "Lưu đội thi" }));
        assert.match(await sec.locator("#doi-thi").innerText(), new RegExp(`\\(${i + 1}\\)`));
      }
      await clickAndLoad(sec, sec.getByRole("button", { name: "Bốc thăm thứ tự thi" }));
      for (const name of ["Giới thiệu đội thi và sáng kiến", "Tiểu phẩm"]) {
        await clickAndLoad(sec, sec.getByRole("button", { name: `Mở chấm điểm “${name}”` }));
      }
      assert.equal(await sec.locator("[data-missing-count]").innerText(), String(JUDGES.length * 3 * 2));

      // 3. Five judges on phones.
      for (const [j, who] of JUDGES.entries()) {
        const context = await newContext(browser, { width: 360, height: 740 });
        ctx.judges.push(context);
        const page = await context.newPage();
        const seen = watch(page);
        await staffSignIn(page, who);
        await page.goto(`${BASE}/admin/cuoc-thi/${SLUG}`);
        assert.equal(await page.getByRole("link", { name: /Hội thi: đội thi/ }).count(), 0, "not the secretariat's page");
        await clickAndLoad(page, page.getByRole("link", { name: "Chấm điểm (giám khảo)" }));
        assert.equal(new URL(page.url()).pathname, `/admin/cuoc-thi/${SLUG}/cham-diem`);
        assert.equal(await page.locator("form[data-sheet]").count(), 6, "3 teams × 2 parts");
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(width <= 360, `no sideways scrolling on a 360-px phone (${width} px)`);
        for (const [t, team] of TEAMS.entries()) {
          for (const part of PARTS) {
            // The sheet's card by its address (#phieu-<team>-<part>): it stays when its form goes.
            const id = await page
              .locator("section[data-card]", { has: page.locator("h3", { hasText: team.name }) })
              .filter({ has: page.locator(`input[name="part"][value="${part.key}"]`) })
              .getAttribute("id");
            const card = page.locator(`#${id}`);
            const form = card.locator("form[data-sheet]");
            const offline = j === OFFLINE.judge && t === OFFLINE.team && part.key === OFFLINE.part;
            if (offline) await context.setOffline(true);
            for (const [c, criterion] of part.criteria.entries()) {
              await form.locator(`input[name="c.${criterion.key}"]`).fill(String(typed(j, t, part, c)));
            }
            const sum = part.criteria.reduce((a, _, c) => a + typed(j, t, part, c), 0);
            assert.equal(await form.locator("[data-total]").innerText(), sum.toLocaleString("vi-VN"));
            await form.getByRole("button", { name: "Nộp phiếu" }).click();
            if (offline) {
              await card.locator("[data-status]", { hasText: /Chưa gửi được — sẽ tự gửi lại/ }).waitFor();
              await card.scrollIntoViewIfNeeded();
              await eventShot(page, "judge-offline");
              await new Promise((r) => setTimeout(r, 1500));
              assert.equal(await card.getByText("Đã nộp — phiếu đã khóa.").count(), 0, "not sent while offline");
              await context.setOffline(false);
            }
            await card.getByText("Đã nộp — phiếu đã khóa.").waitFor({ timeout: 40_000 });
          }
        }
        if (j === 0) await eventShot(page, "judge-locked");
        assert.equal(seen.dialogs.length, 6, "one confirmation per sheet");
        assert.match(seen.dialogs[0].message, /Sau khi nộp, phiếu bị khóa/);
        assert.deepEqual(seen.problems, []);
        // After a reload every sheet is shown locked, nothing is left waiting in the browser.
        await page.reload();
        assert.equal(await page.locator("form[data-sheet]").count(), 0);
        const left = await page.evaluate(() =>
          Object.keys(localStorage).filter((k) => k.startsWith("cuocthi.phieu.cho-gui.")).map((k) => localStorage.getItem(k)),
        );
        assert.ok(left.every((v) => v === "{}"), `nothing pending: ${left}`);
      }

      // 4. The secretary's page, refreshing itself: nothing missing, each sheet once.
      await sec.locator("[data-missing-count]", { hasText: /^0$/ }).waitFor({ timeout: 20_000 });
      await sec.reload();
      const sheets = sec.locator("#phieu + .scroll tbody tr");
      assert.equal(await sheets.count(), JUDGES.length * 3 * 2, "thirty sheets, none twice");
      const offlineName = TEAMS[OFFLINE.team].name;
      const offlineRows = sheets.filter({ hasText: JUDGES[OFFLINE.judge].username }).filter({ hasText: offlineName })
        .filter({ hasText: "Giới thiệu đội thi và sáng kiến" });
      assert.equal(await offlineRows.count(), 1, "the sheet sent offline arrived once");

      // 5. The knowledge round on the stage, the projector following each step.
      ctx.screen = await newContext(browser, { width: 1920, height: 1080 });
      const screen = await ctx.screen.newPage();
      const screenSeen = watch(screen);
      await screen.goto(`${BASE}/su-kien/${SLUG}/man-hinh`);
      await screen.evaluate(() => { window.__sameLoad = "chưa tải lại"; });
      await sec.goto(`${BASE}/admin/cuoc-thi/${SLUG}/san-khau`);
      await clickAndLoad(sec, sec.getByRole("button", { name: "Tạo bộ câu hỏi" }));
      assert.match(await sec.locator(".notice").innerText(), /Đã tạo 3 bộ câu hỏi, mỗi bộ 2 câu/);
      await new Promise((r) => setTimeout(r, 500));
      const step = async (click, selector, text) => {
        await clickAndLoad(sec, click);
        await screen.locator(selector, text ? { hasText: text } : {}).first().waitFor({ timeout: 1500 });
        assert.equal(await screen.evaluate(() => window.__sameLoad), "chưa tải lại", "the projector never reloads");
      };
      const noKey = async () => {
        const html = await screen.evaluate(() => document.documentElement.outerHTML);
        assert.ok(!html.includes("is-correct") && !html.includes("Đáp án đúng"), "no key on the projector before the reveal");
      };
      for (const [t, team] of TEAMS.entries()) {
        const row = sec.locator("tr", { hasText: team.name });
        await row.getByLabel("Phần thi").selectOption("kien-thuc");
        await step(row.getByRole("button", { name: "Lên sân khấu" }), ".stage-team", team.name);
        await step(sec.getByRole("button", { name: "Bốc thăm bộ câu hỏi" }), ".stage-lot-number[data-set-no]");
        await screen.locator(".stage-lot-number:not(.is-spinning)").waitFor();
        for (let q = 1; q <= KNOWLEDGE.questions; q++) {
          await step(sec.getByRole("button", { name: "Câu hỏi tiếp theo" }), ".stage-meta", `Câu ${q}/${KNOWLEDGE.questions}`);
          await noKey();
          const right = q <= KNOWLEDGE.correct[t];
          await step(sec.getByRole("button", { name: right ? "Trả lời đúng" : "Trả lời sai" }), ".stage-answered");
          await noKey();
          await step(sec.getByRole("button", { name: "Công bố đáp án" }), ".stage-options li.is-correct");
        }
      }
      await step(sec.getByRole("button", { name: "Bảng điểm", exact: true }), ".stage-board");
      const board = await screen.locator(".stage-board tbody tr").allInnerTexts();
      const order = expectedRanking().map((r) => r.name);
      assert.deepEqual(board.map((r) => order.find((name) => r.includes(name))), order, `the projector's scoreboard: ${board}`);
      assert.deepEqual(screenSeen.problems, []);

      // 6. The secretary's ranking.
      await sec.goto(`${BASE}/admin/cuoc-thi/${SLUG}/hoi-thi`);
      await sec.locator("#xep-hang").scrollIntoViewIfNeeded();
      await eventShot(sec, "secretariat-ranking");
      const rows = sec.locator("[data-ranking] tbody tr");
      const got = [];
      for (let i = 0; i < (await rows.count()); i++) {
        const cells = await rows.nth(i).locator("td").allInnerTexts();
        got.push({ rank: cells[0], name: cells[1], total: (await rows.nth(i).locator("[data-total]").innerText()).trim() });
      }
      const want = expectedRanking().map((r, i) => ({ rank: String(i + 1), name: r.name, total: shown(r.total) }));
      assert.deepEqual(got, want);
      assert.deepEqual(secSeen.problems, []);
    });
  });
});
