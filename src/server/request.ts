/**
 * Reading a node:http request into what the simulator takes: its body (bounded), its header fields
 * (hop-by-hop ones dropped) and the client's address.
 */
import type { IncomingMessage } from 'node:http';
import { ServerError } from './errors.ts';

// Hop-by-hop headers describe this TCP connection, not the request the function sees; the body is
// re-framed (buffered), so a `transfer-encoding: chunked` would be a lie.
const hopByHopHeaders = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);

/** The client went away before its request body arrived: nothing to answer. */
export class ClientGoneError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClientGoneError';
  }
}

/**
 * Buffers the body up to `limitBytes`; beyond it, stops reading and rejects with `ServerError`
 * `PAYLOAD_TOO_LARGE`. Null for an empty body. Rejects with {@link ClientGoneError} when the client
 * hangs up first. The bytes get a buffer of their own (not a slice of Node's shared pool), because they
 * are copied to a container thread, and copying a view copies its whole underlying buffer.
 */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<Uint8Array | null> {
  const tooLarge = (): ServerError =>
    new ServerError('PAYLOAD_TOO_LARGE', `request body exceeds the ${limitBytes}-byte limit for synchronous functions`);
  const declared = Number(req.headers['content-length']);
  // Refuse from the header alone: no point receiving megabytes that will be thrown away.
  if (Number.isFinite(declared) && declared > limitBytes) {
    req.pause();
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let sizeBytes = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      sizeBytes += chunk.length;
      if (sizeBytes > limitBytes) {
        cleanup();
        req.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      if (sizeBytes === 0) {
        resolve(null);
        return;
      }
      const bytes = new Uint8Array(sizeBytes);
      let offset = 0;
      for (const chunk of chunks) {
        bytes.set(chunk, offset);
        offset += chunk.length;
      }
      resolve(bytes);
    };
    const onClose = (): void => {
      cleanup();
      reject(new ClientGoneError('client disconnected before sending its whole body'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
  });
}

/**
 * The request's header fields as the simulator takes them (see BufferedRequest), hop-by-hop ones left
 * out: in a web `Headers`' iteration order (names sorted, a repeated field joined with ", " except
 * `set-cookie`), built straight from the raw pairs. Most requests repeat no field, so the pairs are
 * sorted in place and neighbours merged rather than grouped in a Map first, which took a
 * visible share of the server's thread under load.
 */
export function requestHeaders(req: IncomingMessage): Array<[string, string]> {
  const raw = req.rawHeaders;
  const list: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    if (!hopByHopHeaders.has(name)) list.push([name, raw[i + 1] as string]);
  }
  // Array#sort is stable: a repeated field's values stay in arrival order.
  list.sort(byName);
  let kept = 0;
  for (const field of list) {
    const previous = kept > 0 ? list[kept - 1] : undefined;
    if (previous !== undefined && previous[0] === field[0] && field[0] !== 'set-cookie') previous[1] = `${previous[1]}, ${field[1]}`;
    else list[kept++] = field;
  }
  list.length = kept;
  return list;
}

function byName(a: readonly [string, string], b: readonly [string, string]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/** The client's IP address as Netlify reports it. */
export function clientIp(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '127.0.0.1';
  // An IPv4 client on a dual-stack socket shows up as ::ffff:a.b.c.d; Netlify reports the IPv4 form.
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}
