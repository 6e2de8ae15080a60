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
  list(): Promise<{ blobs: { key: string }[] }>;
  deleteAll(): Promise<{ deletedBlobs: number }>;
}

/** Blob store name used by collect. */
export const COLLECT_STORE_NAME = 'collect';

let sequence = 0;

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
    const result = await this.#guard(() => this.#store.setJSON(blobKey(item.idempotencyKey), record, { onlyIfNew: true }));
    return { stored: result.modified };
  }

  /** Every stored delivery, in arrival order. */
  async list(): Promise<CollectedItem[]> {
    const { blobs } = await this.#guard(() => this.#store.list());
    const records = await this.#guard(() => mapLimited(blobs, 16, (b) => this.#store.get(b.key, { type: 'json' })));
    return records
      .filter(isStoredItem) // an item deleted between list and get reads as null
      .sort((a, b) => a.receivedAtMs - b.receivedAtMs || a.sequence - b.sequence)
      .map(({ payload, receivedAt, idempotencyKey }) => ({ payload, receivedAt, idempotencyKey }));
  }

  /** Deletes every stored delivery. @returns how many were deleted */
  async clear(): Promise<number> {
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
