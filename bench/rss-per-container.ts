/**
 * RSS per warm container against a bare worker importing the same bundle (issue 15: ≤ 1.25×). Each
 * side runs in a fresh process (bench/rss-per-container-probe.ts) that measures its own RSS before and after
 * starting N of them from the same baseline; the sides alternate, N by N.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ratio } from './stats.ts';

/** Which side a probe measures: simulator containers, or bare workers importing the same bundle. */
export type ProbeMode = 'containers' | 'workers';

/** What one probe process prints. */
export interface ProbeOutput {
  mode: ProbeMode;
  /** Containers or workers asked for. */
  count: number;
  /** Process RSS after the function was bundled, before any container or worker. */
  baselineBytes: number;
  /** Process RSS with all of them alive (containers frozen, workers idle). */
  afterBytes: number;
  /** How many were alive at the reading (for containers: what the simulator reported). */
  started: number;
  bundleBytes: number;
}

/** One count, both sides. */
export interface ContainerRssRow {
  count: number;
  containers: ProbeOutput;
  workers: ProbeOutput;
  /** RSS increment per container, bytes. */
  perContainerBytes: number | null;
  /** RSS increment per bare worker, bytes. */
  perWorkerBytes: number | null;
  /** perContainerBytes / perWorkerBytes; the target is ≤ 1.25. */
  ratio: number | null;
}

export interface ContainerRssFigures {
  functionName: string;
  bundleBytes: number;
  rows: ContainerRssRow[];
}

/**
 * The RSS one more of them costs: the increment over the baseline divided by how many were alive.
 * Null when none started (nothing to divide by).
 */
export function rssIncrementPerUnit(output: Pick<ProbeOutput, 'baselineBytes' | 'afterBytes' | 'started'>): number | null {
  if (output.started <= 0) return null;
  return (output.afterBytes - output.baselineBytes) / output.started;
}

/** Pairs the two sides of one count into a row. */
export function containerRssRow(containers: ProbeOutput, workers: ProbeOutput): ContainerRssRow {
  const perContainerBytes = rssIncrementPerUnit(containers);
  const perWorkerBytes = rssIncrementPerUnit(workers);
  return { count: containers.count, containers, workers, perContainerBytes, perWorkerBytes, ratio: ratio(perContainerBytes, perWorkerBytes) };
}

/** The row with the most containers (the figure least moved by one-off costs), or null. */
export function largestRow(figures: ContainerRssFigures | null): ContainerRssRow | null {
  if (!figures || figures.rows.length === 0) return null;
  return figures.rows.reduce((best, row) => (row.count > best.count ? row : best));
}

const run = promisify(execFile);

async function probe(projectRoot: string, mode: ProbeMode, functionName: string, count: number, cacheDir: string): Promise<ProbeOutput> {
  const script = join(projectRoot, 'bench', 'rss-per-container-probe.ts');
  const { stdout } = await run(process.execPath, ['--expose-gc', script, mode, join(projectRoot, 'functions'), functionName, String(count), cacheDir], {
    cwd: projectRoot,
    timeout: 120_000,
    maxBuffer: 1 << 20,
  });
  const line = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as ProbeOutput;
}

/** Measures each count in `counts`, containers then workers, each in a fresh process. */
export async function runContainerRss(projectRoot: string, functionName: string, counts: readonly number[], progress: (line: string) => void): Promise<ContainerRssFigures> {
  // One bundle cache for all probes: every probe then imports the very same bundle file.
  const cacheDir = mkdtempSync(join(tmpdir(), 'bench-rss-'));
  try {
    const rows: ContainerRssRow[] = [];
    for (const count of counts) {
      const containers = await probe(projectRoot, 'containers', functionName, count, cacheDir);
      const workers = await probe(projectRoot, 'workers', functionName, count, cacheDir);
      const row = containerRssRow(containers, workers);
      progress(
        `RSS per container (${count}): ${((row.perContainerBytes ?? 0) / 1048576).toFixed(2)} MiB per container (${containers.started} started) vs ${((row.perWorkerBytes ?? 0) / 1048576).toFixed(2)} MiB per bare worker`,
      );
      rows.push(row);
    }
    return { functionName, bundleBytes: rows[0]?.containers.bundleBytes ?? 0, rows };
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}
