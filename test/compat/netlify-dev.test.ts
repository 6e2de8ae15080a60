/**
 * Side by side with `netlify functions:serve --offline` (netlify-cli, run from node_modules), for the
 * answers where netlify dev agrees with production: the handler styles it serves, the v1 event's platform
 * headers and clientContext, and the v2 cookies and geo. Where the two differ from each other (error
 * bodies, callback handlers on Node 24), docs/handlers.md says which one production agrees with.
 * One netlify-cli process for the whole file: it takes seconds to start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../server/helpers.ts';
import { COMPAT_FIXTURES, fn, startSite } from './helpers.ts';
import { freePort } from '../../bench/proc.ts';

const SITE_DIR = path.join(COMPAT_FIXTURES, 'esm-site');

function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}.unchecked`;
}

describe('the same site under netlify functions:serve and the simulator', () => {
  let child: ChildProcess;
  let exited: Promise<unknown>;
  let netlifyUrl = '';

  beforeAll(async () => {
    const port = await freePort();
    const cli = path.join(repoRoot, 'node_modules', 'netlify-cli', 'bin', 'run.js');
    child = spawn(process.execPath, [cli, 'functions:serve', '--offline', '--port', String(port), '--functions', 'functions'], {
      cwd: SITE_DIR,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, BROWSER: 'none' },
    });
    exited = once(child, 'exit');
    netlifyUrl = `http://localhost:${port}`;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        if (output.includes('server ready')) resolve();
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      void exited.then(() => reject(new Error(`netlify functions:serve exited before it was ready:\n${output}`)));
    });
  }, 120_000);

  afterAll(async () => {
    if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    process.kill(-child.pid, 'SIGTERM');
    await exited;
  }, 30_000);

  it('both serve every handler style with the same status and body', async () => {
    const { url } = await startSite('esm-site');
    const cases: Array<[string, RequestInit?]> = [
      ['cjs-module-exports'],
      ['esm-handler'],
      ['cts-handler'],
      ['ts-handler', { method: 'POST', body: 'x' }],
      ['mts-v2', { method: 'PUT', body: 'x' }],
      ['v2-fetch-object'],
      ['v2-undefined'],
      ['streamed'],
    ];
    for (const [name, init] of cases) {
      const [ours, theirs] = await Promise.all([fetch(fn(url, name), init), fetch(fn(netlifyUrl, name), init)]);
      expect({ name, status: ours.status, body: await ours.text() }).toEqual({ name, status: theirs.status, body: await theirs.text() });
    }
    // Both refuse a default-exported object without fetch (netlify dev runs production's v2 bootstrap).
    const [ours, theirs] = await Promise.all([fetch(fn(url, 'default-object-handler')), fetch(fn(netlifyUrl, 'default-object-handler'))]);
    expect([ours.ok, theirs.ok]).toEqual([false, false]);
    await Promise.all([ours.body?.cancel(), theirs.body?.cancel()]);
  });

  it('both give a v1 handler the same platform headers, query fields and Identity clientContext', async () => {
    const { url } = await startSite('esm-site');
    const claims = { sub: 'user-1', email: 'ada@example.com' };
    const init = { headers: { authorization: `Bearer ${jwt(claims)}` } };
    const [ours, theirs] = await Promise.all(
      [url, netlifyUrl].map(async (base) => (await (await fetch(fn(base, 'cjs-exports-handler', '?a=1&a=2&b=x'), init)).json()) as {
        event: { headers: Record<string, string>; rawQuery: string; queryStringParameters: unknown; multiValueQueryStringParameters: unknown };
        clientContext: { user: unknown; custom: unknown };
      }),
    );
    if (!ours || !theirs) throw new Error('no answer');
    for (const name of ['client-ip', 'x-nf-client-connection-ip', 'x-nf-site-id', 'x-nf-geo']) {
      expect({ name, value: ours.event.headers[name] }).toEqual({ name, value: theirs.event.headers[name] });
    }
    expect(ours.event.rawQuery).toBe(theirs.event.rawQuery);
    expect(ours.event.queryStringParameters).toEqual(theirs.event.queryStringParameters);
    expect(ours.event.multiValueQueryStringParameters).toEqual(theirs.event.multiValueQueryStringParameters);
    expect(ours.clientContext.user).toEqual(theirs.clientContext.user);
    expect(Object.keys(ours.clientContext).sort()).toEqual(Object.keys(theirs.clientContext).sort());
  });

  it('both turn v2 cookies into the same Set-Cookie headers and give the same default geo', async () => {
    const { url } = await startSite('esm-site');
    const init = { headers: { cookie: 'theme=dark' } };
    const [ours, theirs] = await Promise.all([fetch(fn(url, 'v2-context'), init), fetch(fn(netlifyUrl, 'v2-context'), init)]);
    expect(ours.headers.getSetCookie()).toEqual(theirs.headers.getSetCookie());
    const [ourBody, theirBody] = (await Promise.all([ours.json(), theirs.json()])) as Array<{ geo: unknown; cookie: string; ip: string; params: unknown }>;
    expect(ourBody?.geo).toEqual(theirBody?.geo);
    expect([ourBody?.cookie, ourBody?.ip, ourBody?.params]).toEqual([theirBody?.cookie, theirBody?.ip, theirBody?.params]);
  });
});
