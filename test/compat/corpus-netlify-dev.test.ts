/**
 * The third-party corpus side by side: every request of corpus-cases.ts goes to `netlify functions:serve
 * --offline` (netlify-cli from node_modules, one process for the whole corpus) and to the simulator, in
 * the same order. Where the two should agree, status, body and the compared headers must be equal;
 * where a case names a documented difference, they must still differ (so the docs stay true).
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
import { CORPUS_CASES, CORPUS_SITE, observe, type Observed } from './corpus-cases.ts';
import { freePort } from '../../bench/proc.ts';

/** What is compared: the server's own address already reads `<origin>`. */
function comparable(seen: Observed, view: ((body: string) => unknown) | undefined): unknown {
  return { status: seen.status, body: view && seen.status === 200 ? view(seen.body) : seen.body, headers: seen.headers, setCookies: seen.setCookies };
}

describe('the third-party corpus under netlify functions:serve and the simulator', () => {
  let child: ChildProcess;
  let exited: Promise<unknown>;
  let running: RunningLocalServer;
  let blobsDirectory: string;
  const pairs = new Map<string, { ours: Observed; theirs: Observed }>();

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
      startLocalServer({ site, port: 0, clock: new ManualClock(), logger: new LogCollector(), blobsDirectory }),
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
    // Both settle before either failure is thrown, so afterAll stops our server even when netlify-cli failed.
    const [ourSide] = await Promise.allSettled([oursStarted, theirsReady]);
    if (ourSide.status === 'fulfilled') running = ourSide.value;
    await theirsReady;
    await oursStarted;
    const ours = running.url;
    const theirs = `http://127.0.0.1:${port}`;
    for (const testCase of CORPUS_CASES) {
      const [a, b] = await Promise.all([observe(ours, testCase.request), observe(theirs, testCase.request)]);
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

  for (const testCase of CORPUS_CASES) {
    const differs = testCase.netlifyDev?.differs;
    it(differs ? `${testCase.name}: differs, as ${differs} says` : `${testCase.name}: the same answer`, () => {
      const pair = pairs.get(testCase.name);
      if (!pair) throw new Error(`no answers for ${testCase.name}`);
      const ours = comparable(pair.ours, testCase.view);
      const theirs = comparable(pair.theirs, testCase.view);
      if (differs) expect(ours).not.toEqual(theirs);
      else expect(ours).toEqual(theirs);
    });
  }
});
