/**
 * One side of the round-trip measurement, in a process of its own: `node bench/round-trip-probe.ts
 * <ours|floor> <functionsDir> <concurrency> <seconds>`. Prints one JSON line ({@link RoundTripOutput}).
 *
 * Both sides run `concurrency` loops, each invoking hello-world and waiting for the answer before the
 * next, for `seconds` after a 2 s warm-up, with no HTTP anywhere:
 * - `ours`: the simulator's `invokeBuffered`, as the server calls it (the request already read, the v1
 *   result buffered), waiting for the container to freeze;
 * - `floor`: the design's floor (bench/floor-server.ts) without its HTTP server: post the request's id
 *   to an idle worker (a new one only when all are busy), thaw it with `Atomics.notify`, and take the
 *   answer from its module-scope counter when it posts it back and freezes in `Atomics.wait`.
 *
 * CPU time is read per thread from /proc around the timed part, as in the load runs, so the figures
 * say what one invocation costs each thread once HTTP is taken away.
 */
import { Worker } from 'node:worker_threads';
import { Simulator } from '../src/sim/index.ts';
import { FLOOR_CONTAINER } from './floor-container.ts';
import type { RoundTripOutput, RoundTripSide } from './round-trip.ts';
import { readThreadTimes } from './thread-times.ts';

const [sideArg, functionsDir, concurrencyArg, secondsArg] = process.argv.slice(2);
const side: RoundTripSide = sideArg === 'floor' ? 'floor' : 'ours';
const concurrency = Number(concurrencyArg);
const seconds = Number(secondsArg);
if (!functionsDir || !Number.isInteger(concurrency) || concurrency < 1 || !(seconds > 0)) {
  process.stderr.write('usage: round-trip-probe.ts <ours|floor> <functionsDir> <concurrency> <seconds>\n');
  process.exit(2);
}

interface FloorContainer {
  worker: Worker;
  flag: Int32Array;
  started: boolean;
}

/** The floor's dispatch: an idle worker or a new one, a posted id, a thaw; resolves with the answer. */
function floorInvoker(): { invoke: () => Promise<string>; close: () => Promise<void> } {
  const idle: FloorContainer[] = [];
  const all: FloorContainer[] = [];
  const waiting = new Map<number, (body: string) => void>();
  let nextId = 0;
  const spawn = (): FloorContainer => {
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const container: FloorContainer = { worker: new Worker(FLOOR_CONTAINER, { eval: true, workerData: flag.buffer }), flag, started: false };
    container.worker.on('message', ([id, body]: [number, string]) => {
      const resolve = waiting.get(id);
      waiting.delete(id);
      idle.push(container);
      resolve?.(body);
    });
    all.push(container);
    return container;
  };
  return {
    invoke: () => {
      const container = idle.pop() ?? spawn();
      const id = nextId++;
      const answered = new Promise<string>((resolve) => waiting.set(id, resolve));
      container.worker.postMessage(id);
      if (container.started) {
        Atomics.store(container.flag, 0, 1);
        Atomics.notify(container.flag, 0);
      }
      container.started = true;
      return answered;
    },
    close: async () => {
      await Promise.all(all.map((container) => container.worker.terminate()));
    },
  };
}

/** The simulator's dispatch of hello-world, as the server makes it; resolves once the container froze. */
function oursInvoker(): { invoke: () => Promise<unknown>; close: () => Promise<void> } {
  const simulator = new Simulator({ functionsDir: functionsDir as string });
  const request = {
    method: 'GET',
    url: 'http://127.0.0.1:8888/.netlify/functions/hello-world',
    headers: [
      ['accept', '*/*'],
      ['host', '127.0.0.1:8888'],
      ['user-agent', 'round-trip-probe'],
    ] as Array<[string, string]>,
    body: null,
  };
  let nextId = 0;
  return {
    invoke: async () => {
      const result = await simulator.invokeBuffered('hello-world', request, { requestId: `r${nextId++}` });
      return result.done;
    },
    close: () => simulator.close(),
  };
}

/** CPU ticks so far of this process's main thread, its other threads, and V8's helper threads. */
function cpuTicks(): { main: number; containers: number; v8Helpers: number } {
  const threads = readThreadTimes(process.pid);
  if (!threads) throw new Error('no /proc/self/task: the round trip needs Linux');
  const ticks = { main: 0, containers: 0, v8Helpers: 0 };
  for (const [tid, thread] of threads) {
    const spent = thread.userTicks + thread.systemTicks;
    if (tid === process.pid) ticks.main += spent;
    else if (thread.name.startsWith('V8Worker')) ticks.v8Helpers += spent;
    else ticks.containers += spent;
  }
  return ticks;
}

const invoker = side === 'floor' ? floorInvoker() : oursInvoker();
let invocations = 0;
async function loop(untilMs: number): Promise<void> {
  while (performance.now() < untilMs) {
    await invoker.invoke();
    invocations += 1;
  }
}
const warmUntil = performance.now() + 2_000;
await Promise.all(Array.from({ length: concurrency }, () => loop(warmUntil)));
invocations = 0;
const before = cpuTicks();
const startedMs = performance.now();
const until = startedMs + seconds * 1_000;
await Promise.all(Array.from({ length: concurrency }, () => loop(until)));
const elapsedS = (performance.now() - startedMs) / 1_000;
const after = cpuTicks();
await invoker.close();
const output: RoundTripOutput = {
  side,
  concurrency,
  invocations,
  seconds: elapsedS,
  mainTicks: after.main - before.main,
  containerTicks: after.containers - before.containers,
  v8HelperTicks: after.v8Helpers - before.v8Helpers,
};
process.stdout.write(`${JSON.stringify(output)}\n`);
process.exit(0);
