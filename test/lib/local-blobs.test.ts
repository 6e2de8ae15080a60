import { access, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
});
