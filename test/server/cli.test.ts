/**
 * `npm start` as a user runs it: `node src/cli/main.ts serve` in its own process, stopped by a signal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { repoRoot, tempDir } from './helpers.ts';

interface Started {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
}

function startMain(env: Record<string, string>): Started {
  const child = spawn(process.execPath, ['src/cli/main.ts', 'serve'], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => stdout.push(...chunk.split('\n').filter(Boolean)));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => stderr.push(...chunk.split('\n').filter(Boolean)));
  return { child, stdout, stderr, exited };
}

/** Resolves with the base URL once the banner is printed. */
function bannerUrl(started: Started): Promise<string> {
  const pattern = /on the container simulator at (http:\/\/\S+)/;
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      for (const line of started.stdout) {
        const match = pattern.exec(line);
        if (match?.[1] !== undefined) {
          resolve(match[1]);
          return true;
        }
      }
      return false;
    };
    if (check()) return;
    started.child.stdout?.on('data', () => check());
    void started.exited.then((code) => reject(new Error(`server exited with ${code}: ${started.stderr.join('\n')}`)));
  });
}

describe('npm start (src/cli/main.ts serve)', () => {
  it('serves, then on SIGTERM drains, stops every container, removes their temp dirs and exits 0', async () => {
    const tmp = await tempDir('server-cli-tmp-');
    const started = startMain({ PORT: '0', TMPDIR: tmp });
    const url = await bannerUrl(started);
    expect(started.stdout).toContain(`Containers: ${url}/__sim/containers`);
    expect(await (await fetch(`${url}/api/hello-world`)).json()).toEqual({ message: 'Hello, abc is 1' });
    const visits = (await (await fetch(`${url}/api/tmp-counter`)).json()) as { visits: number };
    expect(visits.visits).toBe(1);
    const containerRoots = async (): Promise<string[]> => (await readdir(tmp)).filter((name) => name.startsWith('sim-containers-'));
    expect(await containerRoots()).toHaveLength(1);

    started.child.kill('SIGTERM');
    // main.ts exits 1 if anything (a worker, a socket, a timer) still holds the process 5 s after
    // shutdown, so exit code 0 also means nothing was left running.
    expect(await started.exited).toBe(0);
    expect(started.stdout).toContain('stopped');
    expect(await containerRoots()).toEqual([]);
  });

  it('a port in use is a one-line error and exit code 1', async () => {
    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    onTestFinished(() => void blocker.close());
    const { port } = blocker.address() as AddressInfo;
    const started = startMain({ PORT: String(port), TMPDIR: await tempDir('server-cli-tmp-') });
    expect(await started.exited).toBe(1);
    expect(started.stderr).toEqual([`error: port ${port} is already in use on 127.0.0.1; set PORT to another port`]);
    expect(started.stdout).toEqual([]);
  });
});

/** Runs the CLI to completion (for commands that exit by themselves). */
async function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string[]; stderr: string[] }> {
  const child = spawn(process.execPath, ['src/cli/main.ts', ...args], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => stdout.push(...chunk.split('\n').filter(Boolean)));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.push(...chunk.split('\n').filter(Boolean)));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

