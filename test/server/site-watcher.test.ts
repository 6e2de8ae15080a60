/**
 * Edits while serving, on a real temp site watched by the real server: every wait is on the server's
 * "rebuild after ..." log line, never a sleep.
 *
 * The tests run concurrently: each has its own temp site, server and watcher, and most of a test is
 * waiting for the watcher's debounce and the file system's events, which one after the other made this
 * one of the longest files of the suite. So each test uses its own context's `expect` and
 * `onTestFinished` (vitest cannot tell concurrent tests apart through the global ones).
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it, type TestContext } from 'vitest';
import { startTestServer, tempDir, type Defer, type LogCollector } from './helpers.ts';

const fn = (body: string): string => `export default async () => new Response(${JSON.stringify(body)});\n`;

/** Cleanups after this test, registered on its own context (see the file comment). */
function after(context: TestContext): Defer {
  return (cleanup) => {
    context.onTestFinished(async () => {
      await cleanup();
    });
  };
}

async function watchedSite(defer: Defer, functions: Record<string, string>, extra: Record<string, string> = {}): Promise<{ dir: string; fns: string }> {
  const dir = await tempDir('watched-site-', defer);
  const fns = path.join(dir, 'netlify', 'functions');
  await mkdir(fns, { recursive: true });
  for (const [name, text] of Object.entries(functions)) await writeFile(path.join(fns, name), text);
  for (const [name, text] of Object.entries(extra)) await writeFile(path.join(dir, name), text);
  return { dir, fns };
}

/** Resolves with the next rebuild line after the `seen` already logged ones. */
function nextRebuild(log: LogCollector, seen: number): Promise<string> {
  const pattern = /^(WARN )?rebuild after /;
  return new Promise((resolve) => {
    const check = (): boolean => {
      const lines = log.matching(pattern);
      if (lines.length > seen) {
        resolve(lines[seen] as string);
        return true;
      }
      return false;
    };
    if (check()) return;
    const timer = setInterval(() => {
      if (check()) clearInterval(timer);
    }, 5);
  });
}

const rebuilds = (log: LogCollector): number => log.matching(/^(WARN )?rebuild after /).length;

async function text(url: string): Promise<string> {
  const response = await fetch(url);
  return `${response.status} ${await response.text()}`;
}

