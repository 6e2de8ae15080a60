/**
 * A process-wide memo of esbuild results, so several simulators or local servers in one process (the
 * vitest harness starts one per test, a test file starts a server per test) do not bundle the same
 * unchanged function again. Bundling the article's eight functions costs esbuild about 0.2 s of CPU;
 * checking that nothing changed is a few dozen `stat` calls.
 *
 * A result is reused only while everything that shaped it looks the same, by `stat` (inode, size,
 * modification and change times, which an edit, a rename over the file, or `cp -p` all change):
 * - every input file esbuild reports in its metafile (the function and everything it bundled);
 * - the directory of each input, whose times change when a file is added, removed or renamed in it
 *   (a new `util.ts` next to `util.js`, a new `node_modules` beside the function);
 * - `package.json`, `tsconfig.json` and `jsconfig.json` in every directory above an input, present or
 *   not (esbuild reads them: `exports`, `type`, `paths`, ...);
 * - whatever else the build consulted, present or not: the externals plugin reports every
 *   `node_modules/<name>/package.json` it probed, which is where a newly installed package would
 *   change what a bare import resolves to.
 * A build whose files changed less than {@link SETTLE_MS} before it started (or while it ran) is not
 * remembered: esbuild may have read a file mid-save. Nor is one the caller says not to remember.
 */
import type { BigIntStats } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';

/** What a build returns to the memo: its value, and what it depended on. */
export interface MemoBuild<T> {
  value: T;
  /** Absolute paths of the files the result was built from. */
  inputs: readonly string[];
  /** Absolute paths the build looked at besides its inputs, present or not. */
  consulted?: readonly string[];
  /** False keeps the result from being remembered (it depends on something not listed). Default true. */
  memoize?: boolean;
}

interface Entry {
  value: unknown;
  /** The paths checked on reuse, and how each looked when the build finished. */
  paths: string[];
  fingerprint: string;
}

/** A file that changed this recently before the build started may have been read mid-write. */
const SETTLE_MS = 2_000;
/** Entries kept at most (oldest first out): a long-lived process that builds many temp sites stays bounded. */
const MAX_ENTRIES = 500;
const CONFIG_FILES = ['package.json', 'tsconfig.json', 'jsconfig.json'];

const entries = new Map<string, Promise<Entry | undefined>>();

/**
 * The value of `build()` for `key`: remembered from an earlier call while nothing it depended on
 * changed, built (and remembered) otherwise. `key` must name everything else that shapes the result
 * (entry point, options, the working directory). A failed build is never remembered. `nowMs` is the
 * wall clock file times are compared with (a test passes its own).
 */
export async function memoizedBuild<T>(key: string, build: () => Promise<MemoBuild<T>>, nowMs: () => number = Date.now): Promise<T> {
  const pending = entries.get(key);
  if (pending) {
    const entry = await pending.catch(() => undefined);
    if (entry && (await fingerprint(entry.paths)) === entry.fingerprint) return entry.value as T;
  }
  const startedMs = nowMs();
  const built = build();
  const remembered = built.then(async (result) => (result.memoize === false ? undefined : await remember(result, startedMs)));
  entries.delete(key);
  entries.set(key, remembered);
  if (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
  remembered.catch(() => {
    if (entries.get(key) === remembered) entries.delete(key);
  });
  return (await built).value;
}

async function remember(result: MemoBuild<unknown>, startedMs: number): Promise<Entry | undefined> {
  const inputs = [...new Set(result.inputs)];
  const directories = new Set(inputs.map((file) => path.dirname(file)));
  const above = new Set<string>();
  for (const directory of directories) {
    for (let current = directory; !above.has(current); current = path.dirname(current)) {
      above.add(current);
      if (path.dirname(current) === current) break;
    }
  }
  const configs = [...above].flatMap((directory) => CONFIG_FILES.map((name) => path.join(directory, name)));
  const paths = [...new Set([...inputs, ...directories, ...configs, ...(result.consulted ?? [])])];
  const stats = await Promise.all(paths.map(statOf));
  // Inputs and their directories must exist (else the build did not see what is there now), and none
  // may have changed around the time the build read them.
  const watched = new Set<string>([...inputs, ...directories]);
  for (const [index, info] of stats.entries()) {
    const file = paths[index] ?? '';
    if (info === null) {
      if (watched.has(file)) return undefined;
      continue;
    }
    if (Number(info.ctimeNs / 1_000_000n) >= startedMs - SETTLE_MS || Number(info.mtimeNs / 1_000_000n) >= startedMs - SETTLE_MS) return undefined;
  }
  return { value: result.value, paths, fingerprint: stats.map(describe).join('\n') };
}

function statOf(file: string): Promise<BigIntStats | null> {
  return stat(file, { bigint: true }).catch(() => null);
}

function describe(info: BigIntStats | null): string {
  return info === null ? '-' : `${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
}

async function fingerprint(paths: readonly string[]): Promise<string> {
  return (await Promise.all(paths.map(statOf))).map(describe).join('\n');
}
