/**
 * Inside a container: Lambda response streaming for v1 functions, the `awslambda` global that Lambda's
 * Node runtime provides. @netlify/functions' `stream()` wrapper (v6: `src/lib/stream.ts`) calls
 * `awslambda.streamifyResponse(async (event, responseStream, context) => ...)` at module scope and
 * writes the handler's `{statusCode, headers, body}` through `awslambda.HttpResponseStream.from(stream,
 * metadata)`. Those two are modelled here: the metadata becomes the response head, each write a chunk,
 * so the client gets the first bytes before the handler finishes.
 */
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

const STREAMING = Symbol.for('stateful-serverless.streaming-handler');
const METADATA = Symbol.for('stateful-serverless.stream-metadata');

type StreamingHandler = (event: unknown, responseStream: Writable, context: unknown) => unknown;

/** The head a streamed v1 response starts with (`HttpResponseStream.from`'s metadata). */
export interface StreamHead {
  status: number;
  headers: Array<[string, string]>;
}

/** Where a streamed response goes: the runtime posts these to the simulator. */
export interface StreamSink {
  head(head: StreamHead): void;
  chunk(bytes: Uint8Array): void;
}

/** Installs `globalThis.awslambda` before the function's module is evaluated. */
export function installLambdaGlobals(): void {
  const streamifyResponse = (handler: StreamingHandler): StreamingHandler => {
    const wrapped: StreamingHandler = (event, responseStream, context) => handler(event, responseStream, context);
    Reflect.set(wrapped, STREAMING, true);
    return wrapped;
  };
  const HttpResponseStream = {
    from(stream: Writable, metadata: unknown): Writable {
      Reflect.set(stream, METADATA, metadata);
      return stream;
    },
  };
  Reflect.set(globalThis, 'awslambda', { streamifyResponse, HttpResponseStream });
}

/** Whether `handler` came out of `awslambda.streamifyResponse` (its third parameter is a stream, not a callback). */
export function isStreamingHandler(handler: unknown): boolean {
  return typeof handler === 'function' && Reflect.get(handler, STREAMING) === true;
}

function headOf(metadata: unknown): StreamHead {
  const meta = typeof metadata === 'object' && metadata !== null ? (metadata as Record<string, unknown>) : {};
  const status = typeof meta.statusCode === 'number' ? meta.statusCode : 200;
  const headers: Array<[string, string]> = [];
  const single = meta.headers;
  if (typeof single === 'object' && single !== null) {
    for (const [name, value] of Object.entries(single)) headers.push([name.toLowerCase(), String(value)]);
  }
  const multi = meta.multiValueHeaders;
  if (typeof multi === 'object' && multi !== null) {
    for (const [name, values] of Object.entries(multi)) {
      if (Array.isArray(values)) for (const value of values) headers.push([name.toLowerCase(), String(value)]);
    }
  }
  return { status, headers };
}

/**
 * Runs a streaming handler: the head goes out with the first write (or at the end, for an empty body),
 * then every write as a chunk. Resolves when the handler settled and the stream ended.
 */
export async function runStreamingHandler(handler: StreamingHandler, event: unknown, context: unknown, sink: StreamSink): Promise<void> {
  let headSent = false;
  const stream: Writable = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      sendHead();
      sink.chunk(typeof chunk === 'string' ? Buffer.from(chunk) : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      callback();
    },
    final(callback) {
      sendHead();
      callback();
    },
  });
  function sendHead(): void {
    if (headSent) return;
    headSent = true;
    sink.head(headOf(Reflect.get(stream, METADATA)));
  }
  await handler(event, stream, context);
  // A handler that resolved without ending its stream: Lambda ends the response when the handler settles.
  if (!stream.writableEnded) stream.end();
  await finished(stream);
}
