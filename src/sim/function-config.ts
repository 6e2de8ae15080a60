/**
 * Reads a function's `export const config` (every property; config-schema.ts validates them).
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
    let config = mod.config;
    // Plain data only: a config holding functions or class instances cannot cross threads, and the
    // platform reads it as literal JSON-like values from the source anyway.
    try { config = config === undefined ? undefined : JSON.parse(JSON.stringify(config)); } catch { config = null; }
    parentPort.postMessage({ ok: true, config });
  },
  (error) => parentPort.postMessage({ ok: false, message: String((error && error.message) || error) }),
);`;

type ReaderMessage = { ok: true; config: unknown } | { ok: false; message: string };

/**
 * What a config read found: the exported `config` as plain data (undefined when not exported), or a
 * module that could not be evaluated (`unreadable`: it throws or hangs at init, which its invocations will
 * report as an init error).
 */
export type ConfigReadResult = { kind: 'ok'; config: unknown } | { kind: 'unreadable'; message: string };

/**
 * Evaluates the bundle at `bundlePath` in a throwaway worker and returns its `config` export.
 * Never rejects.
 */
export function readInSourceConfig(bundlePath: string): Promise<ConfigReadResult> {
  return new Promise((resolve) => {
    const worker = new Worker(READER, {
      eval: true,
      workerData: { url: pathToFileURL(bundlePath).href },
      // The module's own output belongs to its real containers' logs, not to this read.
      stdout: true,
      stderr: true,
    });
    let settled = false;
    const finish = (result: ConfigReadResult): void => {
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
      finish({ kind: 'ok', config: message.config });
    });
    worker.on('error', (error) => unreadable(error.message));
    worker.on('exit', (code) => unreadable(`the module exited (code ${code}) before its config could be read`));
  });
}