describe.concurrent('the watcher: edits while serving', () => {
  it('sees atomic saves (write a temp file, rename it over the original), again and again, and logs what changed and how long it took', async (context) => {
    const { expect } = context;
    const { dir, fns } = await watchedSite(after(context), { 'hello.mjs': fn('one') });
    const { url, log } = await startTestServer({ rootDir: dir, watch: true }, after(context));
    expect(await text(`${url}/.netlify/functions/hello`)).toBe('200 one');
    for (const version of ['two', 'three', 'four']) {
      const seen = rebuilds(log);
      const temp = path.join(fns, `.hello.mjs.${version}.tmp`);
      await writeFile(temp, fn(version));
      await rename(temp, path.join(fns, 'hello.mjs'));
      const line = await nextRebuild(log, seen);
      expect(line).toMatch(/^rebuild after .*netlify\/functions\/hello\.mjs (changed|added).*: hello rebuilt; new requests go to new containers, old ones drain \(\d+ ms\)$/);
      expect(await text(`${url}/.netlify/functions/hello`)).toBe(`200 ${version}`);
    }
  });

  it('a deleted function stops being served; re-added, it is served again', async (context) => {
    const { expect } = context;
    const { dir, fns } = await watchedSite(after(context), { 'hello.mjs': fn('hi'), 'other.mjs': fn('other') });
    const { url, log } = await startTestServer({ rootDir: dir, watch: true }, after(context));
    expect(await text(`${url}/.netlify/functions/hello`)).toBe('200 hi');
    let seen = rebuilds(log);
    await rm(path.join(fns, 'hello.mjs'));
    expect(await nextRebuild(log, seen)).toMatch(/netlify\/functions\/hello\.mjs deleted: hello rebuilt/);
    expect((await fetch(`${url}/.netlify/functions/hello`)).status).toBe(404);
    seen = rebuilds(log);
    await writeFile(path.join(fns, 'hello.mjs'), fn('back'));
    await nextRebuild(log, seen);
    expect(await text(`${url}/.netlify/functions/hello`)).toBe('200 back');
    expect(await text(`${url}/.netlify/functions/other`)).toBe('200 other');
  });

  it('serves a new function, a new folder function, and forgets a deleted folder', async (context) => {
    const { expect } = context;
    const { dir, fns } = await watchedSite(after(context), { 'hello.mjs': fn('hi') });
    const { url, log } = await startTestServer({ rootDir: dir, watch: true }, after(context));
    let seen = rebuilds(log);
    await writeFile(path.join(fns, 'fresh.mjs'), fn('fresh'));
    await nextRebuild(log, seen);
    expect(await text(`${url}/.netlify/functions/fresh`)).toBe('200 fresh');
    seen = rebuilds(log);
    await mkdir(path.join(fns, 'folder'));
    await writeFile(path.join(fns, 'folder', 'index.mjs'), fn('in a folder'));
    await waitUntilServed(log, seen, `${url}/.netlify/functions/folder`, '200 in a folder');
    seen = rebuilds(log);
    await rm(path.join(fns, 'folder'), { recursive: true });
    await nextRebuild(log, seen);
    expect((await fetch(`${url}/.netlify/functions/folder`)).status).toBe(404);
  });

  it('many files at once (as a git checkout writes them) are all served once the rebuilds settle, in fewer batches than files', async (context) => {
    const { expect } = context;
    const { dir, fns } = await watchedSite(after(context), { 'hello.mjs': fn('hi') });
    const { url, log } = await startTestServer({ rootDir: dir, watch: true }, after(context));
    const seen = rebuilds(log);
    const names = Array.from({ length: 20 }, (_, i) => `bulk-${i}`);
    await Promise.all(names.map((name) => writeFile(path.join(fns, `${name}.mjs`), fn(name))));
    await waitUntilServed(log, seen, `${url}/.netlify/functions/bulk-19`, '200 bulk-19');
    for (const name of names) expect(await text(`${url}/.netlify/functions/${name}`)).toBe(`200 ${name}`);
    // Debounced: a burst is handled in batches, far fewer than one rebuild per file.
    expect(rebuilds(log) - seen).toBeLessThan(names.length);
    expect(log.matching(/rebuild after .* failed/)).toEqual([]);
  });

  it('reloads the site when .env or netlify.toml changes: new environment, new redirects', async (context) => {
    const { expect } = context;
    const report = 'export default async () => new Response(String(process.env.GREETING));\n';
    const { dir } = await watchedSite(after(context), { 'greet.mjs': report }, { '.env': 'GREETING=hello\n' });
    const { url, log, running } = await startTestServer({ rootDir: dir, watch: true }, after(context));
    expect(await text(`${url}/.netlify/functions/greet`)).toBe('200 hello');
    let seen = rebuilds(log);
    const temp = path.join(dir, '.env.tmp');
    await writeFile(temp, 'GREETING=bonjour\n');
    await rename(temp, path.join(dir, '.env'));
    expect(await nextRebuild(log, seen)).toMatch(/^rebuild after .*\.env (changed|added).*: site config reloaded/);
    expect(await text(`${url}/.netlify/functions/greet`)).toBe('200 bonjour');
    expect(running.site.env.functions.GREETING).toBe('bonjour');

    seen = rebuilds(log);
    await writeFile(path.join(dir, 'netlify.toml'), '[[redirects]]\nfrom = "/hi"\nto = "/.netlify/functions/greet"\nstatus = 200\n');
    await nextRebuild(log, seen);
    expect(await text(`${url}/hi`)).toBe('200 bonjour');

    // A broken netlify.toml keeps the last good config serving, and says why.
    seen = rebuilds(log);
    await writeFile(path.join(dir, 'netlify.toml'), '[[redirects]\n');
    expect(await nextRebuild(log, seen)).toMatch(/^WARN rebuild after netlify\.toml changed failed: .*netlify\.toml:1:\d+: /);
    expect(await text(`${url}/hi`)).toBe('200 bonjour');
  });

  it("reloads on the publish directory's _redirects, and ignores the browser assets beside it", async (context) => {
    const { expect } = context;
    const { dir } = await watchedSite(after(context), { 'hello.mjs': fn('hi') }, { 'netlify.toml': '[build]\npublish = "dist"\n' });
    await mkdir(path.join(dir, 'dist'));
    const { url, log } = await startTestServer({ rootDir: dir, watch: true }, after(context));
    const seen = rebuilds(log);
    // A browser bundle is not a function source: no rebuild for it ...
    await writeFile(path.join(dir, 'dist', 'app.js'), 'console.log("browser")\n');
    // ... while _redirects is config.
    await writeFile(path.join(dir, 'dist', '_redirects'), '/greeting  /.netlify/functions/hello  200\n');
    expect(await nextRebuild(log, seen)).toMatch(/^rebuild after dist\/_redirects (added|changed): site config reloaded/);
    expect(await text(`${url}/greeting`)).toBe('200 hi');
    expect(log.matching(/app\.js/)).toEqual([]);
  });
});

/** Waits through rebuilds until `url` answers `expected` (a burst may take more than one batch). */
async function waitUntilServed(log: LogCollector, seen: number, url: string, expected: string): Promise<void> {
  for (let count = seen; ; count++) {
    await nextRebuild(log, count);
    if ((await text(url)) === expected) return;
  }
}
