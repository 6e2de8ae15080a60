/**
 * Start-up as a developer feels it (issue 15: `npm start` → first answer ≤ 0.3× `netlify dev` → first
 * answer): from spawning the server until a function first answers 200. Both run what their npm script
 * runs, with node started directly (no npm process in between, for either), each in a fresh copy of the
 * site so neither finds the other's or an earlier run's `.netlify/`.
 */
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort, ServerProcess, type ServerCommand } from './proc.ts';
import { median, ratio } from './stats.ts';
import { isolatedSite, planServer } from './targets.ts';

/** The two start-ups compared. */
export type StartupServer = 'ours' | 'netlify-dev';

export const STARTUP_LABELS: Record<StartupServer, string> = {
  ours: 'npm start',
  'netlify-dev': 'netlify dev --offline',
};

/** Every start-up measured, per server, and the ratio of the medians. */
export interface StartupFigures {
  functionPath: string;
  samplesMs: Record<StartupServer, number[]>;
  medianMs: Record<StartupServer, number | null>;
  /** ours median / netlify dev median; the target is ≤ 0.3. */
  ratio: number | null;
  /** Start-ups that failed (did not answer 200 in time), with why. */
  failures: string[];
}

/** Medians of both series and their ratio; a server with no sample has no median. */
export function summarizeStartups(functionPath: string, samplesMs: Record<StartupServer, number[]>, failures: string[]): StartupFigures {
  const mid = (values: number[]): number | null => (values.length > 0 ? median(values) : null);
  const medianMs = { ours: mid(samplesMs.ours), 'netlify-dev': mid(samplesMs['netlify-dev']) };
  return { functionPath, samplesMs, medianMs, ratio: ratio(medianMs.ours, medianMs['netlify-dev']), failures };
}

/**
 * `netlify dev` as `npm run dev` runs it: offline, no browser. Offline it still starts the edge
 * functions runtime, which needs the `deno` binary: the `deno` dev dependency puts one in
 * node_modules/.bin, which npm adds to PATH, so the bench does too.
 */
function netlifyDevCommand(projectRoot: string, port: number, logPath: string): ServerCommand {
  const site = isolatedSite(projectRoot);
  return {
    name: 'netlify-dev',
    command: process.execPath,
    args: [join(projectRoot, 'node_modules', 'netlify-cli', 'bin', 'run.js'), 'dev', '--offline', '--no-open', '--port', String(port)],
    cwd: site.dir,
    env: { PATH: `${join(projectRoot, 'node_modules', '.bin')}:${process.env['PATH'] ?? ''}`, BROWSER: 'none', NETLIFY_TELEMETRY_DISABLED: '1' },
    logPath,
    cleanup: site.remove,
  };
}

/** Polls `url` every `pollMs` until it answers 200; returns when it did, or throws after `timeoutMs`. */
export async function firstOk(server: ServerProcess, url: string, timeoutMs: number, pollMs = 20): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = 'no answer';
  while (performance.now() < deadline) {
    if (server.exitDescription !== null) throw new Error(server.deathNote() ?? `${server.name} exited`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
      last = `status ${response.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await delay(pollMs);
  }
  throw new Error(`${server.name} did not answer 200 at ${url} within ${timeoutMs} ms (last: ${last})`);
}

async function oneStartup(projectRoot: string, which: StartupServer, functionPath: string, logPath: string): Promise<number> {
  const port = await freePort();
  let command: ServerCommand;
  if (which === 'ours') {
    const plan = planServer('ours', projectRoot);
    if (!plan.available) throw new Error(plan.reason);
    command = plan.command(port, logPath);
  } else {
    command = netlifyDevCommand(projectRoot, port, logPath);
  }
  // The site copy is made above, before the clock starts: a developer's site is already there.
  const startedAt = performance.now();
  const server = ServerProcess.start(command);
  try {
    await firstOk(server, `http://127.0.0.1:${port}${functionPath}`, 180_000);
    return performance.now() - startedAt;
  } finally {
    await server.stop();
  }
}

/** `runs` start-ups of each, alternating so drift in machine load hits both alike. */
export async function runStartups(projectRoot: string, logsDir: string, runs: number, progress: (line: string) => void): Promise<StartupFigures> {
  const functionPath = '/.netlify/functions/hello-world';
  const samplesMs: Record<StartupServer, number[]> = { ours: [], 'netlify-dev': [] };
  const failures: string[] = [];
  for (let run = 1; run <= runs; run++) {
    for (const which of ['ours', 'netlify-dev'] as const) {
      try {
        const ms = await oneStartup(projectRoot, which, functionPath, join(logsDir, `startup-${which}-${run}.log`));
        samplesMs[which].push(ms);
        progress(`start-up ${run}/${runs}: ${STARTUP_LABELS[which]} first answered after ${Math.round(ms)} ms`);
      } catch (error) {
        const reason = `${which}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
        failures.push(reason);
        progress(`start-up ${run}/${runs} failed: ${reason}`);
      }
    }
  }
  return summarizeStartups(functionPath, samplesMs, failures);
}
