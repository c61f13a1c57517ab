// Screenshots of the participant's pages at 360 px (a cheap Android phone) and 1280 px (a desktop),
// whole page, into docs/screenshots/: the contest page, an attempt in progress and a result, on
// the demo's practice contest. Run through scripts/screenshots, which starts the server.

import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

import { BASE, PRACTICE, clickAndLoad, launch, newContext, person, register, watch } from "./lib.mjs";

const out = process.argv[2] || "docs/screenshots";
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
    for (let pos = 7; pos < 15; pos++) await pickFirst(page, pos);
    await clickAndLoad(page, page.getByRole("button", { name: "Nộp bài" }));
    assert.match(page.url(), /\/ket-qua$/);
    await shot(page, "result");
    assert.deepEqual(seen.problems, []);
    await ctx.close();
  }
} finally {
  await browser.close();
}
