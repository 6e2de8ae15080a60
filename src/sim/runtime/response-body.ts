/**
 * Inside a container: reading a v2 `Response` body. A body that is whole without waiting (a string,
 * JSON, bytes) travels to the simulator in one message; one still being produced streams chunk by chunk.
 */

/** What could be read without waiting: the whole body, or the chunks so far and how to read on. */
export type ReadyBody =
  | { complete: true; body: Uint8Array | null }
  | { complete: false; chunks: Uint8Array[]; reader: ReadableStreamDefaultReader<Uint8Array>; pending: ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']> };

/** Resolves on the next turn of the event loop: by then, a body that needs no I/O has been read. */
function nextTurn(): { reached: Promise<'later'>; cancel: () => void } {
  let immediate: NodeJS.Immediate | undefined;
  const reached = new Promise<'later'>((resolve) => {
    immediate = setImmediate(() => resolve('later'));
  });
  return { reached, cancel: () => clearImmediate(immediate) };
}

/**
 * Reads the chunks of a body that are available without waiting for I/O or timers. A body built
 * from a string, JSON or bytes completes within the current turn; one that is still being produced
 * (a stream fed by timers or network) is not complete by the next turn, and is streamed from there.
 * A body that fails while being read counts as not complete: the streaming path reports the error.
 */
export async function readReadyBody(body: ReadableStream<Uint8Array> | null): Promise<ReadyBody> {
  if (body === null) return { complete: true, body: null };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  const later = nextTurn();
  for (;;) {
    const pending = reader.read();
    const next = await Promise.race([pending, later.reached]).catch(() => 'later' as const);
    if (next === 'later') return { complete: false, chunks, reader, pending };
    if (next.done) {
      // Not left to fire after the freeze that follows.
      later.cancel();
      return { complete: true, body: concat(chunks) };
    }
    chunks.push(next.value);
  }
}

/** One buffer out of many (the only one, without copying, when there is just one). */
export function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1 && chunks[0]) return chunks[0];
  const bytes = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
