/**
 * SIGTERM ends in a bounded time (docs/reliability.md): `npm start` in its own process, in a copy of the
 * site with a function blocked in execFileSync and a client stalled mid-body. The shutdown refuses the
 * stalled client, stops the blocked container without waiting for its thread, kills the `sleep` that
 * thread waits for, and exits 0 by itself.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { repoRoot } from '../server/helpers.ts';
import { errorCode, rawExchange, reliabilitySite } from './helpers.ts';

function siteCopy(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'sigterm-site-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  for (const entry of ['functions', 'src', 'netlify.toml', 'package.json', 'tsconfig.json']) {
    if (existsSync(path.join(repoRoot, entry))) cpSync(path.join(repoRoot, entry), path.join(dir, entry), { recursive: true });
  }
  cpSync(path.join(reliabilitySite, 'functions', 'blocked.ts'), path.join(dir, 'functions', 'blocked.ts'));
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

describe('SIGTERM', () => {
  it('ends by itself, exit code 0, with a thread blocked in native code and a client stalled mid-body', async () => {
    const dir = siteCopy();
    const child = spawn(process.execPath, ['src/cli/main.ts', 'serve'], {
      cwd: dir,
      env: { ...process.env, PORT: '0', SIM_SHUTDOWN_GRACE_MS: '300' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const lines: string[] = [];
    const waitFor = (pattern: RegExp): Promise<string> =>
      new Promise((resolve, reject) => {
        const check = (): boolean => {
          const line = lines.find((l) => pattern.test(l));
          if (line !== undefined) resolve(line);
          return line !== undefined;
        };
        if (check()) return;
        const onData = (): void => {
          if (check()) {
            child.stdout.off('data', onData);
            child.stderr.off('data', onData);
          }
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.once('exit', () => reject(new Error(`exited before ${pattern}:\n${lines.join('\n')}`)));
      });
    for (const stream of [child.stdout, child.stderr]) stream.setEncoding('utf8').on('data', (chunk: string) => lines.push(...chunk.split('\n').filter(Boolean)));
    const exited = once(child, 'exit').then(([code]) => code as number | null);
    const banner = await waitFor(/on the container simulator at (http:\/\/\S+)/);
    const url = /at (http:\/\/\S+)/.exec(banner)?.[1] ?? '';
    const blocked = fetch(`${url}/api/blocked`, { headers: { 'x-seconds': '60' } }).catch((error: Error) => error);
    await waitFor(/^START RequestId: r1 /);
    const stalled = rawExchange(url, 'POST /api/send-data HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{');
    // The stalled request's head reaches the server long before the one below, on the same loop.
    expect((await fetch(`${url}/api/hello-world`)).status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const answer = await stalled;
    expect(answer.status).toBe(503);
    expect(errorCode(answer.body)).toBe('SERVER_CLOSING');
    expect(lines).toContainEqual(expect.stringMatching(/^SIGTERM: no new requests; draining .* for up to 300 ms/));
    expect(lines).toContainEqual(expect.stringMatching(/^WARN shutdown grace of 300 ms is over with 1 request\(s\) and \d invocation\(s\) still running/));
    expect(lines).toContainEqual(expect.stringMatching(/^WARN \[blocked blocked-1\] (closed|destroyed) with work that is lost with it: GET .*\/api\/blocked \(request r1, still running\)/));
    expect(lines).toContainEqual(expect.stringMatching(/^WARN 1 container thread\(s\) still blocked in native code: killed \d+ child process/));
    expect(lines).toContain('stopped');
    const outcome = await blocked;
    expect(outcome instanceof Error || outcome.status >= 500).toBe(true);
  });
});
