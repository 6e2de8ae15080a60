/**
 * The site's publish directory, served as netlify dev and Netlify's CDN serve it: files with content
 * types, index.html for directories, pretty URLs, no way out of the directory, and Netlify's precedence
 * between static files, rewrites and functions' config.path.
 */
import { watch } from 'node:fs';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { RedirectRule } from '../../src/site/redirects.ts';
import { LocalServer } from '../../src/server/server.ts';
import { StaticFiles } from '../../src/server/static-files.ts';
import { FakeSimulator, type FakeFunction } from './fake-simulator.ts';
import { LogCollector, startTestServer, tempDir } from './helpers.ts';

const hello = (name: string, extra: Partial<FakeFunction> = {}): FakeFunction => ({
  name,
  api: 'v2',
  handler: () => new Response(`function ${name}`),
  ...extra,
});

async function site(files: Record<string, string>): Promise<string> {
  const root = await tempDir('static-site-');
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await writeFile(path.join(root, name), content);
  }
  return root;
}

async function serve(publishDir: string, functions: FakeFunction[], redirects: RedirectRule[] = []) {
  const log = new LogCollector();
  const server = await LocalServer.start({ port: 0, createSimulator: () => new FakeSimulator(functions), redirects, logger: log, publishDir });
  onTestFinished(() => server.destroy());
  return { url: server.url, log };
}

