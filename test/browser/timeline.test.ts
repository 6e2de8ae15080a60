/**
 * The timeline page at /__sim/, in a real browser: Debian's Chromium driven by playwright-core (no
 * browser download). The real `npm start` stack runs on port 0 with a ManualClock; the test makes the
 * article's scenario happen and asserts on what a person sees. Screenshots are written to
 * test-results/ (git-ignored); with UPDATE_DOCS_SCREENSHOT=1 the article-scenario one also goes to
 * docs/images/timeline.png.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { beforeAll, describe, expect, it, onTestFailed, onTestFinished } from 'vitest';
import { repoRoot, startTestServer } from '../server/helpers.ts';

/** Debian's package; .ci/run installs it when missing. */
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const resultsDir = path.join(repoRoot, 'test-results');

/**
 * One Chromium for the file (a launch is the costliest step here), and a fresh context per test: its
 * own profile state (storage, cache, cookies) and colour scheme, closed after the test.
 */
let browser: Browser | undefined;
beforeAll(async () => {
  if (!existsSync(chromiumPath)) throw new Error(`no Chromium at ${chromiumPath}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
  return async () => {
    await browser?.close();
  };
});

async function openBrowser(colorScheme: 'light' | 'dark' = 'light'): Promise<BrowserContext> {
  if (!browser) throw new Error('Chromium did not start (see beforeAll)');
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme });
  onTestFinished(() => context.close());
  return context;
}

async function post(url: string, payload: unknown): Promise<string> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
  expect(res.status).toBe(200);
  await res.text();
  return res.headers.get('x-nf-request-id') ?? '';
}

async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(resultsDir, { recursive: true });
  const file = path.join(resultsDir, name);
  await page.screenshot({ path: file });
  return file;
}

describe('the timeline page (/__sim/) in Chromium', () => {
  it("shows the fire-and-forget bug, a concurrent burst's containers, and reaped containers", async () => {
    const { url, clock, log } = await startTestServer();
    onTestFailed(() => console.log(log.lines.join('\n')));
    const context = await openBrowser();
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    onTestFailed(async () => {
      console.log('page errors:', pageErrors);
      await screenshot(page, 'timeline-failure.png').catch(() => undefined);
    });
    const outside: string[] = [];
    // Works offline: every request the page makes stays on the local server.
    page.on('request', (request) => {
      if (!request.url().startsWith(url)) outside.push(request.url());
    });

    await page.goto(`${url}/__sim/`);
    await page.locator('body[data-live="true"]').waitFor();
    await expect.poll(() => page.locator('#empty').textContent()).toContain('No invocations yet');

    // The article's scenario: send-data-unawaited twice.
    const first = await post(`${url}/api/send-data-unawaited`, { n: 1 });
    await log.waitFor(new RegExp(`^REPORT RequestId: ${first}\\t`));
    // The first invocation is marked with the work it left pending at freeze (waiting for the
    // attribute waits for the page to have drawn the freeze)...
    // (The delivery's request, and the timers it armed: how many depends on the HTTP client.)
    await page.locator(`.item.inv[data-request-id="${first}"][data-status="200"]:not([data-pending="0"])`).waitFor();
    const frozen = page.locator(`.item.frozen[data-left-by="${first}"]`);
    await page.locator(`.item.frozen[data-left-by="${first}"]:not([data-pending="0"])`).waitFor();
    await expect.poll(() => frozen.textContent()).toBe(`⚠ ${first}'s work, frozen unfinished:POST /.netlify/functions/collect`);
    await expect.poll(() => frozen.getAttribute('aria-label')).toMatch(new RegExp(`^Frozen after ${first} with unfinished work: POST /\\.netlify/functions/collect`));

    const second = await post(`${url}/api/send-data-unawaited`, { n: 2 });
    await log.waitFor(new RegExp(`^REPORT RequestId: ${second}\\t`));
    // ...and the thaw inside the second invocation, where that work resumed and finished, is shown
    // and linked to the first.
    await page.locator(`.item.settle[data-inside="${second}"][data-from="${first}"][data-finished="1"]`).waitFor();
    // (Only requests are reported as finished: timers fire after the thaw.)
    await page.locator(`.item.inv[data-request-id="${second}"][data-status="200"]`).waitFor();
    await expect.poll(() => frozen.getAttribute('data-thawed-by')).toBe(second);
    await expect.poll(() => frozen.getAttribute('data-finished-in')).toBe(second);
    // In words, for someone who has not read the article.
    const story = page.locator(`#stories li[data-left-by="${first}"]`);
    await expect.poll(() => story.textContent()).toContain(`${first} (POST /api/send-data-unawaited → 200): this request's work (POST /.netlify/functions/collect`);
    await expect.poll(() => story.textContent()).toContain(
      `was frozen, unfinished, when its container froze; it ran only when the next request (${second}) thawed the container`,
    );
    // Details on focus, from the keyboard.
    await frozen.focus();
    await expect.poll(() => page.locator('#details').textContent()).toContain(`started by ${first}`);
    // Arrow keys move between items; the details follow the focus.
    const focusedKey = (): Promise<string | null> => page.evaluate<string | null>("document.activeElement && document.activeElement.getAttribute('data-key')");
    const frozenKey = await frozen.getAttribute('data-key');
    await page.keyboard.press('ArrowRight');
    await expect.poll(focusedKey).not.toBe(frozenKey);
    await expect.poll(() => page.locator('#details').textContent()).not.toContain(`started by ${first}`);
    await page.keyboard.press('ArrowLeft');
    await expect.poll(focusedKey).toBe(frozenKey);
    await frozen.blur();
    await page.locator('#details').waitFor({ state: 'hidden' });
    const articleShot = await screenshot(page, 'timeline.png');
    if (process.env.UPDATE_DOCS_SCREENSHOT === '1') {
      await mkdir(path.join(repoRoot, 'docs', 'images'), { recursive: true });
      await copyFile(articleShot, path.join(repoRoot, 'docs', 'images', 'timeline.png'));
    }

    // A concurrent burst: requests sent at once get containers of their own, one lane each. How many
    // depends on how many were truly in flight together (a request that arrives after another finished
    // takes its warm container): the page must show exactly the containers that served the burst.
    const burst = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const res = await fetch(`${url}/api/whoami`);
        // whoami's own id is per module instance, so distinct ids are distinct containers.
        const { containerId } = (await res.json()) as { containerId: string };
        return { requestId: res.headers.get('x-nf-request-id') ?? '', instance: containerId };
      }),
    );
    const containers = new Set(burst.map((b) => b.instance)).size;
    expect(containers).toBeGreaterThan(1);
    const whoami = page.locator('section.fn[data-function="whoami"]');
    await whoami.locator('.item.inv[data-status="200"]').nth(burst.length - 1).waitFor();
    await expect.poll(() => whoami.locator('.lane-label').count()).toBe(containers);
    await expect.poll(() => whoami.locator('svg g.lane').count()).toBe(containers);
    await expect.poll(() => whoami.locator('.item.cold').count()).toBe(containers);
    // Each request's bar sits in the lane of the container that served it.
    const lanes = await Promise.all((await whoami.locator('.lane-label').all()).map((label) => label.getAttribute('data-container')));
    const barLanes = await Promise.all(burst.map(({ requestId }) => whoami.locator(`.item.inv[data-request-id="${requestId}"]`).getAttribute('data-container')));
    expect(new Set(barLanes)).toEqual(new Set(lanes));

    // Ten idle minutes on the clock: every container is reaped, and the page says so.
    clock.advance(600_000);
    await whoami.locator('.item.end[data-reason="reaped"]').nth(containers - 1).waitFor();
    await expect.poll(() => whoami.locator('.gap-label').first().textContent()).toBe('+10 min');
    const unawaited = page.locator('section.fn[data-function="send-data-unawaited"]');
    await unawaited.locator('.item.end[data-reason="reaped"]').waitFor();
    await screenshot(page, 'timeline-reaped.png');

    // Filter, pause, clear.
    // Browser-side expressions are strings: this file is type-checked against Node's globals, not the DOM's.
    const sections = async (): Promise<string[]> => {
      const all = await page.locator('section.fn').all();
      return Promise.all(all.map(async (section) => (await section.getAttribute('data-function')) ?? ''));
    };
    await page.locator('#filter').selectOption('whoami');
    await page.waitForFunction("document.querySelectorAll('section.fn').length === 1");
    await expect.poll(() => sections()).toEqual(['whoami']);
    await page.locator('#pause').click();
    await post(`${url}/api/send-data`, { paused: true });
    await page.waitForFunction("/paused \\(\\d+ new events? waiting\\)/.test(document.getElementById('status').textContent)");
    await page.locator('#filter').selectOption('');
    await page.waitForFunction("document.querySelectorAll('section.fn').length > 1");
    // Paused: the new function's events wait, undrawn.
    expect(await sections()).not.toContain('send-data');
    await page.locator('#pause').click();
    await page.locator('section.fn[data-function="send-data"]').waitFor();
    await page.locator('#clear').click();
    await page.locator('#empty').waitFor();

    expect(pageErrors).toEqual([]);
    expect(outside).toEqual([]);
  });

  it('is readable in dark mode too', async () => {
    const { url } = await startTestServer();
    const context = await openBrowser('dark');
    const page = await context.newPage();
    await page.goto(`${url}/__sim/`);
    await page.locator('body[data-live="true"]').waitFor();
    const first = await post(`${url}/api/send-data-unawaited`, { n: 1 });
    const second = await post(`${url}/api/send-data-unawaited`, { n: 2 });
    await page.locator(`.item.settle[data-inside="${second}"][data-from="${first}"]`).waitFor();
    const background = await page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
    const foreground = await page.evaluate<string>('getComputedStyle(document.body).color');
    // Dark background, light text (not the light theme's near-white page).
    expect(luminance(background)).toBeLessThan(0.1);
    expect(luminance(foreground)).toBeGreaterThan(0.7);
    await screenshot(page, 'timeline-dark.png');
  });
});

/** Relative luminance of a CSS `rgb(r, g, b)` colour, 0 (black) to 1 (white). */
function luminance(rgb: string): number {
  const [r, g, b] = (rgb.match(/\d+/g) ?? []).slice(0, 3).map((part) => {
    const channel = Number(part) / 255;
    return channel <= 0.03928 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * (r ?? 0) + 0.7152 * (g ?? 0) + 0.0722 * (b ?? 0);
}
