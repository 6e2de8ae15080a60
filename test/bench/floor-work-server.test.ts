/**
 * The floor with the simulator's work (bench/floor-work-server.ts) must do the work it stands for, or
 * its figure in the bench means nothing: the article's counter from warm invocations of one
 * container, the request id header, and Lambda's START, END and REPORT lines with the access line.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

async function start(): Promise<{ url: string; output: () => string }> {
  const child = spawn(process.execPath, [join(root, 'bench', 'floor-work-server.ts'), root], { env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  // 'close', not 'exit': only then has all of its stdout (the log, flushed at SIGTERM) been read.
  const closed = once(child, 'close');
  stops.push(async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await closed;
  });
  const lines = createInterface({ input: child.stderr });
  for await (const line of lines) {
    const listening = /^listening on (\S+)$/.exec(line);
    if (listening?.[1]) return { url: listening[1], output: () => stdout };
  }
  throw new Error('floor-work-server ended before listening');
}

describe('the floor with the simulator\'s work', () => {
  it('answers hello-world from warm invocations of one container, with the request id, and logs the Lambda lines', async () => {
    const { url, output } = await start();
    const answers = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${url}/.netlify/functions/hello-world`);
      answers.push({ status: res.status, requestId: res.headers.get('x-nf-request-id'), body: await res.json() });
    }
    expect(answers).toEqual([1, 2, 3].map((n) => ({ status: 200, requestId: `r${n}`, body: { message: `Hello, abc is ${n}` } })));
    expect((await fetch(`${url}/.netlify/functions/other`)).status).toBe(404);
    await stops.pop()?.();
    const log = output();
    expect(log).toContain('START RequestId: r1 Version: $LATEST Function: hello-world Container: c1 (cold)');
    expect(log).toContain('START RequestId: r3 Version: $LATEST Function: hello-world Container: c1\n');
    expect(log).toMatch(/END RequestId: r3\nREPORT RequestId: r3\tContainer: c1\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 1024 MB\tMax Memory Used: \d+ MB\n/);
    expect(log).toMatch(/GET \/\.netlify\/functions\/hello-world 200 [\d.]+ ms r3 c1 warm/);
  });
});
