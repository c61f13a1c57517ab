// Steps of the console test (console.test.mjs calls them at its end, on the contest it made and
// opened): the contest's units from a spreadsheet, two people of a school taking part (through the
// JSON API), and the school's coordinator — a new account with the role "Đầu mối đơn vị" — signing
// in, uploading the staff list and downloading the list of staff who have not taken part.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { BASE, adminSignIn, clickAndLoad, newContext, setUpSecondFactor, watch } from "./lib.mjs";

const UNITS = [
  "Mã đơn vị,Tên đơn vị,Mã đơn vị cấp trên,Số cán bộ",
  "SGD,Sở Giáo dục và Đào tạo,,40",
  "THPT-LQD,Trường THPT Lê Quý Đôn,SGD,3",
  "CA,Công an tỉnh,,900",
].join("\n");
const STAFF = ["Họ và tên,Số CCCD", "Phạm Thị Lan,056195000140", "Đỗ Văn Hùng,056195000141", "Vũ Thị Mai,056195000149"].join("\n");
const COORDINATOR = { username: "daumoi.lqd", password: "mat-khau-dau-moi-2026" };

/** The texts of a downloaded workbook's shared strings (every cell text), read with Python's zipfile. */
function workbookTexts(file) {
  const py = "import sys,zipfile,re;x=zipfile.ZipFile(sys.argv[1]).read('xl/sharedStrings.xml').decode();print('\\n'.join(re.findall(r'<t[^>]*>([^<]*)</t>',x)))";
  return execFileSync("python3", ["-c", py, file], { encoding: "utf8" }).split("\n");
}

/** Registers a person of the school through the JSON API and starts an attempt. */
async function takePart(slug, n) {
  const contest = await (await fetch(`${BASE}/api/v1/contests/${slug}`)).json();
  const r = await fetch(`${BASE}/api/v1/contests/${slug}/participants`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      full_name: ["Phạm Thị Lan", "Đỗ Văn Hùng"][n],
      date_of_birth: "02/09/1995",
      cccd: `05619500014${n}`,
      phone: `091200014${n}`,
      unit: "THPT-LQD",
      consent: true,
    }),
  });
  const body = await r.text();
  assert.ok(r.ok, `register: ${r.status} ${body}`);
  const { token } = JSON.parse(body);
  const start = await fetch(`${BASE}/api/v1/rounds/${contest.rounds[0].id}/attempts`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(start.status, 201, await start.text());
}

/**
 * `step(name, body)` is the console test's step runner; `page()` and `browser()` give its admin
 * page and browser.
 */
export function unitSteps({ step, page, browser, slug }) {
  const dir = mkdtempSync(join(tmpdir(), "cuocthi-units-"));

  step("units from a spreadsheet; two people of a school take part", async () => {
    const p = page();
    const file = join(dir, "don-vi.csv");
    writeFileSync(file, UNITS);
    await p.goto(`${BASE}/admin/cuoc-thi/${slug}/don-vi`);
    await p.locator("#units-file").setInputFiles(file);
    await clickAndLoad(p, p.getByRole("button", { name: "Nhập đơn vị" }));
    assert.match(await p.locator("main").innerText(), /Đã nhập 3 đơn vị/);
    for (const n of [0, 1]) await takePart(slug, n);
  });

  step("the school's coordinator: an account with the role on the school", async () => {
    const p = page();
    await p.goto(`${BASE}/admin/tai-khoan`);
    await p.getByLabel("Tên đăng nhập").fill(COORDINATOR.username);
    await p.getByLabel("Họ và tên").fill("Nguyễn Thị Hoa");
    await p.getByLabel(/^Mật khẩu ban đầu/).fill(COORDINATOR.password);
    await clickAndLoad(p, p.getByRole("button", { name: "Tạo tài khoản" }));
    await p.goto(`${BASE}/admin/cuoc-thi/${slug}/nhan-su`);
    await p.getByLabel("Tên đăng nhập của tài khoản").fill(COORDINATOR.username);
    await p.getByLabel("Vai trò").selectOption({ label: "Đầu mối đơn vị" });
    await p.locator("#unit").selectOption("THPT-LQD");
    await clickAndLoad(p, p.getByRole("button", { name: "Giao vai trò" }));
    assert.match(await p.locator("main").innerText(), new RegExp(COORDINATOR.username));
  });

  step("the coordinator uploads the staff list and downloads who has not taken part", async () => {
    const ctx = await newContext(browser(), { width: 1280, height: 900 });
    try {
      const p = await ctx.newPage();
      const seen = watch(p);
      await p.goto(`${BASE}/admin/dang-nhap`);
      await adminSignIn(p, COORDINATOR);
      // A coordinator sees people's names and lists: the authenticator app first, like everyone.
      await p.goto(`${BASE}/admin/cuoc-thi/${slug}/tham-gia`);
      await setUpSecondFactor(p);
      await p.goto(`${BASE}/admin/cuoc-thi/${slug}/tham-gia`);
      const main = () => p.locator("main").innerText();
      assert.match(await main(), /Trường THPT Lê Quý Đôn/);
      assert.match(await main(), /Người đã tham gia\s*2/);
      assert.match(await main(), /chưa tải lên danh sách cán bộ/);
      // Another unit is not theirs.
      const other = await p.goto(`${BASE}/admin/cuoc-thi/${slug}/tham-gia?don_vi=CA`);
      assert.equal(other.status(), 403);
      await p.goBack();

      const file = join(dir, "can-bo.csv");
      writeFileSync(file, STAFF);
      await p.locator("#ds-can-bo").setInputFiles(file);
      await clickAndLoad(p, p.getByRole("button", { name: "Tải lên danh sách cán bộ" }));
      assert.match(await main(), /Đã nhận danh sách 3 cán bộ/);
      assert.match(await main(), /1 người chưa tham gia/);
      assert.match(await main(), /Vũ Thị Mai/);

      const [download] = await Promise.all([
        p.waitForEvent("download"),
        p.getByRole("link", { name: /Tải danh sách chưa tham gia/ }).click(),
      ]);
      const saved = join(dir, download.suggestedFilename());
      await download.saveAs(saved);
      assert.match(download.suggestedFilename(), /chua-tham-gia\.xlsx$/);
      const texts = workbookTexts(saved);
      assert.ok(texts.includes("Vũ Thị Mai"), texts.join(" | "));
      assert.ok(!texts.includes("Phạm Thị Lan") && !texts.includes("Đỗ Văn Hùng"), "only who has not taken part");
      assert.ok(texts.includes("0561******49"), "identity numbers masked for a coordinator");
      assert.deepEqual(seen.problems.filter((x) => !/403/.test(x)), []);
    } finally {
      await ctx.close();
    }
  });
}
