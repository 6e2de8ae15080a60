/**
 * The third-party corpus (corpus-cases.ts) through the real local server, one site served as
 * `serve --site` serves it: each request gets the answer production gives.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/sim/index.ts';
import { startLocalServer, type RunningLocalServer } from '../../src/server/start.ts';
import { resolveSite } from '../../src/site/site.ts';
import { LogCollector } from '../server/helpers.ts';
import { CORPUS_CASES, CORPUS_SITE, expectProductionAnswer, observe, type Observed } from './corpus-cases.ts';

describe('the third-party corpus on the simulator', () => {
  let running: RunningLocalServer;
  let blobsDirectory: string;
  const log = new LogCollector();
  const seen = new Map<string, Observed>();

  beforeAll(async () => {
    blobsDirectory = await mkdtemp(path.join(tmpdir(), 'corpus-blobs-'));
    const site = await resolveSite(CORPUS_SITE);
    running = await startLocalServer({ site, port: 0, clock: new ManualClock(), logger: log, blobsDirectory });
    // In order, once each: the rate limit and the Blobs counter depend on the requests before them.
    for (const testCase of CORPUS_CASES) seen.set(testCase.name, await observe(running.url, testCase.request));
  }, 60_000);

  afterAll(async () => {
    await running?.destroy();
    if (blobsDirectory) await rm(blobsDirectory, { recursive: true, force: true });
  });

  for (const testCase of CORPUS_CASES) {
    it(testCase.name, () => {
      const answer = seen.get(testCase.name);
      if (!answer) throw new Error(`no answer for ${testCase.name}`);
      expectProductionAnswer(testCase, answer);
    });
  }

  it('gives v1 events the fields production sets, connectLambda\'s blobs among them', () => {
    const get = seen.get(CORPUS_CASES[0]?.name ?? '');
    const post = seen.get(CORPUS_CASES[1]?.name ?? '');
    if (!get || !post) throw new Error('no echo answers');
    expect(CORPUS_CASES[0]?.view?.(get.body)).toEqual({
      httpMethod: 'GET',
      path: '/.netlify/functions/echo',
      queryStringParameters: { a: '1, 2', b: 'two' },
      multiValueQueryStringParameters: { a: ['1', '2'], b: ['two'] },
      body: null,
      isBase64Encoded: false,
      rawQuery: 'a=1&a=2&b=two',
      headers: expect.objectContaining({ 'client-ip': '127.0.0.1', 'x-nf-client-connection-ip': '127.0.0.1' }),
      blobs: 'string',
    });
    expect(CORPUS_CASES[1]?.view?.(post.body)).toMatchObject({ httpMethod: 'POST', body: '{"x":1}', isBase64Encoded: false, queryStringParameters: {} });
  });

  it('answers the PNG bytes the function encoded, and 404s in its JSON error shape', () => {
    const pixel = seen.get('a base64 PNG');
    expect(pixel?.bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(JSON.parse(seen.get('a function that does not exist')?.body ?? '{}')).toMatchObject({ error: { code: 'FUNCTION_NOT_FOUND' } });
    expect(JSON.parse(seen.get('excludedPath')?.body ?? '{}')).toMatchObject({ error: { code: 'ROUTE_NOT_FOUND' } });
    expect(JSON.parse(seen.get('config.rateLimit: third request in the window')?.body ?? '{}')).toMatchObject({ error: { code: 'RATE_LIMITED' } });
  });

  it('builds every corpus function, and warns only about the callback handlers production refuses', () => {
    expect(running.functions).toHaveLength(46);
    expect(running.functions.filter((info) => info.error !== undefined).map((info) => info.name)).toEqual([]);
    const warned = new Set(log.matching(/^WARN .*refuses callback handlers/).map((line) => /^WARN \[(\S+)/.exec(line)?.[1]));
    expect([...warned].sort()).toEqual(['legacy-callback', 'og-page']);
  });
});
