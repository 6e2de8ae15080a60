/**
 * `npm start` as a user runs it: `node src/cli/main.ts serve` in its own process, stopped by a signal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
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
