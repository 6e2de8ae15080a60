/**
 * How a site's functions are built, registered and routed, driven through the real server on port 0 with
 * a temp site: broken functions, external and native modules, optional requires, included files,
 * config.path / excludedPath / method, builders, rateLimit, background and scheduled functions.
 */
import { mkdir, readFile, realpath, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startGate, startTestServer, tempDir } from './helpers.ts';

type Files = Record<string, string>;

/** A temp site: netlify.toml pointing at `functions/`, plus `files` (paths relative to the site). */
async function site(files: Files): Promise<string> {
  const dir = await tempDir('functions-site-');
  const all: Files = { 'netlify.toml': '[functions]\n  directory = "functions"\n', ...files };
  for (const [relative, text] of Object.entries(all)) {
    const file = path.join(dir, relative);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
  }
  return dir;
}

/** Serves the site at `dir`, after replacing its netlify.toml when `netlifyToml` is given (its settings reach the simulator through the Site). */
async function serve(dir: string, extra: { netlifyToml?: string; runSchedules?: boolean } = {}) {
  if (extra.netlifyToml !== undefined) await writeFile(path.join(dir, 'netlify.toml'), extra.netlifyToml);
  return startTestServer({
    rootDir: dir,
    ...(extra.runSchedules !== undefined && { runSchedules: extra.runSchedules }),
  });
}

const ok = `export default async () => new Response('ok');\n`;

describe('a function that fails to bundle', () => {
  it('is listed with its error and answered with a JSON error naming the cause, the others serve, and a fix brings it back', async () => {
    const dir = await site({
      'functions/good.mjs': ok,
      'functions/broken.mjs': `export default async () => new Response('fixed';\n`,
    });
    const { running, url, log } = await serve(dir);
    const broken = running.functions.find((f) => f.name === 'broken');
    expect(broken?.error?.code).toBe('BUNDLE_FAILED');
    expect(broken?.error?.message).toContain('broken.mjs');
    expect(log.matching(/\[broken\] not served: BUNDLE_FAILED/)).toHaveLength(1);

    const refused = await fetch(`${url}/.netlify/functions/broken`);
    expect(refused.status).toBe(500);
    expect(refused.headers.get('content-type')).toBe('application/json');
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('BUNDLE_FAILED');
    expect(body.error.message).toBe(`function "broken" is not served: esbuild: ${path.join(dir, 'functions/broken.mjs')}:1:47: Expected ")" but found ";"`);
    expect(await (await fetch(`${url}/.netlify/functions/good`)).text()).toBe('ok');

    await writeFile(path.join(dir, 'functions/broken.mjs'), `export default async () => new Response('fixed');\n`);
    expect(await running.server.refresh()).toEqual(['broken']);
    expect((await running.server.simulator.functions()).find((f) => f.name === 'broken')?.error).toBeUndefined();
    expect(await (await fetch(`${url}/.netlify/functions/broken`)).text()).toBe('fixed');
  });

  it('whose config a deploy would refuse is listed with CONFIG_INVALID and answered with it', async () => {
    const dir = await site({
      'functions/bad-method.mjs': `export default async () => new Response('x');\nexport const config = { method: 'FETCH' };\n`,
    });
    const { running, url } = await serve(dir);
    expect(running.functions[0]?.error?.code).toBe('CONFIG_INVALID');
    const res = await fetch(`${url}/.netlify/functions/bad-method`);
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("Function bad-method has a configuration error on 'method'");
  });
});

