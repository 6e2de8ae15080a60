/**
 * Callback handlers `(event, context, callback)`. AWS's nodejs24.x runtime, Netlify's default, refuses
 * them at init (Runtime.CallbackHandlerDeprecated); Node 22 and older run them with Lambda's callback
 * semantics. The simulator answers for the Node version the site targets.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import path from 'node:path';
import { ManualClock, Simulator } from '../../src/sim/index.ts';
import { startGate } from '../server/helpers.ts';
import { COMPAT_FIXTURES, fn, sharedSite } from './helpers.ts';

describe('on Node 24 (Netlify\'s default)', () => {
  // One server for the block: each test calls its own functions (see sharedSite).
  const site = sharedSite('esm-site');

  it('a callback handler fails every request with Runtime.CallbackHandlerDeprecated, and a WARN says why and how to fix it', async () => {
    const { url, log } = site();
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const res = await fetch(fn(url, 'callback-handler'));
      expect(res.status).toBe(502);
      const body = (await res.json()) as { errorType: string; errorMessage: string };
      expect(body.errorType).toBe('Runtime.CallbackHandlerDeprecated');
      expect(body.errorMessage).toContain('removed support for callback-based function handlers starting with Node.js 24');
    }
    const warning = await log.waitFor(/callback-handler: its handler declares \(event, context, callback\)/);
    expect(warning).toMatch(/^WARN /);
    expect(warning).toContain('make the handler async');
    expect(warning).toContain('AWS_LAMBDA_JS_RUNTIME=nodejs22.x');
  });

  it('builder() from @netlify/functions wraps the handler in a three-parameter function, so it fails the same way', async () => {
    const { url } = site();
    const res = await fetch(fn(url, 'builder-fn'));
    expect(res.status).toBe(502);
    expect(((await res.json()) as { errorType: string }).errorType).toBe('Runtime.CallbackHandlerDeprecated');
  });
});

describe('on Node 22 (nodeVersionMajor: 22, as AWS_LAMBDA_JS_RUNTIME=nodejs22.x selects)', () => {
  // One server for the block: each test calls its own functions (see sharedSite).
  const site = sharedSite('cjs-site', { simulator: { nodeVersionMajor: 22 } });

  it('runs callback(null, result), callback(error) and context.succeed as Lambda does, and warns that Node 24 will refuse them', async () => {
    const { url, log } = site();
    const ok = await fetch(fn(url, 'callback-handler'));
    expect([ok.status, await ok.text()]).toEqual([200, 'callback ok, waits: true']);
    const failed = await fetch(fn(url, 'callback-error'));
    expect([failed.status, await failed.json()]).toEqual([502, { errorType: 'Error', errorMessage: 'callback said no' }]);
    const succeeded = await fetch(fn(url, 'context-succeed'));
    expect([succeeded.status, await succeeded.text()]).toEqual([200, 'context.succeed']);
    expect(await log.waitFor(/callback-handler: callback-based handler/)).toContain('removed callback handlers from Node.js 24');
  });

  it('builder() answers with its metadata, and the answer is marked as a builder\'s', async () => {
    const { url, running } = site();
    const res = await fetch(fn(url, 'builder-fn'));
    expect([res.status, await res.text()]).toEqual([200, 'built on demand']);
    const invoked = await running.server.simulator.invokeBuffered('builder-fn', { method: 'GET', url: `${url}/.netlify/builders/builder-fn`, headers: [], body: null });
    expect(invoked.response).toMatchObject({ kind: 'buffered', status: 200, builder: true });
    // builder() refuses anything but GET and HEAD, in the wrapper itself.
    const post = await fetch(fn(url, 'builder-fn'), { method: 'POST', body: 'x' });
    expect([post.status, await post.text()]).toEqual([405, 'Method Not Allowed']);
  });

  it('callbackWaitsForEmptyEventLoop: the answer waits for the request left in flight; set to false, it goes out at once', async () => {
    const { url } = site();
    // Default (true): not answered while the outbound request the handler started is held.
    const held = await startGate();
    let answered = false;
    const waiting = fetch(fn(url, 'callback-waits', `?target=${encodeURIComponent(held.url)}`)).then(async (res) => {
      answered = true;
      return [res.status, await res.text()];
    });
    await held.arrived(1);
    expect(answered).toBe(false);
    held.release();
    expect(await waiting).toEqual([200, 'answered']);
    // false: answered at once, although this gate never lets the handler's request finish (it is frozen in flight).
    const never = await startGate();
    const early = await fetch(fn(url, 'callback-waits', `?target=${encodeURIComponent(never.url)}&wait=no`));
    expect([early.status, await early.text()]).toEqual([200, 'answered']);
  });
});

describe('the target Node version', () => {
  it('comes from AWS_LAMBDA_JS_RUNTIME in the site environment when no option sets it', async () => {
    const functionsDir = path.join(COMPAT_FIXTURES, 'cjs-site', 'functions');
    const node22 = new Simulator({ functionsDir, clock: new ManualClock(), env: { AWS_LAMBDA_JS_RUNTIME: 'nodejs22.x' } });
    const node24 = new Simulator({ functionsDir, clock: new ManualClock() });
    onTestFinished(() => Promise.all([node22.destroy(), node24.destroy()]).then(() => undefined));
    const on22 = await node22.invoke('callback-handler', new Request('http://localhost/.netlify/functions/callback-handler'));
    expect([on22.response.status, await on22.response.text()]).toEqual([200, 'callback ok, waits: true']);
    const on24 = await node24.invoke('callback-handler', new Request('http://localhost/.netlify/functions/callback-handler'));
    expect(on24.response.status).toBe(502);
    expect(((await on24.response.json()) as { errorType: string }).errorType).toBe('Runtime.CallbackHandlerDeprecated');
  });
});
