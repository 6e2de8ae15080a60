import { connect } from 'node:net';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { repoRoot } from '../server/helpers.ts';

export const reliabilitySite = path.join(repoRoot, 'test', 'reliability', 'fixtures', 'site');

/** What came back on a raw connection: the response text, parsed, and whether the server closed. */
export interface RawExchange {
  raw: string;
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The server ended the connection (FIN) after its answer. */
  closedByServer: boolean;
}

/**
 * Writes `bytes` on a fresh TCP connection and reads until the server closes it. For requests that a
 * well-behaved client library refuses to send (bad framing, control bytes, smuggling patterns).
 */
export function rawExchange(url: string, bytes: string | Buffer, options: { keepWriting?: () => Buffer | null } = {}): Promise<RawExchange> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    onTestFinished(() => void socket.destroy());
    const chunks: Buffer[] = [];
    let closedByServer = false;
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => {
      closedByServer = true;
      socket.end();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      const raw = Buffer.concat(chunks).toString('latin1');
      const match = /^HTTP\/1\.1 (\d{3})[^\r]*\r\n([\s\S]*?)\r\n\r\n([\s\S]*)$/.exec(raw);
      if (!match) {
        reject(new Error(`no HTTP response: ${JSON.stringify(raw.slice(0, 200))}`));
        return;
      }
      const headers: Record<string, string> = {};
      for (const line of (match[2] ?? '').split('\r\n')) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ raw, status: Number(match[1]), headers, body: match[3] ?? '', closedByServer });
    });
    socket.write(bytes);
    const more = options.keepWriting;
    if (more) {
      const pump = (): void => {
        for (;;) {
          const next = more();
          if (next === null || socket.destroyed) return;
          if (!socket.write(next)) {
            socket.once('drain', pump);
            return;
          }
        }
      };
      pump();
    }
  });
}

/** The parsed JSON error body `{"error":{"code","message"}}`. */
export function errorCode(body: string): string {
  return (JSON.parse(body) as { error: { code: string; message: string } }).error.code;
}
