import { execFile } from 'node:child_process';
import { access, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { getStore } from '@netlify/blobs';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { startLocalBlobs } from '../../src/dev/local-blobs.ts';

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

describe('startLocalBlobs', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('gives an env with which getStore() reads and writes the local server', async () => {
    const blobs = await startLocalBlobs();
    onTestFinished(() => blobs.close());
    vi.stubEnv('NETLIFY_BLOBS_CONTEXT', blobs.env.NETLIFY_BLOBS_CONTEXT);
    const store = getStore({ name: 'probe', consistency: 'strong' });
    await store.setJSON('k', { v: 1 });
    expect(await store.get('k', { type: 'json' })).toEqual({ v: 1 });
    expect(JSON.parse(Buffer.from(blobs.env.NETLIFY_BLOBS_CONTEXT, 'base64').toString())).toEqual(blobs.context);
    expect(await readdir(blobs.directory)).not.toHaveLength(0); // the data is on disk, in its directory
  });

  it('runs on a thread of its own when asked, serving the same API and stopping cleanly', async () => {
    const blobs = await startLocalBlobs({ thread: true });
    vi.stubEnv('NETLIFY_BLOBS_CONTEXT', blobs.env.NETLIFY_BLOBS_CONTEXT);
    const store = getStore({ name: 'probe', consistency: 'strong' });
    await store.setJSON('k', { v: 2 });
    expect(await store.get('k', { type: 'json' })).toEqual({ v: 2 });
    expect((await store.list()).blobs.map((b) => b.key)).toEqual(['k']);
    // A keep-alive connection from this client is still open: close() must not wait for it.
    await blobs.close();
    expect(await exists(blobs.directory)).toBe(false);
    await expect(fetch(blobs.url)).rejects.toThrow();
  });

  it('refuses a client without its token', async () => {
    const blobs = await startLocalBlobs();
    onTestFinished(() => blobs.close());
    const wrong = Buffer.from(JSON.stringify({ ...blobs.context, token: 'not-the-token' })).toString('base64');
    vi.stubEnv('NETLIFY_BLOBS_CONTEXT', wrong);
    await expect(getStore({ name: 'probe', consistency: 'strong' }).setJSON('k', 1)).rejects.toThrow();
  });

  it('removes a directory it created on close, and keeps one it was given', async () => {
    const own = await startLocalBlobs();
    await own.close();
    expect(await exists(own.directory)).toBe(false);

    const given = await mkdtemp(join(tmpdir(), 'given-blobs-'));
    onTestFinished(() => rm(given, { recursive: true, force: true }));
    const blobs = await startLocalBlobs({ directory: given });
    await blobs.close();
    await blobs.close(); // idempotent
    expect(await exists(given)).toBe(true);
  });

  it('serves several backends from one thread, each with its own data and token; stopping one leaves the others serving', async () => {
    const a = await startLocalBlobs({ thread: true });
    onTestFinished(() => a.close());
    const b = await startLocalBlobs({ thread: true });
    onTestFinished(() => b.close());
    expect(a.url).not.toBe(b.url);
    const storeOf = (blobs: typeof a) => getStore({ name: 'probe', consistency: 'strong', ...blobs.context });
    await storeOf(a).setJSON('only-a', 1);
    await storeOf(b).setJSON('only-b', 2);
    expect((await storeOf(a).list()).blobs.map((blob) => blob.key)).toEqual(['only-a']);
    expect((await storeOf(b).list()).blobs.map((blob) => blob.key)).toEqual(['only-b']);
    // a's token does not open b.
    await expect(getStore({ name: 'probe', consistency: 'strong', ...b.context, token: a.context.token }).get('only-b')).rejects.toThrow();

    await a.close();
    await expect(fetch(a.url)).rejects.toThrow();
    expect(await storeOf(b).get('only-b', { type: 'json' })).toBe(2);
    // And one started after a stop is served as well.
    const c = await startLocalBlobs({ thread: true });
    onTestFinished(() => c.close());
    await storeOf(c).setJSON('only-c', 3);
    expect(await storeOf(c).get('only-c', { type: 'json' })).toBe(3);
  });

  it('does not keep a process alive once its threaded backends are closed', async () => {
    // The thread stays for the next backend of the process, unref'd: a process that closed its backends
    // still exits by itself (no process.exit here).
    const script = `
      import { startLocalBlobs } from ${JSON.stringify(pathToFileURL(join(import.meta.dirname, '../../src/dev/local-blobs.ts')).href)};
      const first = await startLocalBlobs({ thread: true });
      const second = await startLocalBlobs({ thread: true });
      const statuses = [(await fetch(first.url)).status, (await fetch(second.url)).status];
      await first.close();
      await second.close();
      console.log(JSON.stringify(statuses));
    `;
    const dir = await mkdtemp(join(tmpdir(), 'blobs-exit-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'run.mjs'), script);
    const ran = promisify(execFile)(process.execPath, [join(dir, 'run.mjs')]);
    // Should the process hang (the failure this test is about), it does not outlive the test.
    onTestFinished(() => {
      if (ran.child.exitCode === null && ran.child.signalCode === null) ran.child.kill('SIGKILL');
    });
    const { stdout } = await ran;
    expect(JSON.parse(stdout)).toEqual([expect.any(Number), expect.any(Number)]);
  });
});
