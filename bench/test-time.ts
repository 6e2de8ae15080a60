/**
 * `npm test`'s wall time on this machine (issue 15: report it; under 60 s on 2 cores), with the files
 * that take longest, from vitest's JSON report, so a slow suite says where its time goes.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

/** One test file's time, from the JSON report. */
export interface FileDuration {
  file: string;
  durationMs: number;
  tests: number;
  status: string;
}

export interface TestTimeFigures {
  /** From spawning vitest until it exited. */
  wallMs: number;
  exitCode: number | null;
  files: number;
  tests: number;
  failedTests: number;
  /** The slowest files first. */
  slowest: FileDuration[];
}

/** The part of vitest's JSON report (jest-compatible) the bench reads. */
interface VitestJsonReport {
  numTotalTests?: number;
  numFailedTests?: number;
  testResults?: Array<{ name?: string; startTime?: number; endTime?: number; status?: string; assertionResults?: unknown[] }>;
}

/**
 * Per-file durations from vitest's JSON report, slowest first, paths relative to `root`. A file's time
 * runs from its start to its end, setup and teardown included (the report's `startTime`/`endTime`).
 */
export function parseVitestJson(text: string, root: string): { files: FileDuration[]; tests: number; failedTests: number } {
  const report = JSON.parse(text) as VitestJsonReport;
  const files = (report.testResults ?? [])
    .map((result) => ({
      file: relative(root, result.name ?? ''),
      durationMs: Math.max(0, (result.endTime ?? 0) - (result.startTime ?? 0)),
      tests: result.assertionResults?.length ?? 0,
      status: result.status ?? 'unknown',
    }))
    .sort((a, b) => b.durationMs - a.durationMs);
  return { files, tests: report.numTotalTests ?? 0, failedTests: report.numFailedTests ?? 0 };
}

/** Runs what `npm test` runs (`vitest run`) in `projectRoot`, timed from spawn to exit. */
export async function runTestTime(projectRoot: string, logPath: string, keepSlowest = 8): Promise<TestTimeFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-vitest-'));
  const jsonPath = join(dir, 'report.json');
  try {
    const startedAt = performance.now();
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, [join(projectRoot, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${jsonPath}`], {
        cwd: projectRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, CI: '1' },
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('error', reject);
      child.once('exit', (code) => {
        writeFileSync(logPath, output);
        resolve(code);
      });
    });
    const wallMs = performance.now() - startedAt;
    const parsed = parseVitestJson(readFileSync(jsonPath, 'utf8'), projectRoot);
    return { wallMs, exitCode, files: parsed.files.length, tests: parsed.tests, failedTests: parsed.failedTests, slowest: parsed.files.slice(0, keepSlowest) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

