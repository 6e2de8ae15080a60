/**
 * The runtime inside a container (a worker thread): the part AWS calls the runtime interface client.
 * It evaluates the function's bundle once (INIT), then serves one invocation at a time and, after each,
 * freezes the whole thread until the simulator thaws it for the next one. This file is the entry and
 * the invoke loop; the concepts live in `runtime/`: loading the user's function (user-function.ts),
 * the v1 context and callback protocol (v1-context.ts, callback-context.ts, v1-invoke.ts), the v2
 * context and cookies (v2-context.ts, cookies.ts, v2-invoke.ts), reading a Response body
 * (response-body.ts), and the globals the platform provides (netlify-global.ts, lambda-streaming.ts).
 *
 * Freeze is real: the thread blocks in `Atomics.wait`, so none of its timers, socket callbacks or
 * promise continuations run, exactly like a frozen Lambda environment. Thaw is `Atomics.notify`, after
 * which the event loop runs again and picks up the next invocation message and any pending I/O.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { installClockDate } from './runtime-date.ts';
import { installEnvWarnings } from './runtime-env.ts';
import { INIT_REQUEST_ID, PendingWorkTracker } from './runtime-pending.ts';
import { encodeFrozen, type FrozenMessage } from './freeze-wire.ts';
import { wireNowMs, wireRequestId, type InvokeWire } from './invoke-wire.ts';
import type { FinalMessage, FromRuntime, RuntimeWorkerData, ToRuntime } from './protocol.ts';
import { installLambdaGlobals } from './runtime/lambda-streaming.ts';
import { installNetlifyGlobal } from './runtime/netlify-global.ts';
import { serializeError } from './runtime/serialize-error.ts';
import { DEFAULT_NODE_VERSION_MAJOR, type RuntimeServices } from './runtime/services.ts';
import { invocationInput } from './runtime/invocation-input.ts';
import { importBundle, resolveUserFunction, type UserFunction } from './runtime/user-function.ts';
import { runV1 } from './runtime/v1-invoke.ts';
import { runV2 } from './runtime/v2-invoke.ts';
import { installRuntimeTimers } from './runtime-timers.ts';

const data = workerData as RuntimeWorkerData;
const port = parentPort;
if (!port) throw new Error('the container runtime must run in a worker thread');
const freezeFlag = new Int32Array(data.freezeFlag);

const clockDate = installClockDate(data.initNowMs, data.clockFlows);
const tracker = new PendingWorkTracker();
const runtimeTime = installRuntimeTimers({ clockDate, tracker, clockFlows: data.clockFlows, clockPort: data.clockPort });
installNetlifyGlobal();
installLambdaGlobals();
// The runtime's own reads skip the warning view installed next: they are not the function's.
const env = process.env;
installEnvWarnings(data.envHints, data.functionName);

function post(message: FromRuntime): void {
  port?.postMessage(message);
}

const services: RuntimeServices = { data, tracker, post, env };

function usedMemoryMb(): number {
  return Math.ceil(getHeapStatistics().used_heap_size / (1024 * 1024));
}

/**
 * Blocks this thread until thawed. The flag is cleared BEFORE the result is posted, so a thaw that
 * races ahead of the wait (the simulator answering instantly) is never lost: `Atomics.wait` returns
 * at once when the flag is already set.
 */
function freeze(report: FrozenMessage): void {
  Atomics.store(freezeFlag, 0, 0);
  port?.postMessage(encodeFrozen(report));
  Atomics.wait(freezeFlag, 0, 0);
}

/** Requests that were in flight at the previous freeze: the work this thaw carries over. */
let carriedOver: ReadonlySet<object> = new Set<object>();

async function invoke(fn: UserFunction, wire: InvokeWire): Promise<void> {
  const requestId = wireRequestId(wire);
  const startedMs = performance.now();
  // Time moves to the clock's; with a ManualClock, timers that came due while frozen fire first.
  const overdue = runtimeTime.thaw(wireNowMs(wire));
  if (overdue) await overdue;
  // Thawed. Work carried over from before the last freeze moves first: on the platform its I/O
  // completions are already queued when the environment wakes, so they run as soon as the runtime's
  // event loop gets a turn, alongside (in practice ahead of) the new event. Letting it settle before
  // the handler runs (bounded by thawGraceMs, for a destination that never answers) makes that
  // ordering deterministic instead of a race, and the handler's own new work cannot sneak out before
  // the freeze that follows it.
  // (Nothing carried over, the usual case: no await, which would cost a turn of the microtask queue.)
  if (carriedOver.size > 0) {
    const before = tracker.describe(carriedOver);
    await tracker.whenSettled(carriedOver, data.thawGraceMs);
    // Tell the simulator which carried-over work resumed and finished inside this invocation (the
    // timeline links it to the invocation that left it).
    const after = tracker.describe(carriedOver);
    const finished = [...before].filter(([request]) => !after.has(request)).map(([, work]) => work);
    post({ type: 'carried-over', requestId, finished, stillPending: [...after.values()] });
  }
  let final: FinalMessage | undefined;
  try {
    // Mapped here, on the container's thread, from the request as it crossed over (invoke-wire.ts).
    const message = invocationInput(wire, fn.api);
    final = fn.api === 'v1' ? await runV1(fn, message, services) : await runV2(fn, message, services);
  } catch (error) {
    final = { type: 'handler-error', requestId, error: serializeError(error) };
  }
  // Freeze as soon as the handler settled (v2: body sent and waitUntil settled), as Lambda does: what
  // it did not await stays in flight, is reported, and is carried over to the next thaw.
  const pendingAtFreeze = tracker.snapshot();
  carriedOver = tracker.requestsInFlight();
  // The last piece of the response travels in the same message as the freeze, so the simulator
  // marks the container idle before the caller sees the response complete: a client that sends its
  // next request as soon as it has read a response finds this container warm and free, as on the
  // platform, where the runtime asks for the next event right after posting the response.
  const report: FrozenMessage = { type: 'frozen', requestId, durationMs: performance.now() - startedMs, maxMemoryUsedMb: usedMemoryMb(), pendingAtFreeze };
  if (final) report.final = final;
  freeze(report);
}

async function main(): Promise<void> {
  const initStartedMs = performance.now();
  let fn: UserFunction;
  try {
    const exports = await tracker.runAs(INIT_REQUEST_ID, () => importBundle(data.bundlePath));
    fn = resolveUserFunction(exports, {
      bundlePath: data.bundlePath,
      functionName: data.functionName,
      api: data.api,
      nodeVersionMajor: data.nodeVersionMajor ?? DEFAULT_NODE_VERSION_MAJOR,
      warn: (line) => console.warn(line),
    });
  } catch (error) {
    // Stay blocked rather than exit: the simulator reports the init error, then terminates this thread.
    Atomics.store(freezeFlag, 0, 0);
    post({ type: 'init-error', error: serializeError(error) });
    Atomics.wait(freezeFlag, 0, 0);
    return;
  }
  post({ type: 'ready', initDurationMs: performance.now() - initStartedMs });
  // One invocation at a time: the simulator never sends the next before this one froze.
  port?.on('message', (message: ToRuntime) => {
    void invoke(fn, message);
  });
}

await main();