describe('stateful-serverless (src/cli/main.ts)', () => {
  it('--help lists every flag and environment variable, exit 0', async () => {
    const { code, stdout, stderr } = await runCli(['serve', '--help']);
    expect(code).toBe(0);
    expect(stderr).toEqual([]);
    const text = stdout.join('\n');
    for (const item of ['--site DIR', '--port N', '--host H', '--context C', '--country XX', '--toml-env', '--run-schedules', '--watch', '--no-watch', '--help', '--version', 'PORT', 'HOST', 'SIM_IDLE_TIMEOUT_MS', 'SIM_TIMEOUT_MS', 'SIM_MAX_CONCURRENCY', 'SIM_FUNCTION_CONCURRENCY', 'SIM_QUEUE_LENGTH', 'SIM_SHUTDOWN_GRACE_MS', 'SIM_EXPOSE']) {
      expect(text).toContain(item);
    }
    expect((await runCli(['--help'])).stdout.join('\n')).toBe(text);
  });

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    expect(await runCli(['--version'])).toEqual({ code: 0, stdout: [`stateful-serverless ${pkg.version}`], stderr: [] });
  });

  it.each([
    [['serve', '--bogus'], 'error: unknown flag --bogus (stateful-serverless --help lists every flag)'],
    [['serve', '--port', 'abc'], 'error: --port must be an integer from 0 to 65535, got "abc" (stateful-serverless --help lists every flag)'],
    [['serve', '--port'], 'error: --port needs a value (stateful-serverless --help lists every flag)'],
    [['serve', '--context', 'staging'], 'error: --context must be dev, production, deploy-preview, branch-deploy or branch:<name>, got "staging" (stateful-serverless --help lists every flag)'],
    [['serve', 'extra'], 'error: unexpected argument extra: serve takes flags only (--site DIR) (stateful-serverless --help lists every flag)'],
    [['deploy'], 'error: unknown command "deploy" (stateful-serverless --help lists every flag)'],
    [['serve', '--country', 'France'], 'error: --country must be a two-letter country code (ISO 3166), got "France" (stateful-serverless --help lists every flag)'],
  ])('%j is one line on stderr and exit code 2', async (args, line) => {
    expect(await runCli(args)).toEqual({ code: 2, stdout: [], stderr: [line] });
  });

  it('a bad environment variable is one line and exit code 2', async () => {
    expect(await runCli(['serve'], { SIM_TIMEOUT_MS: '-5' })).toEqual({
      code: 2,
      stdout: [],
      stderr: ['error: SIM_TIMEOUT_MS must be an integer from 1 to any size, got "-5" (stateful-serverless --help lists every flag)'],
    });
  });

  it('a missing site directory is one line and exit code 2', async () => {
    const dir = path.join(await tempDir('cli-missing-'), 'nope');
    expect(await runCli(['serve', '--site', dir])).toEqual({ code: 2, stdout: [], stderr: [`error: site directory ${dir} does not exist or is not a directory`] });
  });

  it('a site without its functions directory is one line and exit code 2', async () => {
    const dir = await tempDir('cli-no-functions-');
    expect(await runCli(['serve', '--site', dir])).toEqual({
      code: 2,
      stdout: [],
      stderr: [`error: functions directory ${path.join(dir, 'netlify', 'functions')} does not exist (Netlify's default; netlify.toml's [functions] directory names another)`],
    });
  });

  it('a broken netlify.toml is one line and exit code 2', async () => {
    const dir = await tempDir('cli-bad-toml-');
    await writeFile(path.join(dir, 'netlify.toml'), '[functions]\ndirectory = 7\n');
    expect(await runCli(['serve', '--site', dir])).toEqual({ code: 2, stdout: [], stderr: ['error: netlify.toml: functions.directory must be a string'] });
  });

  it('--site serves another site (netlify/functions by default), its .env included, from --country, and stops on SIGINT', async () => {
    const dir = await tempDir('cli-site-');
    await mkdir(path.join(dir, 'netlify', 'functions'), { recursive: true });
    await writeFile(path.join(dir, 'netlify', 'functions', 'hi.mjs'), 'export default async (req, context) => new Response(`hi ${process.env.WHO}, ${new Date(0).getHours()}h, from ${context.geo.country.code}`);\n');
    await writeFile(path.join(dir, '.env'), 'WHO=site\n');
    const child = spawn(process.execPath, ['src/cli/main.ts', 'serve', '--site', dir, '--port', '0', '--no-watch', '--country', 'fr'], {
      cwd: repoRoot,
      env: { ...process.env, TMPDIR: await tempDir('cli-site-tmp-'), TZ: 'America/New_York' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const started: Started = { child, stdout: [], stderr: [], exited: once(child, 'exit').then(([code]) => code as number | null) };
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => started.stdout.push(...chunk.split('\n').filter(Boolean)));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => started.stderr.push(...chunk.split('\n').filter(Boolean)));
    const url = await bannerUrl(started);
    expect(started.stdout[0]).toBe(`Serving 1 function from ${dir} on the container simulator at ${url}`);
    expect(started.stdout.some((line) => line.startsWith('Watching'))).toBe(false);
    // Lambda's clock runs in UTC whatever the developer's time zone.
    // --country as netlify dev's: the mock location, with the code upper-cased.
    expect(await (await fetch(`${url}/.netlify/functions/hi`)).text()).toBe('hi site, 0h, from FR');
    child.kill('SIGINT');
    expect(await started.exited).toBe(0);
  });
});
