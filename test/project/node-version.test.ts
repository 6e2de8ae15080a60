/**
 * The Node.js version guard (scripts/check-node.mjs): on a Node older than package.json's
 * `engines.node`, `npm start`, `npm test`, `npm run dev` and `npm run bench` print one line saying
 * which version is needed and how to get it, and exit 1, instead of failing on a `.ts` file or
 * crashing vitest. The guard reads CHECK_NODE_VERSION in place of the running version, so these tests
 * can pretend to be an old Node while running on a supported one.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../server/helpers.ts';

interface Manifest {
  engines: { node: string };
  scripts: Record<string, string>;
}

const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as Manifest;
const guard = join(repoRoot, 'scripts', 'check-node.mjs');

function runGuard(args: string[], fakeVersion?: string): { status: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['CHECK_NODE_VERSION'];
  if (fakeVersion !== undefined) env['CHECK_NODE_VERSION'] = fakeVersion;
  const result = spawnSync(process.execPath, [guard, ...args], { cwd: repoRoot, env, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '');
}

describe('the Node.js version guard', () => {
  const minimum = /^>=(\d+\.\d+\.\d+)$/.exec(manifest.engines.node)?.[1];

  it('reads its minimum from engines.node, written as >=X.Y.Z', () => {
    expect(minimum).toBeDefined();
    const printed = runGuard(['--print-minimum']);
    expect(printed.status).toBe(0);
    expect(printed.stdout).toBe(`${minimum}\n`);
  });

  it('passes silently on the running Node, which the suite needs anyway', () => {
    const result = runGuard([]);
    expect(result).toEqual({ status: 0, stdout: '', stderr: '' });
  });

  it('passes silently on exactly the minimum version', () => {
    expect(runGuard([], minimum)).toEqual({ status: 0, stdout: '', stderr: '' });
  });

  it.each(['20.20.2', 'v22.18.0', '24.2.9'])('on Node %s: one line naming the minimum and .nvmrc, exit 1', (version) => {
    const result = runGuard([], version);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    const [line, ...rest] = lines(result.stderr);
    expect(rest).toEqual([]);
    expect(line).toContain(`needs Node.js ${minimum} or newer`);
    expect(line).toContain(`this is Node.js ${version.replace(/^v/, '')}`);
    expect(line).toContain('.nvmrc');
    expect(line).toContain('node@24');
  });

  it('.nvmrc names a major version the guard accepts', () => {
    const nvmrc = readFileSync(join(repoRoot, '.nvmrc'), 'utf8').trim();
    expect(nvmrc).toMatch(/^\d+$/);
    const major = Number(nvmrc);
    expect(major).toBeGreaterThanOrEqual(Number(minimum?.split('.')[0]));
    // nvm installs the newest release of that major, which is past any minimum within it.
    expect(runGuard([], `${major}.999.0`).status).toBe(0);
  });

  it.each([
    ['start', ['start']],
    ['test', ['test']],
    ['dev', ['run', 'dev']],
    ['bench', ['run', 'bench']],
  ])('npm %s on an old Node stops at the guard: one line on stderr, exit 1, the script never runs', (script, npmArgs) => {
    expect(manifest.scripts[`pre${script}`]).toBe('node scripts/check-node.mjs');
    const npmCli = process.env['npm_execpath'];
    const env: NodeJS.ProcessEnv = { ...process.env, CHECK_NODE_VERSION: '20.20.2', npm_config_loglevel: 'warn' };
    const result =
      npmCli !== undefined && npmCli.endsWith('.js')
        ? spawnSync(process.execPath, [npmCli, ...npmArgs], { cwd: repoRoot, env, encoding: 'utf8', timeout: 20_000 })
        : spawnSync('npm', npmArgs, { cwd: repoRoot, env, encoding: 'utf8', timeout: 20_000 });
    expect(result.status).toBe(1);
    expect(lines(result.stderr)).toEqual([expect.stringContaining(`needs Node.js ${minimum} or newer`)]);
    // npm prints a banner for each script it runs: the guard's, never the script's own.
    expect(result.stdout).toContain(`pre${script}`);
    expect(result.stdout).not.toContain(`> ${manifest.scripts[script]}`);
  });
});