describe('bundling like production', () => {
  const nativePackage: Files = {
    // A native package by zip-it-and-ship-it's rules (gypfile); it finds its "binary" next to itself.
    'node_modules/fake-native/package.json': JSON.stringify({ name: 'fake-native', version: '1.0.0', main: 'index.js', gypfile: true }),
    'node_modules/fake-native/index.js': `const fs = require('node:fs');\nconst path = require('node:path');\nmodule.exports = { dir: __dirname, binary: fs.readFileSync(path.join(__dirname, 'addon.node.txt'), 'utf8') };\n`,
    'node_modules/fake-native/addon.node.txt': 'native bytes',
    'node_modules/plain-dep/package.json': JSON.stringify({ name: 'plain-dep', version: '1.0.0', type: 'module', main: 'index.js' }),
    'node_modules/plain-dep/index.js': `export const where = import.meta.url;\n`,
  };

  it('keeps a native module external and loads it from the site node_modules, where it finds its binary', async () => {
    const dir = await site({
      ...nativePackage,
      'functions/uses-native.mjs': `import native from 'fake-native';\nexport default async () => Response.json(native);\n`,
    });
    const { url, log } = await serve(dir);
    expect(log.matching(/\[uses-native\] loaded at run time/)).toEqual(['[uses-native] loaded at run time from the site, not bundled: fake-native (native)']);
    const res = await fetch(`${url}/.netlify/functions/uses-native`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ dir: await realpath(path.join(dir, 'node_modules/fake-native')), binary: 'native bytes' });
  });

  it('keeps external_node_modules external (loaded from the site), and inlines the same package otherwise', async () => {
    const dir = await site({
      ...nativePackage,
      'functions/where.mjs': `import { where } from 'plain-dep';\nexport default async () => new Response(where);\n`,
    });
    const external = await serve(dir, { netlifyToml: '[functions]\n  directory = "functions"\n  external_node_modules = ["plain-dep"]\n' });
    const siteModule = new URL(`file://${await realpath(path.join(dir, 'node_modules/plain-dep/index.js'))}`).href;
    expect(await (await fetch(`${external.url}/.netlify/functions/where`)).text()).toBe(siteModule);
    await external.running.close();

    const inlined = await serve(dir, { netlifyToml: '[functions]\n  directory = "functions"\n' });
    const where = await (await fetch(`${inlined.url}/.netlify/functions/where`)).text();
    expect(where).not.toBe(siteModule);
    expect(where).toMatch(/where\.mjs$/);
  });

  it('lets an unresolvable require through the build when the production bundler (nft for v2) would, and it throws when it runs', async () => {
    const dir = await site({
      'functions/optional.mjs': `export default async () => {\n  try {\n    await import('not-installed-anywhere');\n    return new Response('loaded');\n  } catch (error) {\n    return new Response(error.code);\n  }\n};\n`,
      // A v1 .mjs function is bundled with esbuild in production, which fails on an import it cannot resolve.
      'functions/strict.mjs': `import missing from 'not-installed-anywhere';\nexport const handler = async () => ({ statusCode: 200, body: String(missing) });\n`,
    });
    const { running, url } = await serve(dir);
    expect(running.functions.find((f) => f.name === 'optional')?.error).toBeUndefined();
    expect(await (await fetch(`${url}/.netlify/functions/optional`)).text()).toBe('ERR_MODULE_NOT_FOUND');
    const strict = running.functions.find((f) => f.name === 'strict');
    expect(strict?.error?.code).toBe('BUNDLE_FAILED');
    expect(strict?.error?.message).toContain('Could not resolve "not-installed-anywhere"');
  });

  it('makes included_files readable at the same relative path as in the zip, and only those', async () => {
    const dir = await site({
      'content/data.json': '{"answer":42}',
      'content/secret.txt': 'not shipped',
      'functions/reader.mjs': `import { readFile } from 'node:fs/promises';\nimport path from 'node:path';\nexport default async (req) => {\n  const file = new URL(req.url).searchParams.get('file');\n  try {\n    return new Response(await readFile(path.join(import.meta.dirname, '..', 'content', file), 'utf8'));\n  } catch (error) {\n    return new Response(error.code, { status: 404 });\n  }\n};\n`,
    });
    const { running, url } = await serve(dir, { netlifyToml: '[functions]\n  directory = "functions"\n\n[functions."reader"]\n  included_files = ["content/*.json"]\n' });
    expect(running.functions[0]?.config?.includedFiles).toEqual(['content/*.json']);
    expect(await (await fetch(`${url}/.netlify/functions/reader?file=data.json`)).text()).toBe('{"answer":42}');
    const missing = await fetch(`${url}/.netlify/functions/reader?file=secret.txt`);
    expect([missing.status, await missing.text()]).toEqual([404, 'ENOENT']);

    // Editing an included file is a new version, as a deploy would be.
    await writeFile(path.join(dir, 'content/data.json'), '{"answer":43}');
    expect(await running.server.refresh()).toEqual(['reader']);
    expect(await (await fetch(`${url}/.netlify/functions/reader?file=data.json`)).text()).toBe('{"answer":43}');
  });
});

