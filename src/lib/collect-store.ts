import { createHash } from 'node:crypto';
import { getStore } from '@netlify/blobs';
import { AppError } from './errors.ts';

/** One delivery as collect reports it. */
export interface CollectedItem {
  payload: unknown;
  /** When collect received it (ISO 8601). */
  receivedAt: string;
  idempotencyKey: string;
}

/** What is stored per blob: the item plus what arrival order is sorted by. */
interface StoredItem extends CollectedItem {
  receivedAtMs: number;
  /** Per-container counter: breaks ties between items received in the same millisecond. */
  sequence: number;
}

/** The subset of a Netlify Blobs `Store` this module uses (so a test can see exactly what it relies on). */
export interface BlobStore {
  setJSON(key: string, data: unknown, options?: { onlyIfNew?: boolean }): Promise<{ modified: boolean }>;
  get(key: string, options: { type: 'json' }): Promise<unknown>;
  /** `etag` changes whenever the blob is written; {@link CollectStore.list} trusts a cached read only while it matches. */
  list(): Promise<{ blobs: { key: string; etag: string }[] }>;
  deleteAll(): Promise<{ deletedBlobs: number }>;
}

/** Blob store name used by collect. */
export const COLLECT_STORE_NAME = 'collect';

/** Blob reads in flight at once while listing: enough to hide round trips, few enough not to flood the backend. */
const GET_CONCURRENCY = 16;

let sequence = 0;

/** One blob as this container last read it, and the etag it was listed with at the time. */
interface CachedRead {
  etag: string;
  record: StoredItem;
}

/**
 * Blobs this module instance has already read, by blob key. Module scope on purpose: a warm container
 * keeps its module state between invocations (the behaviour this project models), while every request
 * opens a new CollectStore. Blobs here are written once (`onlyIfNew`), so a read stays right for as long
 * as the store lists the blob with the same etag. Only keys the last listing returned are kept, so the
 * map never outgrows the store and a key deleted elsewhere is forgotten.
 *
 * It belongs to the one site-wide `collect` store: every CollectStore in this module instance shares it.
 */
const readCache = new Map<string, CachedRead>();

/**
 * The sink's storage: one blob per idempotency key.
 * - A repeated key is stored once: the write is conditional (`onlyIfNew`), and even two racing writes
 *   of one key land on the same blob, so a key can never appear twice.
 * - Concurrent POSTs lose nothing: different keys are different blobs, with no shared document to
 *   read-modify-write.
 */
export class CollectStore {
  readonly #store: BlobStore;

  constructor(store: BlobStore) {
    this.#store = store;
  }

  /**
   * Opens the site-wide `collect` store from the environment (`NETLIFY_BLOBS_CONTEXT`, set by Netlify,
   * netlify dev, or `startLocalBlobs`). Strong consistency, so a GET right after a POST sees it.
   */
  static open(): CollectStore {
    try {
      return new CollectStore(getStore({ name: COLLECT_STORE_NAME, consistency: 'strong' }));
    } catch (error) {
      throw new AppError('MISCONFIGURED', 'Netlify Blobs is not configured in this environment.', { cause: error });
    }
  }

  /** Stores one delivery unless its key was stored before. */
  async add(item: { payload: unknown; idempotencyKey: string; receivedAtMs: number }): Promise<{ stored: boolean }> {
    sequence += 1;
    const record: StoredItem = {
      payload: item.payload,
      receivedAt: new Date(item.receivedAtMs).toISOString(),
      idempotencyKey: item.idempotencyKey,
      receivedAtMs: item.receivedAtMs,
      sequence,
    };
    const key = blobKey(item.idempotencyKey);
    const result = await this.#guard(() => this.#store.setJSON(key, record, { onlyIfNew: true }));
    // A new blob under a key this container has cached means the old one was deleted meanwhile: forget
    // the old read even if the etag happens to repeat (see `list`).
    if (result.modified) readCache.delete(key);
    return { stored: result.modified };
  }

  /**
   * Every stored delivery, in arrival order.
   *
   * Lists the store on every call (strong consistency: another container may have added or deleted
   * items), but only reads blobs this module instance has not read before, or whose etag changed.
   * Netlify's etag follows the content, and every write carries a new `receivedAt`, so a re-created blob
   * is re-read.
   *
   * Known gap, local BlobsServer only (netlify dev, `npm start`, the tests): its etag is an HMAC of the
   * file's path and mtime in whole milliseconds. If the first write, this container's read of it, another
   * container's DELETE and its re-creation of the same key all land in one millisecond, the new blob
   * lists with the old etag and this container keeps returning the old payload. Back-to-back in one
   * process that happened in about 6% of tries; through the dev server a single request takes longer than
   * that millisecond. A list in between drops the deleted key, and this container's own DELETE or POST
   * drops its reads, so only that cross-container sequence remains.
   *
   * Payloads in the result are shared with the cache: treat them as read-only.
   */
  async list(): Promise<CollectedItem[]> {
    const { blobs } = await this.#guard(() => this.#store.list());
    const listed = new Set(blobs.map((b) => b.key));
    for (const key of readCache.keys()) {
      if (!listed.has(key)) readCache.delete(key);
    }
    const records: StoredItem[] = [];
    const unread: { key: string; etag: string }[] = [];
    for (const blob of blobs) {
      const cached = readCache.get(blob.key);
      if (cached !== undefined && cached.etag === blob.etag) records.push(cached.record);
      else unread.push(blob);
    }
    const fetched = await this.#guard(() =>
      mapLimited(unread, GET_CONCURRENCY, async ({ key, etag }) => {
        const value = await this.#store.get(key, { type: 'json' });
        // An item deleted between list and get reads as null: neither returned nor cached. Without an
        // etag (BlobsServer lists "" when it cannot stat the file) a read could never be validated.
        if (!isStoredItem(value)) {
          readCache.delete(key);
          return undefined;
        }
        if (etag === '') readCache.delete(key);
        else readCache.set(key, { etag, record: value });
        return value;
      }),
    );
    for (const record of fetched) {
      if (record !== undefined) records.push(record);
    }
    return records
      .sort((a, b) => a.receivedAtMs - b.receivedAtMs || a.sequence - b.sequence)
      .map(({ payload, receivedAt, idempotencyKey }) => ({ payload, receivedAt, idempotencyKey }));
  }

  /** Deletes every stored delivery. @returns how many were deleted */
  async clear(): Promise<number> {
    // Forget reads first: even if the delete fails part way, the next list re-reads what is left.
    readCache.clear();
    const { deletedBlobs } = await this.#guard(() => this.#store.deleteAll());
    return deletedBlobs;
  }

  async #guard<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw new AppError('STORE_FAILED', 'The blob store failed.', { cause: error });
    }
  }
}

/** Keys are hashed: a client's idempotency key may hold characters a blob key cannot (such as '/'). */
function blobKey(idempotencyKey: string): string {
  return createHash('sha256').update(idempotencyKey).digest('hex');
}

function isStoredItem(value: unknown): value is StoredItem {
  return (
    typeof value === 'object' &&
    value !== null &&
    'receivedAtMs' in value &&
    typeof value.receivedAtMs === 'number' &&
    'sequence' in value &&
    typeof value.sequence === 'number' &&
    'idempotencyKey' in value &&
    typeof value.idempotencyKey === 'string' &&
    'receivedAt' in value &&
    typeof value.receivedAt === 'string'
  );
}

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
