import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { BlobStore } from '../../src/lib/collect-store.ts';

type CollectStoreClass = typeof import('../../src/lib/collect-store.ts').CollectStore;

/**
 * An in-memory Blobs store that implements the interface CollectStore relies on, counts its round
 * trips, and lets a test choose each blob's etag (to play BlobsServer's same-millisecond etag, or a
 * blob that cannot be stat'ed).
 */
class FakeBlobStore implements BlobStore {
  readonly #blobs = new Map<string, { etag: string; data: unknown }>();
  #version = 0;
  /** Etag the next write gets; default a fresh one per write, as Netlify's content-based etag would be. */
  nextEtag: string | undefined;
  /** Runs inside `get` before it reads, to play another container acting between list and get. */
  beforeGet: ((key: string) => void) | undefined;
  lists = 0;
  readonly gets: string[] = [];
  readonly sets: string[] = [];
  inFlightGets = 0;
  maxInFlightGets = 0;

  async setJSON(key: string, data: unknown, options?: { onlyIfNew?: boolean }): Promise<{ modified: boolean }> {
    if (options?.onlyIfNew === true && this.#blobs.has(key)) return { modified: false };
    this.#version += 1;
    this.#blobs.set(key, { etag: this.nextEtag ?? `"v${this.#version}"`, data: structuredClone(data) });
    this.sets.push(key);
    return { modified: true };
  }

  async get(key: string, _options: { type: 'json' }): Promise<unknown> {
    this.gets.push(key);
    this.inFlightGets += 1;
    this.maxInFlightGets = Math.max(this.maxInFlightGets, this.inFlightGets);
    await nextMacrotask(); // a round trip: let the other reads start before this one answers
    this.inFlightGets -= 1;
    this.beforeGet?.(key);
    const blob = this.#blobs.get(key);
    return blob === undefined ? null : structuredClone(blob.data);
  }

  async list(): Promise<{ blobs: { key: string; etag: string }[] }> {
    this.lists += 1;
    return { blobs: [...this.#blobs].map(([key, { etag }]) => ({ key, etag })) };
  }

  async deleteAll(): Promise<{ deletedBlobs: number }> {
    const deletedBlobs = this.#blobs.size;
    this.#blobs.clear();
    return { deletedBlobs };
  }

  /** Forgets the counters, so a test can count the round trips of one call. */
  resetCounts(): void {
    this.lists = 0;
    this.gets.length = 0;
    this.maxInFlightGets = 0;
  }
}

/** A new module instance, as a new container gets: its own module-scope cache. */
async function newContainer(): Promise<CollectStoreClass> {
  vi.resetModules();
  return (await import('../../src/lib/collect-store.ts')).CollectStore;
}

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

describe('CollectStore.list reads each blob once per module instance (module-scope cache keyed by etag)', () => {
  let blobs: FakeBlobStore;
  let CollectStore: CollectStoreClass;
  beforeEach(async () => {
    blobs = new FakeBlobStore();
    CollectStore = await newContainer();
  });

  const payloads = async (store: InstanceType<CollectStoreClass>): Promise<unknown[]> => (await store.list()).map((i) => i.payload);

  it('a second list with nothing changed makes 1 list and 0 gets', async () => {
    const store = new CollectStore(blobs);
    await store.add({ payload: { a: 1 }, idempotencyKey: 'a', receivedAtMs: T0 });
    await store.add({ payload: { b: 2 }, idempotencyKey: 'b', receivedAtMs: T0 + 1 });
    expect(await payloads(store)).toEqual([{ a: 1 }, { b: 2 }]);
    expect(blobs.gets).toHaveLength(2);

    blobs.resetCounts();
    expect(await payloads(new CollectStore(blobs))).toEqual([{ a: 1 }, { b: 2 }]); // a new request, same module
    expect({ lists: blobs.lists, gets: blobs.gets.length }).toEqual({ lists: 1, gets: 0 });
  });

  it('after another container adds an item, reads only that item, and keeps arrival order', async () => {
    const reader = new CollectStore(blobs);
    await reader.add({ payload: 'second', idempotencyKey: 'b', receivedAtMs: T0 + 10 });
    await reader.list();

    const writer = new (await newContainer())(blobs);
    await writer.add({ payload: 'first', idempotencyKey: 'a', receivedAtMs: T0 });
    blobs.resetCounts();
    expect(await payloads(reader)).toEqual(['first', 'second']);
    expect({ lists: blobs.lists, gets: blobs.gets }).toEqual({ lists: 1, gets: [blobs.sets.at(-1)] });
  });

  it('re-reads a blob another container deleted and re-created with a new etag', async () => {
    const reader = new CollectStore(blobs);
    await reader.add({ payload: { v: 1 }, idempotencyKey: 'k', receivedAtMs: T0 });
    expect(await payloads(reader)).toEqual([{ v: 1 }]);

    const other = new (await newContainer())(blobs);
    await other.clear();
    await other.add({ payload: { v: 2 }, idempotencyKey: 'k', receivedAtMs: T0 + 1 });
    blobs.resetCounts();
    expect(await payloads(reader)).toEqual([{ v: 2 }]);
    expect(blobs.gets).toHaveLength(1);
  });

  it('re-reads a blob re-created with the same etag (BlobsServer, same millisecond) when a list saw it gone', async () => {
    blobs.nextEtag = '"same-mtime"';
    const reader = new CollectStore(blobs);
    await reader.add({ payload: { v: 1 }, idempotencyKey: 'k', receivedAtMs: T0 });
    await reader.list();

    const other = new (await newContainer())(blobs);
    await other.clear();
    expect(await payloads(reader)).toEqual([]); // the listing without the key drops the cached read
    await other.add({ payload: { v: 2 }, idempotencyKey: 'k', receivedAtMs: T0 });
    expect(await payloads(reader)).toEqual([{ v: 2 }]);
  });

  it("forgets its own reads on its own DELETE and POST, even when the etag repeats", async () => {
    blobs.nextEtag = '"same-mtime"';
    const store = new CollectStore(blobs);
    await store.add({ payload: { v: 1 }, idempotencyKey: 'k', receivedAtMs: T0 });
    await store.list();
    await store.clear();
    await store.add({ payload: { v: 2 }, idempotencyKey: 'k', receivedAtMs: T0 });
    expect(await payloads(store)).toEqual([{ v: 2 }]);

    // The same through another CollectStore of this module instance: the cache is per module, not per object.
    await new CollectStore(blobs).clear();
    await new CollectStore(blobs).add({ payload: { v: 3 }, idempotencyKey: 'k', receivedAtMs: T0 });
    expect(await payloads(store)).toEqual([{ v: 3 }]);
  });

  it('leaves out an item deleted between list and get, and does not cache the miss', async () => {
    const store = new CollectStore(blobs);
    await store.add({ payload: 'gone', idempotencyKey: 'k', receivedAtMs: T0 });
    blobs.beforeGet = () => void blobs.deleteAll(); // another container's DELETE lands between list and get
    expect(await store.list()).toEqual([]);

    blobs.beforeGet = undefined;
    const other = new (await newContainer())(blobs);
    await other.add({ payload: 'back', idempotencyKey: 'k', receivedAtMs: T0 + 1 });
    blobs.resetCounts();
    expect(await payloads(store)).toEqual(['back']);
    expect(blobs.gets).toHaveLength(1);
  });

  it('reads a blob listed without an etag every time (nothing to validate a cached read against)', async () => {
    blobs.nextEtag = '';
    const store = new CollectStore(blobs);
    await store.add({ payload: 1, idempotencyKey: 'k', receivedAtMs: T0 });
    await store.list();
    blobs.resetCounts();
    expect(await payloads(store)).toEqual([1]);
    expect(blobs.gets).toHaveLength(1);
  });

  it('reads at most 16 blobs at once', async () => {
    const store = new CollectStore(blobs);
    for (let i = 0; i < 40; i++) await store.add({ payload: i, idempotencyKey: `k${i}`, receivedAtMs: T0 + i });
    expect(await payloads(store)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(blobs.maxInFlightGets).toBe(16);
  });

  it('fails with STORE_FAILED when a read fails, and still lists afterwards', async () => {
    const store = new CollectStore(blobs);
    await store.add({ payload: 1, idempotencyKey: 'k', receivedAtMs: T0 });
    blobs.beforeGet = () => {
      throw new Error('backend down');
    };
    await expect(store.list()).rejects.toMatchObject({ code: 'STORE_FAILED' });
    blobs.beforeGet = undefined;
    expect(await payloads(store)).toEqual([1]);
  });
});
