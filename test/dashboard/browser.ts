// A real browser for the dashboard's tests: Debian's chromium (scripts/setup.sh installs it),
// driven by playwright-core, launched as DESIGN.md section 6 says. Without a chromium the tests
// skip loudly here and fail in CI (CI=true), where setup.sh must have installed one.
import { accessSync, constants, mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

const CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

/** TORCHTRAIN_CHROMIUM, else the first chromium on PATH (Debian's is /usr/bin/chromium). */
export function findChromium(): string | null {
  const given = process.env.TORCHTRAIN_CHROMIUM;
  if (given) return given;
  for (const dir of (process.env.PATH ?? '/usr/bin').split(path.delimiter)) {
    for (const name of CANDIDATES) {
      const file = path.join(dir, name);
      try {
        accessSync(file, constants.X_OK);
        return file;
      } catch {
        // not here
      }
    }
  }
  return null;
}

export const chromiumPath = findChromium();
export const inCI = process.env.CI === 'true';
if (!chromiumPath && !inCI) {
  console.warn('\n*** test/dashboard: SKIPPING the browser tests: no chromium found (install it: apt-get install -y chromium,'
    + ' or set TORCHTRAIN_CHROMIUM to a Chromium/Chrome binary) ***\n');
}

/** Screenshots land here (ignored by git): test-output/dashboard/. */
export const artifactDir = path.resolve('test-output/dashboard');

export async function launch(): Promise<Browser> {
  if (!chromiumPath) throw new Error('no chromium: install it with apt-get install -y chromium (scripts/setup.sh does) or set TORCHTRAIN_CHROMIUM');
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox', '--disable-background-networking'] });
}

export interface DashboardSummary {
  ready: boolean;
  status: string;
  step: number;
  plots: { name: string; title: string; series: { label: string; points: number }[]; canvas: boolean }[];
  confusionMatrix: { classes: number; cells: number } | null;
  /** cards always; the rest when the profiles are computeDatasetProfile / compareProfiles results. */
  profiles: { cards: number; splits?: number; driftRows?: number; flagged?: number; histogram?: { feature: string; series: number; points: number; canvas: boolean } | null } | null;
  sections: string[];
}

export interface OpenedPage {
  summary: DashboardSummary;
  /** Console errors and uncaught exceptions. */
  errors: string[];
  /** Every request other than the page's own file. */
  requests: string[];
  /** Canvases per plot, read from the DOM. */
  canvases: Record<string, number>;
  /** Cells of the confusion matrix table, read from the DOM. */
  matrixCells: number;
  screenshot: string;
}

/** Opens the page from file://, waits for it to draw, and takes a full-page screenshot. */
export async function openDashboard(browser: Browser, file: string, screenshotName: string, options: { topHeight?: number } = {}): Promise<OpenedPage> {
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 }, deviceScaleFactor: 1 });
  const errors: string[] = [];
  const requests: string[] = [];
  const url = pathToFileURL(file).href;
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('request', (r) => { if (r.url() !== url) requests.push(r.url()); });
  try {
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 }).catch(() => {
      throw new Error(`the dashboard did not finish drawing; errors: ${errors.join(' | ') || 'none'}`);
    });
    const summary = await page.evaluate('window.__dashboard') as DashboardSummary;
    const canvases = await page.evaluate(`Object.fromEntries([...document.querySelectorAll('[data-plot]')].map((e) => [e.dataset.plot, e.querySelectorAll('canvas').length]))`) as Record<string, number>;
    const matrixCells = await page.evaluate(`document.querySelectorAll('table.cm td.cell').length`) as number;
    mkdirSync(artifactDir, { recursive: true });
    const screenshot = path.join(artifactDir, screenshotName);
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`dashboard screenshot: ${screenshot}`);
    if (options.topHeight) {
      // the top of the page alone (README's picture: docs/dashboard.png is a copy of it)
      const top = screenshot.replace(/\.png$/, '-top.png');
      await page.screenshot({ path: top, clip: { x: 0, y: 0, width: 1360, height: options.topHeight } });
      console.log(`dashboard screenshot (top): ${top}`);
    }
    return { summary, errors, requests, canvases, matrixCells, screenshot };
  } finally {
    await page.close();
  }
}
