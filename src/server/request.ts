/**
 * Reading a node:http request into what the simulator takes: its body (bounded), its header fields
 * (hop-by-hop ones dropped) and the client's address.
 */
import type { IncomingMessage } from 'node:http';
import { headerList } from '../sim/index.ts';
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

/** The request's header fields as the simulator takes them (see BufferedRequest), hop-by-hop ones left out. */
export function requestHeaders(req: IncomingMessage): Array<[string, string]> {
  const fields = new Map<string, string[]>();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    if (hopByHopHeaders.has(name)) continue;
    const value = raw[i + 1] as string;
    const values = fields.get(name);
    if (values) values.push(value);
    else fields.set(name, [value]);
  }
  return headerList(fields);
}

/** The client's IP address as Netlify reports it. */
export function clientIp(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '127.0.0.1';
  // An IPv4 client on a dual-stack socket shows up as ::ffff:a.b.c.d; Netlify reports the IPv4 form.
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}
