/**
 * Measures the simulator against its two floors (not a test: run it by hand, on a quiet machine).
 *   node test/sim/measure.ts [function-name]      (default hello-world)
 * - warm overhead: a warm invocation (Request in, body read, container frozen again) minus calling the
 *   same bundled handler directly in this thread;
 * - cold start: reap, then invoke, against a bare Worker that imports the same bundle and posts once.
 * Prints one JSON line of medians in milliseconds.
 */
import { writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ManualClock, Simulator } from '../../src/sim/index.ts';

const WARM_RUNS = 3000;
const COLD_RUNS = 30;
const name = process.argv[2] ?? 'hello-world';
const cacheDir = path.join(os.tmpdir(), 'stateful-serverless-sim');

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const clock = new ManualClock();
const sim = new Simulator({ functionsDir: path.resolve(import.meta.dirname, '../../functions'), clock, cacheDir });
const info = (await sim.functions()).find((f) => f.name === name);
if (!info) throw new Error(`no function ${name}`);
// Each bundle version has a directory laid out like its zip (bundler.ts): find the function's file in it.
const deployDir = path.join(cacheDir, `${name}-${info.bundleHash}`);
const bundleFile = (await readdir(deployDir, { recursive: true })).find((f) => path.basename(f) === `${name}.mjs`);
if (!bundleFile) throw new Error('bundle not in cache');
const bundleUrl = pathToFileURL(path.join(deployDir, bundleFile)).href;
const request = (): Request => new Request(`http://localhost/.netlify/functions/${name}`);

await (await sim.invoke(name, request())).done;
const warm: number[] = [];
for (let i = 0; i < WARM_RUNS; i++) {
  const started = performance.now();
  const result = await sim.invoke(name, request());
  await result.response.arrayBuffer();
  await result.done;
  warm.push(performance.now() - started);
}

const mod = (await import(bundleUrl)) as { handler: (event: unknown, context: unknown) => Promise<{ body?: string }> };
const direct: number[] = [];
for (let i = 0; i < WARM_RUNS; i++) {
  const started = performance.now();
  await mod.handler({ httpMethod: 'GET', path: '/', headers: {}, multiValueHeaders: {}, queryStringParameters: {}, body: null }, {});
  direct.push(performance.now() - started);
}

const cold: number[] = [];
for (let i = 0; i < COLD_RUNS; i++) {
  clock.advance(600_000); // reap the warm container: the next invocation starts cold
  const started = performance.now();
  const result = await sim.invoke(name, request());
  await result.response.arrayBuffer();
  cold.push(performance.now() - started);
  await result.done;
}

const floorEntry = path.join(os.tmpdir(), `sim-floor-${process.pid}.mjs`);
writeFileSync(floorEntry, "import { parentPort, workerData } from 'node:worker_threads'; await import(workerData); parentPort.postMessage('ok');");
const floor: number[] = [];
for (let i = 0; i < COLD_RUNS; i++) {
  const started = performance.now();
  const worker = new Worker(floorEntry, { workerData: bundleUrl });
  await new Promise((resolve) => worker.once('message', resolve));
  floor.push(performance.now() - started);
  await worker.terminate();
}
await sim.close();

const round = (ms: number): number => Math.round(ms * 1000) / 1000;
console.log(
  JSON.stringify({
    name,
    bundleBytes: info.bundleBytes,
    warmMs: round(median(warm)),
    directMs: round(median(direct)),
    warmOverheadMs: round(median(warm) - median(direct)),
    coldMs: round(median(cold)),
    floorMs: round(median(floor)),
    coldOverFloor: round(median(cold) / median(floor)),
  }),
);