async function get(url: string, init?: RequestInit): Promise<{ status: number; type: string | null; body: string }> {
  const res = await fetch(url, init);
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

/** Sends a raw request target (fetch would normalise `..` away before it leaves). */
function rawGet(port: number, target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

describe('static files from the publish directory', () => {
  it('serves files with their content types, index.html for a directory, and /about for about.html', async () => {
    const root = await site({
      'index.html': '<h1>home</h1>',
      'style.css': 'body{}',
      'app.js': 'let a',
      'data.json': '{}',
      'logo.svg': '<svg/>',
      'blob.bin': 'x',
      'about.html': 'about',
      'docs/index.html': 'docs home',
    });
    const { url, log } = await serve(root, []);
    expect(await get(`${url}/`)).toEqual({ status: 200, type: 'text/html; charset=utf-8', body: '<h1>home</h1>' });
    expect((await get(`${url}/style.css`)).type).toBe('text/css; charset=utf-8');
    expect((await get(`${url}/app.js`)).type).toBe('text/javascript; charset=utf-8');
    expect((await get(`${url}/data.json`)).type).toBe('application/json; charset=utf-8');
    expect((await get(`${url}/logo.svg`)).type).toBe('image/svg+xml');
    expect((await get(`${url}/blob.bin`)).type).toBe('application/octet-stream');
    expect((await get(`${url}/docs/`)).body).toBe('docs home');
    expect((await get(`${url}/docs`)).body).toBe('docs home');
    expect((await get(`${url}/about`)).body).toBe('about');
    const head = await fetch(`${url}/style.css`, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length'), await head.text()]).toEqual([200, '6', '']);
    await log.waitFor(/^GET \/ 200 .* static index\.html$/);
  });

  it('sees a file added or removed while it runs (answers are cached until the directory changes)', async () => {
    const root = await site({ 'index.html': 'home' });
    const { url } = await serve(root, []);
    expect((await get(`${url}/late.txt`)).status).toBe(404);
    const changed = (): Promise<void> =>
      new Promise((resolve) => {
        const watcher = watch(root, { recursive: true }, () => {
          watcher.close();
          resolve();
        });
      });
    let seen = changed();
    await writeFile(path.join(root, 'late.txt'), 'late');
    await seen;
    await expect.poll(async () => (await get(`${url}/late.txt`)).body).toBe('late');
    seen = changed();
    await rm(path.join(root, 'late.txt'));
    await seen;
    await expect.poll(async () => (await get(`${url}/late.txt`)).status).toBe(404);
  });

  it('never leaves the directory: .. (raw or encoded), encoded slashes and symlinks out are not found', async () => {
    const outside = await site({ 'secret.txt': 'secret' });
    const root = await site({ 'index.html': 'home' });
    await symlink(path.join(outside, 'secret.txt'), path.join(root, 'link.txt'));
    const { url } = await serve(root, []);
    const port = Number(new URL(url).port);
    const name = path.basename(outside);
    for (const target of [`/../${name}/secret.txt`, `/%2e%2e/${name}/secret.txt`, `/..%2f${name}%2fsecret.txt`, '/link.txt', '/index.html%00']) {
      const answer = await rawGet(port, target);
      expect(answer, target).toMatch(/^HTTP\/1\.1 404 /);
      // The body is the JSON error, never the file's content.
      expect(answer.split('\r\n\r\n')[1], target).toMatch(/^\{"error":\{"code":"ROUTE_NOT_FOUND"/);
    }
    const files = new StaticFiles(root);
    expect(files.resolve('/..%5c..%5cetc/passwd')).toBeUndefined();
    expect(files.resolve('/%E0%A4%A')).toBeUndefined();
  });

  it('a file shadows a rewrite unless the rule is forced, as on Netlify', async () => {
    const root = await site({ 'api/shadowed': 'the file', 'forced/x': 'the file' });
    const { url } = await serve(
      root,
      [hello('shadowed'), hello('forced')],
      [
        { from: '/api/*', to: '/.netlify/functions/:splat', status: 200 },
        { from: '/forced/*', to: '/.netlify/functions/forced', status: 200, force: true },
      ],
    );
    expect((await get(`${url}/api/shadowed`)).body).toBe('the file');
    expect((await get(`${url}/forced/x`)).body).toBe('function forced');
    // /.netlify/functions/ is always the function.
    expect((await get(`${url}/.netlify/functions/shadowed`)).body).toBe('function shadowed');
  });

  it('a rule made forced by a netlify.toml change wins over the file from then on', async () => {
    const root = await site({ 'forced/x': 'the file' });
    const log = new LogCollector();
    const functions = [hello('forced')];
    const server = await LocalServer.start({
      port: 0,
      createSimulator: () => new FakeSimulator(functions),
      redirects: [{ from: '/forced/*', to: '/.netlify/functions/forced', status: 200 }],
      logger: log,
      publishDir: root,
    });
    onTestFinished(() => server.destroy());
    expect((await get(`${server.url}/forced/x`)).body).toBe('the file');
    await server.replaceSimulator(new FakeSimulator(functions), [{ from: '/forced/*', to: '/.netlify/functions/forced', status: 200, force: true }]);
    expect((await get(`${server.url}/forced/x`)).body).toBe('function forced');
  });

  it("a function's config.path wins over a file, unless it sets preferStatic", async () => {
    const root = await site({ 'owned.html': 'file', 'polite.html': 'file' });
    const { url } = await serve(root, [
      hello('owner', { configPath: '/owned.html' }),
      hello('polite', { configPath: '/polite.html', config: { path: ['/polite.html'], preferStatic: true } }),
    ]);
    expect((await get(`${url}/owned.html`)).body).toBe('function owner');
    expect((await get(`${url}/polite.html`)).body).toBe('file');
  });

  it("answers other methods on a file with 405, serves the site's 404.html for unknown paths, and keeps JSON for functions", async () => {
    const root = await site({ 'index.html': 'home', '404.html': 'not here' });
    const { url } = await serve(root, []);
    const post = await fetch(`${url}/index.html`, { method: 'POST', body: 'x' });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    expect(await get(`${url}/nowhere`)).toEqual({ status: 404, type: 'text/html; charset=utf-8', body: 'not here' });
    const missing = await get(`${url}/.netlify/functions/nope`);
    expect([missing.status, JSON.parse(missing.body).error.code]).toEqual([404, 'FUNCTION_NOT_FOUND']);
  });

  it('npm start serves public/ at / (the publish directory in netlify.toml), which links to the timeline', async () => {
    const { url } = await startTestServer();
    const home = await get(`${url}/`);
    expect(home.status).toBe(200);
    expect(home.type).toBe('text/html; charset=utf-8');
    expect(home.body).toContain('<a href="/__sim/">container timeline</a>');
    const timeline = await get(`${url}/__sim/`);
    expect([timeline.status, timeline.type]).toEqual([200, 'text/html; charset=utf-8']);
    expect(timeline.body).toContain('<script src="/__sim/timeline.js"></script>');
    expect((await get(`${url}/__sim/timeline.js`)).type).toBe('text/javascript; charset=utf-8');
    const bare = await fetch(`${url}/__sim`, { redirect: 'manual' });
    expect([bare.status, bare.headers.get('location')]).toEqual([308, '/__sim/']);
    // The functions still answer where they did.
    expect((await get(`${url}/api/hello-world`)).body).toBe('{"message":"Hello, abc is 1"}');
  });
});
