/**
 * Failures answered as production answers them: 502 with `{"errorType", "errorMessage"}` for an
 * uncaught exception or a result that is not a response (docs/handlers.md lists the sources and what
 * differs: production adds a `trace`, netlify dev answers 500 with text).
 */
import { describe, expect, it } from 'vitest';
import { fn, sharedSite } from './helpers.ts';

async function errorOf(res: Response): Promise<{ status: number; body: Record<string, unknown> }> {
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('errors', () => {
  // One server for the block: each test calls its own functions (see sharedSite); the START lines
  // counted below are v1-throws', which only the first test calls.
  const site = sharedSite('esm-site');

  it('an uncaught exception in a v1 or v2 handler: 502 with its type and message, no stack, and the container stays warm', async () => {
    const { url, log } = site();
    const v1 = await errorOf(await fetch(fn(url, 'v1-throws')));
    expect(v1).toEqual({ status: 502, body: { errorType: 'TypeError', errorMessage: 'v1 went wrong' } });
    const v2 = await errorOf(await fetch(fn(url, 'v2-throws')));
    expect(v2).toEqual({ status: 502, body: { errorType: 'RangeError', errorMessage: 'v2 went wrong' } });
    // The stack is in the log, for the developer.
    await log.waitFor(/RangeError: v2 went wrong/);
    // A handler error does not cost the container: the next request is served warm by the same one.
    const again = await fetch(fn(url, 'v1-throws'));
    expect(again.status).toBe(502);
    await again.body?.cancel();
    const starts = log.matching(/^START .* Function: v1-throws /);
    expect(starts).toHaveLength(2);
    expect(starts[0]).toMatch(/\(cold\)$/);
    expect(starts[1]).not.toMatch(/\(cold\)$/);
  });

  it('a v1 result that is not an object, or has no numeric statusCode: Runtime.InvalidResponse', async () => {
    const { url } = site();
    const notObject = await errorOf(await fetch(fn(url, 'v1-string-result')));
    expect(notObject).toMatchObject({ status: 502, body: { errorType: 'Runtime.InvalidResponse' } });
    const badStatus = await errorOf(await fetch(fn(url, 'v1-bad-status')));
    expect(badStatus).toEqual({
      status: 502,
      body: { errorType: 'Runtime.InvalidResponse', errorMessage: 'Your function response must have a numerical statusCode between 200 and 599.' },
    });
  });

  it('a v2 handler returning something other than a Response fails with production\'s message; undefined is an empty 204', async () => {
    const { url } = site();
    const bad = await errorOf(await fetch(fn(url, 'v2-object-return')));
    expect(bad).toEqual({
      status: 502,
      body: { errorType: 'NetlifyUserError', errorMessage: "Function returned an unsupported value. Accepted types are 'Response' or 'undefined'" },
    });
    const empty = await fetch(fn(url, 'v2-undefined'));
    expect([empty.status, await empty.text()]).toEqual([204, '']);
  });
});
