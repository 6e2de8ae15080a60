/**
 * Hot reload as a developer feels it (issue 15: median ≤ 300 ms): a function file is saved the way
 * editors save (write a temporary file, rename it over the old one), and the clock runs until the
 * server answers from the new code. The function is the bench's own, written into a fresh copy of the
 * site; each version answers its version number, so the first answer carrying it ends the timing.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort, ServerProcess } from './proc.ts';
import { median, percentile } from './stats.ts';
import { planServer } from './targets.ts';
import { firstOk } from './startup.ts';

/** The bench's function, under functions/ in the site copy. */
export const RELOAD_FUNCTION = 'bench-reload';

/** The source of version `version` of the bench's function: a v2 function that answers `reload version <n>`. */
export function reloadSource(version: number): string {
  return `// Written by bench/reload.ts: version ${version}.\nexport default async (): Promise<Response> => new Response('reload version ${version}');\n`;
}

/** The version an answer of the bench's function came from, or null for any other body. */
export function answeredVersion(body: string): number | null {
  const match = /^reload version (\d+)$/.exec(body.trim());
  return match ? Number(match[1]) : null;
}

export interface ReloadFigures {
  /** From the rename until the first answer from the new version, per save. */
  samplesMs: number[];
  medianMs: number | null;
  p90Ms: number | null;
  /** Saves whose new version never answered within the time limit. */
  missed: number;
}

/** Median and p90 of the saves that answered. */
export function summarizeReloads(samplesMs: number[], missed: number): ReloadFigures {
  return { samplesMs, medianMs: samplesMs.length > 0 ? median(samplesMs) : null, p90Ms: samplesMs.length > 0 ? percentile(samplesMs, 90) : null, missed };
}

/** Polls until the function answers `version`; returns the ms since `savedAt`, or null after `timeoutMs`. */
async function untilVersion(url: string, version: number, savedAt: number, timeoutMs: number): Promise<number | null> {
  while (performance.now() - savedAt < timeoutMs) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      const body = await response.text();
      if (response.status === 200 && answeredVersion(body) === version) return performance.now() - savedAt;
    } catch {
      // A request that races the rebuild may fail; the next poll tells.
    }
    await delay(5);
  }
  return null;
}

/** Starts ours on a site copy with the bench's function, saves it `saves` times, and times each reload. */
export async function runReloads(projectRoot: string, logPath: string, saves: number, progress: (line: string) => void): Promise<ReloadFigures> {
  const plan = planServer('ours', projectRoot);
  if (!plan.available) throw new Error(plan.reason);
  const port = await freePort();
  const command = plan.command(port, logPath);
  const functionFile = join(command.cwd, 'functions', `${RELOAD_FUNCTION}.ts`);
  writeFileSync(functionFile, reloadSource(0));
  const server = ServerProcess.start(command);
  const url = `http://127.0.0.1:${port}/.netlify/functions/${RELOAD_FUNCTION}`;
  const samplesMs: number[] = [];
  let missed = 0;
  try {
    await firstOk(server, url, 60_000);
    for (let version = 1; version <= saves; version++) {
      // The temporary file sits beside functions/, not in it, as an editor's swap file would in its own directory.
      const temporary = join(command.cwd, `.${RELOAD_FUNCTION}.ts.tmp`);
      writeFileSync(temporary, reloadSource(version));
      renameSync(temporary, functionFile);
      const savedAt = performance.now();
      const elapsed = await untilVersion(url, version, savedAt, 10_000);
      if (elapsed === null) missed += 1;
      else samplesMs.push(elapsed);
      // Let the old version's containers drain and the watcher's rebuild finish before the next save,
      // so each save is timed alone rather than caught by the rebuild of the one before.
      await delay(700);
    }
    const figures = summarizeReloads(samplesMs, missed);
    progress(`hot reload: ${saves} saves, median ${figures.medianMs?.toFixed(0) ?? '—'} ms, p90 ${figures.p90Ms?.toFixed(0) ?? '—'} ms${missed > 0 ? `, ${missed} never answered` : ''}`);
    return figures;
  } finally {
    await server.stop();
  }
}
