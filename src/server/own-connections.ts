/**
 * Whether a connection to the server comes from this very process: from a container (a worker thread)
 * calling its own site through `URL`, as send-data-wait-until does when it delivers to collect.
 *
 * Shutdown needs the difference. It stops taking outside requests but must keep serving the containers'
 * own, or the waitUntil work it is draining fails and acknowledged payloads are lost. Both arrive from
 * 127.0.0.1 on the same port, and `URL` must stay the site's address (it is also `context.site.url`), so
 * the connection itself is asked: the peer's end of a loopback TCP connection is a socket, and
 * /proc/self/net/tcp{,6} plus /proc/self/fd tell whether this process holds it. Linux only; elsewhere
 * every loopback connection counts as the process's own (nothing is lost; outside loopback clients are
 * then served during the drain too).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { Socket } from 'node:net';
import { isLoopback } from './url.ts';

const verdicts = new WeakMap<Socket, boolean>();

/** True when the peer of `socket` is a socket held by this process. Cached per connection. */
export function isOwnConnection(socket: Socket): boolean {
  const cached = verdicts.get(socket);
  if (cached !== undefined) return cached;
  const verdict = decide(socket);
  verdicts.set(socket, verdict);
  return verdict;
}

function decide(socket: Socket): boolean {
  const peerPort = socket.remotePort;
  const serverPort = socket.localPort;
  if (!isLoopback(socket.remoteAddress ?? '') || peerPort === undefined || serverPort === undefined) return false;
  let tables: string[];
  try {
    tables = ['/proc/self/net/tcp', '/proc/self/net/tcp6'].map((file) => {
      try {
        return readFileSync(file, 'utf8');
      } catch {
        return '';
      }
    });
  } catch {
    return true;
  }
  if (tables.every((table) => table === '')) return true;
  const inode = peerInode(tables, peerPort, serverPort);
  if (inode === undefined) return false;
  const wanted = `socket:[${inode}]`;
  let fds: string[];
  try {
    fds = readdirSync('/proc/self/fd');
  } catch {
    return true;
  }
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === wanted) return true;
    } catch {
      // Closed since the directory was read.
    }
  }
  return false;
}

/** The inode of the socket whose local port is `peerPort` and whose remote port is `serverPort`. */
function peerInode(tables: string[], peerPort: number, serverPort: number): string | undefined {
  for (const table of tables) {
    for (const line of table.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      const remote = fields[2];
      const inode = fields[9];
      if (local === undefined || remote === undefined || inode === undefined) continue;
      if (port(local) === peerPort && port(remote) === serverPort && inode !== '0') return inode;
    }
  }
  return undefined;
}

function port(address: string): number {
  return Number.parseInt(address.slice(address.lastIndexOf(':') + 1), 16);
}