describe('routing by config', () => {
  it('serves config.path except excludedPath, only for config.method, and not at /.netlify/functions/<name>', async () => {
    const dir = await site({
      'functions/items.mjs': `export default async (req) => new Response(req.method + ' ' + new URL(req.url).pathname);\nexport const config = { path: '/items/*', excludedPath: '/items/private/*', method: ['get', 'POST'] };\n`,
    });
    const { url } = await serve(dir);
    expect(await (await fetch(`${url}/items/7`)).text()).toBe('GET /items/7');
    expect(await (await fetch(`${url}/items/7`, { method: 'POST' })).text()).toBe('POST /items/7');
    const put = await fetch(`${url}/items/7`, { method: 'PUT' });
    expect(put.status).toBe(404);
    expect(((await put.json()) as { error: { code: string } }).error.code).toBe('ROUTE_NOT_FOUND');
    expect((await fetch(`${url}/items/private/x`)).status).toBe(404);
    expect((await fetch(`${url}/.netlify/functions/items`)).status).toBe(404);
  });

  it('serves a function at /.netlify/builders/<name> too', async () => {
    const dir = await site({ 'functions/page.mjs': `export const handler = async (event) => ({ statusCode: 200, body: 'built ' + event.path });\n` });
    const { url } = await serve(dir);
    expect(await (await fetch(`${url}/.netlify/builders/page`)).text()).toBe('built /.netlify/builders/page');
  });

  it('enforces config.rateLimit on the clock: 429 over the limit, again allowed once the window slid past', async () => {
    const dir = await site({
      'functions/limited.mjs': `export default async () => new Response('in');\nexport const config = { path: '/limited', rateLimit: { windowLimit: 2, windowSize: 60, aggregateBy: ['ip'] } };\n`,
    });
    const { url, clock } = await serve(dir);
    expect((await fetch(`${url}/limited`)).status).toBe(200);
    clock.advance(30_000);
    expect((await fetch(`${url}/limited`)).status).toBe(200);
    const refused = await fetch(`${url}/limited`);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
    clock.advance(30_001); // the first request left the 60 s window
    expect(await (await fetch(`${url}/limited`)).text()).toBe('in');
    expect((await fetch(`${url}/limited`)).status).toBe(429);
  });

  it('rewrites to `to` over the limit when the rule says so', async () => {
    const dir = await site({
      'functions/busy.mjs': `export default async () => new Response('busy-fn');\nexport const config = { path: '/busy', rateLimit: { windowLimit: 1, windowSize: 10, action: 'rewrite', to: '/too-busy' } };\n`,
      'functions/too-busy.mjs': `export default async (req) => new Response('sorry at ' + new URL(req.url).pathname);\nexport const config = { path: '/too-busy' };\n`,
    });
    const { url } = await serve(dir);
    expect(await (await fetch(`${url}/busy`)).text()).toBe('busy-fn');
    expect(await (await fetch(`${url}/busy`)).text()).toBe('sorry at /busy');
  });

  it('answers a background function (config.background or -background) with 202 at once', async () => {
    const dir = await site({
      'functions/sync-looking.mjs': `export default async () => new Response('never seen');\nexport const config = { background: true };\n`,
      'functions/work-background.mjs': `export const handler = async () => ({ statusCode: 200, body: 'never seen' });\n`,
    });
    const { url } = await serve(dir);
    for (const name of ['sync-looking', 'work-background']) {
      const res = await fetch(`${url}/.netlify/functions/${name}`);
      expect([res.status, await res.text()]).toEqual([202, '']);
    }
  });
});

