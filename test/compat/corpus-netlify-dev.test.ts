/**
 * The third-party corpus (corpus-cases.ts), every request sent once, in order, through the real local
 * server (one site served as `serve --site` serves it) and to `netlify functions:serve --offline`
 * (netlify-cli from node_modules, one process for the whole corpus):
 * - on the simulator, each request gets the answer production gives;
 * - side by side, where the two should agree, status, body and the compared headers must be equal;
 *   where a case names a documented difference, they must still differ (so the docs stay true).
 * One file for both, so the simulator side (46 functions bundled, their containers started) runs once.
 * Should netlify-cli fail to start, only the side-by-side tests fail.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/sim/index.ts';
import { startLocalServer, type RunningLocalServer } from '../../src/server/start.ts';
import { resolveSite } from '../../src/site/site.ts';
import { LogCollector, repoRoot } from '../server/helpers.ts';
import { CORPUS_CASES, CORPUS_SITE, expectProductionAnswer, observe, type Observed } from './corpus-cases.ts';
import { freePort } from '../../bench/proc.ts';

/** What is compared: the server's own address already reads `<origin>`. */
function comparable(seen: Observed, view: ((body: string) => unknown) | undefined): unknown {
  return { status: seen.status, body: view && seen.status === 200 ? view(seen.body) : seen.body, headers: seen.headers, setCookies: seen.setCookies };
}

describe('the third-party corpus', () => {
  let child: ChildProcess;
  let exited: Promise<unknown>;
  let running: RunningLocalServer;
  let blobsDirectory: string;
  const log = new LogCollector();
  const pairs = new Map<string, { ours: Observed; theirs: Observed | undefined }>();
  /** Why netlify functions:serve gave no answers (it did not start), if it did not. */
  let theirsFailed: unknown;
  const ours = (name: string): Observed | undefined => pairs.get(name)?.ours;

  beforeAll(async () => {
    const port = await freePort();
    const functionCount = (await readdir(path.join(CORPUS_SITE, 'netlify', 'functions'))).length;
    const cli = path.join(repoRoot, 'node_modules', 'netlify-cli', 'bin', 'run.js');
    // netlify-cli keeps its Blobs sandbox and builds under the site's .netlify; start it empty so the
    // Blobs counter starts at zero on both sides.
    await rm(path.join(CORPUS_SITE, '.netlify'), { recursive: true, force: true });
    child = spawn(process.execPath, [cli, 'functions:serve', '--offline', '--port', String(port), '--functions', 'netlify/functions'], {
      cwd: CORPUS_SITE,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, BROWSER: 'none' },
    });
    exited = once(child, 'exit');
    // The simulator side starts while netlify-cli boots (about two seconds): neither needs the other
    // until the requests, and starting one after the other made the file that much longer.
    blobsDirectory = await mkdtemp(path.join(tmpdir(), 'corpus-blobs-'));
    const oursStarted = resolveSite(CORPUS_SITE).then((site) =>
      startLocalServer({ site, port: 0, clock: new ManualClock(), logger: log, blobsDirectory }),
    );
    let output = '';
    const theirsReady = new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        // Ready, and every function built (netlify-cli logs one line per function as it loads it).
        if (output.includes('server ready') && output.split('Loaded function').length - 1 >= functionCount) resolve();
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      void exited.then(() => reject(new Error(`netlify functions:serve exited before it was ready:\n${output}`)));
    });
    // Both settle before either failure is handled, so afterAll stops our server even when netlify-cli failed.
    const [ourSide, theirSide] = await Promise.allSettled([oursStarted, theirsReady]);
    if (ourSide.status === 'fulfilled') running = ourSide.value;
    await oursStarted;
    if (theirSide.status === 'rejected') theirsFailed = theirSide.reason;
    const theirs = `http://127.0.0.1:${port}`;
    // In order, once each: the rate limit and the Blobs counter depend on the requests before them.
    for (const testCase of CORPUS_CASES) {
      const [a, b] = await Promise.all([observe(running.url, testCase.request), theirsFailed === undefined ? observe(theirs, testCase.request) : undefined]);
      pairs.set(testCase.name, { ours: a, theirs: b });
    }
  }, 120_000);

  afterAll(async () => {
    await running?.destroy();
    if (blobsDirectory) await rm(blobsDirectory, { recursive: true, force: true });
    if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    process.kill(-child.pid, 'SIGTERM');
    await exited;
  }, 30_000);

  describe('on the simulator', () => {
    for (const testCase of CORPUS_CASES) {
      it(testCase.name, () => {
        const answer = ours(testCase.name);
        if (!answer) throw new Error(`no answer for ${testCase.name}`);
        expectProductionAnswer(testCase, answer);
      });
    }

    it('gives v1 events the fields production sets, connectLambda\'s blobs among them', () => {
      const get = ours(CORPUS_CASES[0]?.name ?? '');
      const post = ours(CORPUS_CASES[1]?.name ?? '');
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
      const pixel = ours('a base64 PNG');
      expect(pixel?.bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      expect(JSON.parse(ours('a function that does not exist')?.body ?? '{}')).toMatchObject({ error: { code: 'FUNCTION_NOT_FOUND' } });
      expect(JSON.parse(ours('excludedPath')?.body ?? '{}')).toMatchObject({ error: { code: 'ROUTE_NOT_FOUND' } });
      expect(JSON.parse(ours('config.rateLimit: third request in the window')?.body ?? '{}')).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    });

    it('builds every corpus function, and warns only about the callback handlers production refuses', () => {
      expect(running.functions).toHaveLength(46);
      expect(running.functions.filter((info) => info.error !== undefined).map((info) => info.name)).toEqual([]);
      const warned = new Set(log.matching(/^WARN .*refuses callback handlers/).map((line) => /^WARN \[(\S+)/.exec(line)?.[1]));
      expect([...warned].sort()).toEqual(['legacy-callback', 'og-page']);
    });
  });

  describe('under netlify functions:serve and the simulator', () => {
    for (const testCase of CORPUS_CASES) {
      const differs = testCase.netlifyDev?.differs;
      it(differs ? `${testCase.name}: differs, as ${differs} says` : `${testCase.name}: the same answer`, () => {
        if (theirsFailed !== undefined) throw theirsFailed;
        const pair = pairs.get(testCase.name);
        if (!pair?.theirs) throw new Error(`no answers for ${testCase.name}`);
        const ours = comparable(pair.ours, testCase.view);
        const theirs = comparable(pair.theirs, testCase.view);
        if (differs) expect(ours).not.toEqual(theirs);
        else expect(ours).toEqual(theirs);
      });
    }
  });
});
