/**
 * Smoke test for `npm run dev`: netlify dev, offline, on a free port, serving the project's functions.
 * It runs the npm script itself (so the script's flags and the `deno` on npm's PATH are what is tested)
 * in its own process group, and stops the whole group afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './helpers.ts';
import { freePort } from '../../bench/proc.ts';

/** Stops the process group netlify dev runs in (npm, node, esbuild, static server). */
async function stopGroup(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return; // already gone
  }
  // netlify dev normally exits on SIGTERM; if it does not, do not leave it running after the suite.
  const force = setTimeout(() => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }, 15_000);
  await exited;
  clearTimeout(force);
}

/** The functions these tests call; each must be loaded before the first request. */
const FUNCTIONS_USED = ['hello-world', 'collect'];

describe('npm run dev (netlify dev, offline)', () => {
  let child: ChildProcess;
  let exited: Promise<unknown>;
  let output = '';
  let url = '';

  beforeAll(async () => {
    const port = await freePort();
    // Under `npm test`, npm tells us where it is; run directly (npx vitest), fall back to PATH.
    const npmCli = process.env.npm_execpath;
    const [command, args] = npmCli?.endsWith('.js')
      ? [process.execPath, [npmCli, 'run', 'dev', '--', '--port', String(port)]]
      : ['npm', ['run', 'dev', '--', '--port', String(port)]];
    child = spawn(command, args, { cwd: repoRoot, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BROWSER: 'none' } });
    exited = once(child, 'exit');
    url = `http://localhost:${port}`;
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        // netlify dev says it is ready before it has loaded the functions ("Loaded function <name>"
        // follows): a request in between gets a 500, which a busy machine made visible.
        if (output.includes(`Local dev server ready: ${url}`) && FUNCTIONS_USED.every((name) => output.includes(`Loaded function ${name}`))) resolve();
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      void exited.then(() => reject(new Error(`netlify dev exited before it was ready:\n${output}`)));
    });
  }, 180_000);

  afterAll(async () => {
    if (child) await stopGroup(child, exited);
  }, 30_000);

  it('serves hello-world at /api/hello-world', async () => {
    const res = await fetch(`${url}/api/hello-world`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ message: expect.stringMatching(/^Hello, abc is \d+$/) });
  });

  it('serves collect (v2, on the local Blobs sandbox): a POST is listed by the next GET', async () => {
    const key = randomUUID();
    const post = await fetch(`${url}/api/collect`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify({ smoke: key }),
    });
    expect(post.status).toBe(201);
    const list = (await (await fetch(`${url}/api/collect`)).json()) as { items: Array<{ idempotencyKey: string; payload: unknown }> };
    expect(list.items.find((item) => item.idempotencyKey === key)?.payload).toEqual({ smoke: key });
  });
});