describe('a v1 background function', () => {
  it('answers 202 while its handler is still running, and runs to the end', async () => {
    const gate = await startGate();
    const dir = await site({
      'functions/slow-background.mjs': `export const handler = async (event) => {\n  await fetch(event.queryStringParameters.gate);\n  console.log('background done');\n  return { statusCode: 200 };\n};\n`,
    });
    const { url, log } = await serve(dir);
    const res = await fetch(`${url}/.netlify/functions/slow-background?gate=${encodeURIComponent(gate.url)}`);
    expect(res.status).toBe(202);
    await gate.arrived(1);
    expect(log.matching(/^END RequestId/)).toEqual([]);
    gate.release();
    await log.waitFor(/^END RequestId/);
  });
});

describe('config.memory', () => {
  it("sizes the function's containers (the REPORT line's Memory Size)", async () => {
    const dir = await site({
      'functions/big.mjs': `export default async () => new Response('big');\nexport const config = { memory: '2gb' };\n`,
      'functions/small.mjs': ok,
    });
    const { url, log } = await serve(dir);
    expect(await (await fetch(`${url}/.netlify/functions/big`)).text()).toBe('big');
    await log.waitFor(/^REPORT .*Memory Size: 2048 MB/);
    expect(await (await fetch(`${url}/.netlify/functions/small`)).text()).toBe('ok');
    await log.waitFor(/^REPORT .*Memory Size: 1024 MB/);
  });
});

describe('scheduled functions', () => {
  const scheduledSite = async (): Promise<{ dir: string; received: string }> => {
    const received = path.join(await tempDir('scheduled-out-'), 'body.json');
    const dir = await site({
      'functions/nightly.mjs': `import { writeFile } from 'node:fs/promises';\nexport default async (req) => {\n  await writeFile(${JSON.stringify(received)}, JSON.stringify({ method: req.method, agent: req.headers.get('user-agent'), body: await req.json() }));\n};\nexport const config = { schedule: '0 3 * * *' };\n`,
    });
    return { dir, received };
  };

  it('called over HTTP, runs with next_run and answers as netlify dev does', async () => {
    const { dir, received } = await scheduledSite();
    const { url } = await serve(dir);
    const res = await fetch(`${url}/.netlify/functions/nightly`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await res.text()).toContain("which is a scheduled function.\nYou can do this to test your functions locally, but it won't work in production.");
    // The manual clock starts at 2026-01-01T00:00:00Z: the next 03:00 UTC.
    expect(JSON.parse(await readFile(received, 'utf8'))).toEqual({ method: 'POST', agent: 'Netlify Clockwork', body: { next_run: '2026-01-01T03:00:00.000Z' } });

    // What `netlify functions:invoke nightly` sends: the Clockwork user agent, and no note.
    const invoked = await fetch(`${url}/.netlify/functions/nightly`, { method: 'POST', headers: { 'user-agent': 'Netlify Clockwork' }, body: '{}' });
    expect([invoked.status, await invoked.text()]).toEqual([200, '']);
  });

  it("takes a v1 function's schedule() helper cron as its schedule", async () => {
    const dir = await site({
      'node_modules/@netlify/functions/package.json': JSON.stringify({ name: '@netlify/functions', version: '6.0.0', type: 'module', main: 'index.js' }),
      'node_modules/@netlify/functions/index.js': 'export const schedule = (cron, handler) => handler;\n',
      'functions/hourly.mjs': `import { schedule } from '@netlify/functions';\nexport const handler = schedule('@hourly', async (event) => ({ statusCode: 200, body: event.body }));\n`,
    });
    const { running, url } = await serve(dir);
    expect(running.functions[0]?.config?.schedule).toBe('@hourly');
    const res = await fetch(`${url}/.netlify/functions/hourly`);
    expect(await res.text()).toContain('which is a scheduled function');
  });

  it('with runSchedules, runs on the clock', async () => {
    const { dir, received } = await scheduledSite();
    const { running, clock, log } = await serve(dir, { runSchedules: true });
    expect(running.server.scheduledFunctions).toEqual(['nightly']);
    clock.advance(3 * 3_600_000);
    await log.waitFor(/\[nightly\] scheduled run/);
    await log.waitFor(/^END RequestId/);
    expect(JSON.parse(await readFile(received, 'utf8'))).toEqual({ method: 'POST', agent: 'Netlify Clockwork', body: { next_run: '2026-01-02T03:00:00.000Z' } });
  });
});
