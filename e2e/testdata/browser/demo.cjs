// Drives the demo page of `signet serve` in Chromium: alice signs in, uploads a PNG, sees it
// through the edge, makes a 10 s link and watches it expire; bob signs in and is refused
// alice's image. Env: ISSUER_URL, EDGE_URL, PNG (file to upload), ARTIFACTS (screenshot dir),
// USER_DATA_DIR (fresh profile). Prints one JSON line with what it saw; exits 1 on failure.
"use strict";
const { chromium } = require("playwright-core");
const path = require("path");

const need = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set`);
  return v;
};

async function main() {
  const issuer = need("ISSUER_URL");
  const edge = need("EDGE_URL");
  const png = need("PNG");
  const artifacts = need("ARTIFACTS");
  const ctx = await chromium.launchPersistentContext(need("USER_DATA_DIR"), {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 1100, height: 1400 },
  });
  const result = { problems: [] };
  try {
    const page = ctx.pages()[0] || (await ctx.newPage());
    page.setDefaultTimeout(20000);
    page.on("console", (m) => {
      if (m.type() === "error" && /Content Security Policy|Refused to/i.test(m.text())) result.problems.push("console: " + m.text());
    });
    page.on("pageerror", (e) => result.problems.push("pageerror: " + e.message));

    await page.goto(issuer + "/");
    result.title = await page.title();

    // alice signs in and uploads.
    await page.click("#login-alice");
    await page.waitForSelector("#who[data-user=alice]");
    await page.setInputFiles("#file", png);
    await page.click("#upload-button");
    await page.waitForSelector("#upload-status.ok");
    const uploaded = (await page.textContent("#upload-status")).replace(/^uploaded /, "").trim();
    result.key = uploaded;
    if (!uploaded.startsWith("users/alice/") || !uploaded.endsWith(".png")) result.problems.push("unexpected key " + uploaded);

    // the image renders through the edge.
    const img = `#gallery img[data-key="${uploaded}"]`;
    await page.waitForSelector(img + ".loaded");
    const info = await page.$eval(img, (el) => ({ src: el.src, w: el.naturalWidth, h: el.naturalHeight }));
    result.rendered = { fromEdge: info.src.startsWith(edge + "/"), width: info.w, height: info.h };
    if (!result.rendered.fromEdge || info.w === 0) result.problems.push("image not rendered through the edge: " + JSON.stringify(result.rendered));

    // a 10 s link that visibly expires.
    await page.click("#short-button");
    await page.waitForSelector("#short-box[data-state=valid] #short-frame img");
    await page.waitForSelector("#short-box[data-state=expired]", { timeout: 25000 });
    result.shortLink = await page.textContent("#short-frame");
    await page.screenshot({ path: path.join(artifacts, "alice.png"), fullPage: true });

    // bob signs in and cannot view alice's image.
    await page.click("#login-bob");
    await page.waitForSelector("#who[data-user=bob]");
    const prefill = await page.inputValue("#other-key");
    if (prefill !== uploaded) {
      await page.fill("#other-key", uploaded);
    }
    await page.click("#other-button");
    await page.waitForSelector("#other-status[data-status]");
    result.bob = {
      status: await page.getAttribute("#other-status", "data-status"),
      text: await page.textContent("#other-status"),
      gallery: await page.$$eval("#gallery img", (els) => els.map((e) => e.dataset.key)),
    };
    if (result.bob.status !== "403" || !/forbidden/.test(result.bob.text)) result.problems.push("bob was not refused: " + JSON.stringify(result.bob));
    if (result.bob.gallery.some((k) => k.startsWith("users/alice/"))) result.problems.push("bob's list shows alice's image");
    await page.screenshot({ path: path.join(artifacts, "bob.png"), fullPage: true });
  } catch (e) {
    result.problems.push("error: " + (e && e.stack ? e.stack : String(e)));
    try {
      const p = ctx.pages()[0];
      if (p) await p.screenshot({ path: path.join(artifacts, "failure.png"), fullPage: true });
    } catch (_) {}
  } finally {
    await ctx.close();
  }
  process.stdout.write(JSON.stringify(result) + "\n");
  process.exit(result.problems.length ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
