/**
 * One side of the RSS-per-container measurement, in a process of its own so that neither side's memory
 * is left in the other's figure: `node --expose-gc bench/rss-per-container-probe.ts <containers|workers>
 * <functionsDir> <functionName> <count> <cacheDir>`. Prints one JSON line ({@link ProbeOutput}).
 *
 * Both sides first do the same: load the simulator, bundle the function through it, and read the
 * process's RSS once it is quiet (the baseline). Then either
 * - `containers`: `count` concurrent invocations, which start `count` containers (each a worker thread
 *   that imports the bundle, answers, and freezes in `Atomics.wait`), or
 * - `workers`: `count` bare worker threads that import the very same bundle file, call its handler once,
 *   and stay alive idle;
 * and read RSS again. The increment over the baseline, divided by `count`, is what one more warm
 * container costs a developer's machine.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Simulator } from '../src/sim/index.ts';
import { parseVmRssBytes } from './stats.ts';
import { readFileSync } from 'node:fs';
import type { ProbeMode, ProbeOutput } from './rss-per-container.ts';

const [modeArg, functionsDir, functionName, countArg, cacheDir] = process.argv.slice(2);
const mode: ProbeMode = modeArg === 'workers' ? 'workers' : 'containers';
const count = Number(countArg);
if (!functionsDir || !functionName || !cacheDir || !Number.isInteger(count) || count < 1) {
  process.stderr.write('usage: rss-per-container-probe.ts <containers|workers> <functionsDir> <functionName> <count> <cacheDir>\n');
  process.exit(2);
}

function rssBytes(): number {
  const rss = parseVmRssBytes(readFileSync('/proc/self/status', 'utf8'));
  if (rss === null) throw new Error('no VmRSS in /proc/self/status');
  return rss;
}

/** Collects garbage on the main thread and lets freed pages and finished threads settle before a reading. */
async function quietRss(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await delay(100);
  }
  await delay(300);
  return rssBytes();
}

/** The deploy directory's bundle file for `hash` (`<cacheDir>/<name>-<hash>/…/<name>.mjs`). */
function bundleFile(hash: string): string {
  const deployDir = join(cacheDir as string, `${functionName}-${hash}`);
  const match = readdirSync(deployDir, { recursive: true, encoding: 'utf8' }).find((entry) => entry.endsWith(`${functionName}.mjs`));
  if (!match) throw new Error(`no ${functionName}.mjs under ${deployDir}`);
  return join(deployDir, match);
}

// A bare worker: import the bundle, call its handler once (v1 or v2), report, then stay alive idle.
const BARE_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.url).then(async (mod) => {
  const handler = mod.handler ?? mod.default;
  if (mod.handler) await mod.handler({ httpMethod: 'GET', path: '/', rawUrl: 'http://localhost/', rawQuery: '', headers: {}, multiValueHeaders: {}, queryStringParameters: {}, multiValueQueryStringParameters: {}, body: null, isBase64Encoded: false }, { functionName: workerData.name });
  else await (await handler(new Request('http://localhost/'), {})).text();
  parentPort.postMessage('ready');
  parentPort.on('message', () => {});
});
`;

const simulator = new Simulator({ functionsDir, cacheDir, idleTimeoutMs: 600_000 });
const output: ProbeOutput = { mode, count, baselineBytes: 0, afterBytes: 0, started: 0, bundleBytes: 0 };
try {
  const info = (await simulator.functions()).find((candidate) => candidate.name === functionName);
  if (!info) throw new Error(`no function ${functionName} in ${functionsDir}`);
  const file = bundleFile(info.bundleHash);
  output.bundleBytes = info.bundleBytes;
  output.baselineBytes = await quietRss();
  if (mode === 'containers') {
    const url = `http://localhost/.netlify/functions/${functionName}`;
    // Dispatched in one turn: each finds no idle container (the others are still starting) and starts its own.
    const results = await Promise.all(Array.from({ length: count }, () => simulator.invoke(functionName, new Request(url))));
    await Promise.all(results.map(async (result) => {
      await result.response.arrayBuffer();
      await result.done;
    }));
    output.started = simulator.containers().filter((container) => container.functionName === functionName && container.state !== 'stopped').length;
    output.afterBytes = await quietRss();
  } else {
    const workers = Array.from({ length: count }, () => new Worker(BARE_WORKER, { eval: true, workerData: { url: pathToFileURL(file).href, name: functionName } }));
    await Promise.all(workers.map((worker) => new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    })));
    output.started = workers.length;
    output.afterBytes = await quietRss();
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
  process.stdout.write(`${JSON.stringify(output)}\n`);
} finally {
  await simulator.close();
}
