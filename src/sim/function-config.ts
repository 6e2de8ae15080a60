/**
 * Reads a v2 function's `export const config` for what routing needs: its `path`.
 *
 * Netlify reads `config` statically from the source at deploy time, so it must be a literal there. The
 * simulator has no parser for that, so it evaluates the bundle ONCE in a throwaway worker thread and
 * reads the export: the function's real containers never see that module instance, so their
 * module-scope state (and cold starts) are unaffected.
 */
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/** How long evaluating a bundle for its config may take: the platform's INIT limit (docs/platform-facts.md#lambda-execution-environment). */
const CONFIG_READ_LIMIT_MS = 10_000;

const READER = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.url).then(
  (mod) => {
    const config = mod.config;
    parentPort.postMessage({ ok: true, path: config !== null && typeof config === 'object' ? config.path : undefined });
  },
  (error) => parentPort.postMessage({ ok: false, message: String((error && error.message) || error) }),
);`;

type ReaderMessage = { ok: true; path: unknown } | { ok: false; message: string };

/**
 * What a config read found: a valid `path` (or none); a `path` that is not a URL path (`invalid`, which
 * Netlify refuses at deploy); or a module that could not be evaluated (`unreadable`: it throws or hangs at
 * init, which its invocations will report as an init error).
 */
export type ConfigPathResult =
  | { kind: 'ok'; path: string | string[] | undefined }
  | { kind: 'invalid' | 'unreadable'; message: string };

function validPath(path: unknown): path is string | string[] | undefined {
  const isRoute = (value: unknown): boolean => typeof value === 'string' && value.startsWith('/');
  return path === undefined || isRoute(path) || (Array.isArray(path) && path.length > 0 && path.every(isRoute));
}

/**
 * Evaluates the bundle at `bundlePath` in a throwaway worker and returns its `config.path`.
 * Never rejects.
 */
export function readConfigPath(bundlePath: string): Promise<ConfigPathResult> {
  return new Promise((resolve) => {
    const worker = new Worker(READER, {
      eval: true,
      workerData: { url: pathToFileURL(bundlePath).href },
      // The module's own output belongs to its real containers' logs, not to this read.
      stdout: true,
      stderr: true,
    });
    let settled = false;
    const finish = (result: ConfigPathResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(limit);
      void worker.terminate();
      resolve(result);
    };
    const unreadable = (message: string): void => finish({ kind: 'unreadable', message });
    const limit = setTimeout(() => unreadable(`evaluating the module took over ${CONFIG_READ_LIMIT_MS} ms`), CONFIG_READ_LIMIT_MS);
    worker.on('message', (message: ReaderMessage) => {
      if (!message.ok) return unreadable(message.message);
      if (!validPath(message.path)) {
        const got = JSON.stringify(message.path);
        return finish({ kind: 'invalid', message: `config.path must be a string or an array of strings starting with "/", got ${got}` });
      }
      finish({ kind: 'ok', path: message.path });
    });
    worker.on('error', (error) => unreadable(error.message));
    worker.on('exit', (code) => unreadable(`the module exited (code ${code}) before its config could be read`));
  });
}
