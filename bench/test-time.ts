/**
 * `npm test`'s wall time on this machine (issue 15: report it; under 60 s on 2 cores), with the files
 * that take longest, read from vitest's own per-file lines (`✓ test/x.test.ts (12 tests) 3456ms`, which
 * include each file's hooks), so a slow suite says where its time goes.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One test file's time, as vitest's reporter prints it. */
export interface FileDuration {
  file: string;
  durationMs: number;
  tests: number;
  failed: number;
}

export interface TestTimeFigures {
  /** From spawning vitest until it exited. */
  wallMs: number;
  exitCode: number | null;
  files: number;
  tests: number;
  failedTests: number;
  /** Sum of the per-file times: against the wall time, it shows how much ran in parallel. */
  sumOfFilesMs: number;
  /** Vitest's own summary of where the time went (`Duration 69.70s (tests 93%, import 4%, …)`). */
  vitestDuration: string | null;
  /** The slowest files first. */
  slowest: FileDuration[];
}

/** Removes ANSI colour codes. */
function plain(text: string): string {
  return text.replace(/\x1b\[[0-9;]*m/g, '');
}

/**
 * Per-file durations (slowest first), test counts and the summary line from vitest's default reporter
 * output. A file's line reads `✓ path (N tests) Tms` or `❯ path (N tests | F failed) Tms`.
 */
export function parseVitestOutput(output: string): { files: FileDuration[]; tests: number; failedTests: number; vitestDuration: string | null } {
  const text = plain(output);
  const files: FileDuration[] = [];
  for (const match of text.matchAll(/^\s*[✓❯×↓]\s+(\S+\.test\.[cm]?[jt]s)\s+\((\d+) tests?(?:\s*\|\s*(\d+) failed)?[^)]*\)\s+(\d+)ms\s*$/gm)) {
    files.push({ file: match[1] ?? '', tests: Number(match[2]), failed: Number(match[3] ?? 0), durationMs: Number(match[4]) });
  }
  files.sort((a, b) => b.durationMs - a.durationMs);
  const testsLine = /^\s*Tests\s+(.*)$/m.exec(text)?.[1] ?? '';
  const total = /\((\d+)\)/.exec(testsLine);
  const failed = /(\d+) failed/.exec(testsLine);
  const duration = /^\s*Duration\s+(.*)$/m.exec(text)?.[1]?.trim() ?? null;
  return {
    files,
    tests: total ? Number(total[1]) : files.reduce((sum, file) => sum + file.tests, 0),
    failedTests: failed ? Number(failed[1]) : 0,
    vitestDuration: duration,
  };
}

/** Runs what `npm test` runs (`vitest run`, with the project's config) in `projectRoot`, timed from spawn to exit. */
export async function runTestTime(projectRoot: string, logPath: string, keepSlowest = 10): Promise<TestTimeFigures> {
  const startedAt = performance.now();
  const { exitCode, output } = await new Promise<{ exitCode: number | null; output: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [join(projectRoot, 'node_modules', 'vitest', 'vitest.mjs'), 'run'], {
      cwd: projectRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ exitCode: code, output: text }));
  });
  const wallMs = performance.now() - startedAt;
  writeFileSync(logPath, output);
  const parsed = parseVitestOutput(output);
  return {
    wallMs,
    exitCode,
    files: parsed.files.length,
    tests: parsed.tests,
    failedTests: parsed.failedTests,
    sumOfFilesMs: parsed.files.reduce((sum, file) => sum + file.durationMs, 0),
    vitestDuration: parsed.vitestDuration,
    slowest: parsed.files.slice(0, keepSlowest),
  };
}
