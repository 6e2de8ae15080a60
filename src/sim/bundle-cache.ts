/**
 * Keeps the bundle cache (`<tmpdir>/stateful-serverless-sim` by default) bounded: least recently used
 * entries go once the cache holds more than `maxEntries` entries or `maxBytes` bytes. An entry is a
 * function's deploy directory (`<name>-<hash>/`, its bundle and included files), the runtime bundle
 * (`runtime-<hash>.mjs`), or a partial write (`*.tmp`) a killed build left.
 *
 * "Used" is the newest modification time in the entry: a bundle file is touched whenever it is built
 * or found again and whenever a container starts from it. An entry holding a bundle this process's
 * containers use is never removed; nor is any entry used within `minAgeMs` (default an hour), which
 * protects the bundles of other processes sharing the cache (another dev server, a parallel test
 * run), whose next cold start reads the file.
 *
 * A prune reads every entry of the cache (about 0.2 s of CPU for 2,000 entries), and the limits belong
 * to the cache, not to one process: so at most one prune per cache per minute, whichever process does
 * it. The stamp file `.last-prune` in the cache records when the last one started. Without it, every
 * process that bundles paid a full prune (a test run starts dozens of processes in a minute).
 */
import type { Dirent } from 'node:fs';
import { readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface BundleCacheLimits {
  maxEntries: number;
  maxBytes: number;
  minAgeMs: number;
}

export const DEFAULT_BUNDLE_CACHE_LIMITS: BundleCacheLimits = { maxEntries: 200, maxBytes: 256 * 1024 * 1024, minAgeMs: 60 * 60 * 1000 };

/** A prune reads the whole cache: at most one per cache per this interval, across processes. */
const PRUNE_INTERVAL_MS = 60_000;
/** When this process last pruned or found the stamp fresh (so it does not even read the stamp again within the interval). */
let lastPruneMs = Number.NEGATIVE_INFINITY;
/** The file in the cache whose modification time says when a process last started a prune (not an entry: never pruned). */
export const PRUNE_STAMP = '.last-prune';

/** Bundle files this process's containers use, with how many use each. */
const inUse = new Map<string, number>();

/** Marks `file` as used by a live container until the returned function is called. */
export function retainBundle(file: string): () => void {
  inUse.set(file, (inUse.get(file) ?? 0) + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const count = (inUse.get(file) ?? 1) - 1;
    if (count > 0) inUse.set(file, count);
    else inUse.delete(file);
  };
}

/** Records a use of `file` (its modification time is the LRU clock). Best effort: a failure changes nothing. */
export async function touchBundle(file: string): Promise<void> {
  const now = new Date();
  await utimes(file, now, now).catch(() => undefined);
}

/** A bundle was built or found in `cacheDir`: touch it, and prune the cache (at most once a minute per cache). */
export async function noteBundleUse(cacheDir: string, file: string): Promise<void> {
  await touchBundle(file);
  const nowMs = Date.now();
  if (nowMs - lastPruneMs < PRUNE_INTERVAL_MS) return;
  lastPruneMs = nowMs;
  if (!(await claimPrune(cacheDir, nowMs))) return;
  await pruneBundleCache(cacheDir);
}

/**
 * Whether this process should prune `cacheDir` now: no process started a prune there within the
 * interval. Claims it by rewriting the stamp. Two processes that check at the same moment may both
 * prune, which is harmless (removal is idempotent), only redundant.
 */
async function claimPrune(cacheDir: string, nowMs: number): Promise<boolean> {
  const stamp = path.join(cacheDir, PRUNE_STAMP);
  const prunedMs = await stat(stamp).then(
    (info) => info.mtimeMs,
    () => Number.NEGATIVE_INFINITY,
  );
  // A stamp from the future (a clock set back) does not stop pruning for good.
  if (nowMs - prunedMs < PRUNE_INTERVAL_MS && prunedMs <= nowMs + PRUNE_INTERVAL_MS) return false;
  await writeFile(stamp, '').catch(() => undefined);
  return true;
}

interface Entry {
  path: string;
  bytes: number;
  usedMs: number;
}

async function measure(dirent: Dirent, full: string): Promise<Entry | null> {
  const own = await stat(full).catch(() => null);
  if (!own) return null;
  if (!dirent.isDirectory()) return { path: full, bytes: own.size, usedMs: own.mtimeMs };
  let bytes = 0;
  let usedMs = own.mtimeMs;
  const inside = await readdir(full, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const child of inside) {
    if (!child.isFile()) continue;
    const info = await stat(path.join(child.parentPath, child.name)).catch(() => null);
    if (!info) continue;
    bytes += info.size;
    usedMs = Math.max(usedMs, info.mtimeMs);
  }
  return { path: full, bytes, usedMs };
}

function holdsLiveBundle(entry: string): boolean {
  for (const file of inUse.keys()) if (file === entry || file.startsWith(entry + path.sep)) return true;
  return false;
}

/** Removes least recently used entries beyond the limits; returns the entries removed. */
export async function pruneBundleCache(cacheDir: string, limits: BundleCacheLimits = DEFAULT_BUNDLE_CACHE_LIMITS): Promise<string[]> {
  const dirents = await readdir(cacheDir, { withFileTypes: true }).catch(() => []);
  const candidates = dirents.filter((dirent) => dirent.isDirectory() || dirent.name.endsWith('.mjs') || dirent.name.endsWith('.tmp'));
  const entries = (await Promise.all(candidates.map((dirent) => measure(dirent, path.join(cacheDir, dirent.name))))).filter((entry) => entry !== null);
  entries.sort((a, b) => b.usedMs - a.usedMs);
  const removed: string[] = [];
  const nowMs = Date.now();
  let keptEntries = 0;
  let keptBytes = 0;
  for (const entry of entries) {
    const withinLimits = keptEntries + 1 <= limits.maxEntries && keptBytes + entry.bytes <= limits.maxBytes;
    if (withinLimits || holdsLiveBundle(entry.path) || nowMs - entry.usedMs < limits.minAgeMs) {
      keptEntries += 1;
      keptBytes += entry.bytes;
      continue;
    }
    await rm(entry.path, { recursive: true, force: true }).then(
      () => removed.push(entry.path),
      () => undefined,
    );
  }
  return removed;
}
