import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, startTestServer } from './helpers.ts';

const routedSite = path.join(repoRoot, 'test', 'server', 'fixtures', 'routed-site');

describe("npm start routes a v2 function's config.path, as Netlify does", () => {
  it('serves it at each of its paths, including a named segment, and no longer at /.netlify/functions/<name>', async () => {
    const { url } = await startTestServer({ rootDir: routedSite });
    const first = await fetch(`${url}/hello`);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ invocations: 1 });
    const second = await fetch(`${url}/hello/ada`);
    expect(await second.json()).toEqual({ invocations: 2 });
    const old = await fetch(`${url}/.netlify/functions/routed`);
    expect(old.status).toBe(404);
    expect(await old.json()).toMatchObject({ error: { code: 'FUNCTION_NOT_FOUND' } });
  });
});
