// Opens a `torchtrain bench` HTML report in headless Chromium (Debian's, as the dashboard tests
// do) and saves a screenshot: the README's picture, docs/bench-report.png.
//   npx tsx bench/report-screenshot.ts bench/results/bench.html docs/bench-report.png
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

export async function screenshotReport(html: string, png: string): Promise<string[]> {
  const executablePath = process.env.TORCHTRAIN_CHROMIUM ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((f) => existsSync(f));
  if (!executablePath) throw new Error('no chromium: apt-get install -y chromium, or set TORCHTRAIN_CHROMIUM');
  const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-background-networking'] });
  const errors: string[] = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 }, deviceScaleFactor: 1 });
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pathToFileURL(html).href, { waitUntil: 'load' });
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
    await page.screenshot({ path: png, fullPage: true });
  } finally {
    await browser.close();
  }
  return errors;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [html, png] = process.argv.slice(2);
  if (!html || !png) throw new Error('usage: npx tsx bench/report-screenshot.ts <report.html> <out.png>');
  const errors = await screenshotReport(html, png);
  console.log(errors.length ? `page errors: ${errors.join(' | ')}` : `written: ${png}`);
}
