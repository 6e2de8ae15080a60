/**
 * Inside a container: warns when the function reads an environment variable that a local tool would
 * have given it but production leaves undefined (one set only in the developer's shell, only in
 * netlify.toml, or only by netlify dev). Production's answer stays: the read returns undefined. The
 * warning is printed once per variable per function, across all of that function's containers (a
 * flag per name in shared memory).
 *
 * The warning goes to the simulator over a BroadcastChannel, not stderr: a worker's stdio is flow
 * controlled by its own event loop, so a line written just before the container freezes would only
 * reach the log at the next thaw (or never, if the container is reaped).
 */
import { getCallSites } from 'node:util';
import { BroadcastChannel } from 'node:worker_threads';

/** What a container's runtime gets in its workerData to do this. Plain data (structured clone). */
export interface EnvHints {
  /** Variable names the function does not get, each with the warning for reading it. */
  names: string[];
  messages: string[];
  /** One Int32 per name: 0 = not warned yet. Shared by every container of the function. */
  warned: SharedArrayBuffer;
  /** BroadcastChannel name the simulator listens on for {@link EnvWarning}s. */
  channel: string;
}

/** What a container posts when a function reads a hinted name. */
export interface EnvWarning {
  functionName: string;
  message: string;
}

/** Replaces `process.env` with a view that warns on the first read of a hinted name. Call before loading the function. */
export function installEnvWarnings(hints: EnvHints | undefined, functionName: string): void {
  if (!hints || hints.names.length === 0) return;
  const channel = new BroadcastChannel(hints.channel);
  // Never what keeps a container's event loop alive (nor shows up as its pending work).
  channel.unref();
  const index = new Map(hints.names.map((name, i) => [name, i]));
  const warned = new Int32Array(hints.warned);
  const target = process.env;
  const check = (key: string | symbol): void => {
    if (typeof key !== 'string') return;
    const i = index.get(key);
    // Set by the function itself at runtime: it is defined, nothing to warn about.
    if (i === undefined || Object.hasOwn(target, key) || Atomics.load(warned, i) !== 0) return;
    if (readByNode()) return;
    if (Atomics.compareExchange(warned, i, 0, 1) !== 0) return;
    const warning: EnvWarning = { functionName, message: hints.messages[i] ?? key };
    channel.postMessage(warning);
  };
  process.env = new Proxy(target, {
    get(object, key, receiver) {
      check(key);
      return Reflect.get(object, key, receiver);
    },
    has(object, key) {
      check(key);
      return Reflect.has(object, key);
    },
    // Without this trap, assigning to a variable that exists would redefine it through the proxy with
    // a value-only descriptor, which Node's process.env refuses (TypeError "only accepts a configurable,
    // writable, and enumerable data descriptor"): `process.env.TZ = …` or @netlify/blobs' connectLambda.
    set(object, key, value) {
      return Reflect.set(object, key, value);
    },
  });
}

/**
 * Whether the read comes from Node itself (console colours, debug switches) rather than from the
 * function's code: the first frame outside the runtime (this file's script, which also serves
 * `Netlify.env.get`) decides.
 */
function readByNode(): boolean {
  const sites = getCallSites(12);
  const own = sites[0]?.scriptName;
  const reader = sites.find((site) => site.scriptName !== own);
  return reader === undefined || reader.scriptName.startsWith('node:');
}
