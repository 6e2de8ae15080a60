/**
 * `node bench/container-rss.ts`: what one container costs in resident memory, and what a burst of 500
 * concurrent requests costs with the server's burst policy (docs/reliability.md quotes its output).
 *
 * 1. Per container: N requests to a function held busy by a gate (it fetches a URL that answers only
 *    when released, as send-data waits for collect) make N containers; RSS is read from /proc with 1
 *    and with N busy, then again once they are all frozen (idle).
 * 2. Burst: 500 concurrent POSTs to send-data-wait-until (each delivering to collect) through the
 *    default per-function limit; the peak RSS and the peak container count are sampled while it runs.
 *
 * Loopback only, bounded (one burst), and it stops everything it started.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalServer, type RunningLocalServer } from '../src/server/start.ts';
import type { HttpSettings } from '../src/server/http-settings.ts';
import { resolveSite } from '../src/site/site.ts';

const repoRoot = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const fixtureSite = path.join(repoRoot, 'test', 'server', 'fixtures', 'site');
const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);

function rssBytes(): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return Number(match?.[1] ?? 0) * 1024;
}

function threads(): number {
  const match = /^Threads:\s+(\d+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return Number(match?.[1] ?? 0);
}

async function settle(): Promise<void> {
  globalThis.gc?.();
  await new Promise((resolve) => setTimeout(resolve, 300));
}

async function start(rootDir: string, http: HttpSettings): Promise<{ running: RunningLocalServer; cleanup: () => Promise<void> }> {
  const blobsDirectory = await mkdtemp(path.join(os.tmpdir(), 'rss-blobs-'));
  const running = await startLocalServer({ site: await resolveSite(rootDir), port: 0, blobsDirectory, http });
  return {
    running,
    cleanup: async () => {
      await running.close();
      await rm(blobsDirectory, { recursive: true, force: true });
    },
  };
}

async function gate(): Promise<{ url: string; arrived: (n: number) => Promise<void>; release: () => void; close: () => void }> {
  const held: ServerResponse[] = [];
  let released = false;
  const server = createServer((_req, res) => (released ? res.end('go') : void held.push(res)));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    arrived: async (n) => {
      while (held.length < n) await new Promise((resolve) => setTimeout(resolve, 20));
    },
    release: () => {
      released = true;
      for (const res of held.splice(0)) res.end('go');
    },
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

async function perContainer(count: number): Promise<void> {
  const { running, cleanup } = await start(fixtureSite, { functionConcurrency: count });
  const held = await gate();
  const one = fetch(`${running.url}/api/gate`, { headers: { 'x-gate': held.url } });
  await held.arrived(1);
  await settle();
  const withOne = rssBytes();
  const more = Array.from({ length: count - 1 }, () => fetch(`${running.url}/api/gate`, { headers: { 'x-gate': held.url } }));
  await held.arrived(count);
  await settle();
  const withAll = rssBytes();
  const threadCount = threads();
  held.release();
  await Promise.all([one, ...more].map(async (res) => (await res).text()));
  await settle();
  const idle = rssBytes();
  console.log(
    `per container (${count} busy): RSS ${mib(withOne)} MiB with 1, ${mib(withAll)} MiB with ${count} (${threadCount} threads), ${mib(idle)} MiB once all froze` +
      ` => ${mib((withAll - withOne) / (count - 1))} MiB per busy container, ${mib((idle - withOne) / (count - 1))} MiB per frozen one`,
  );
  held.close();
  await cleanup();
}

async function burst(total: number, http: HttpSettings): Promise<void> {
  const { running, cleanup } = await start(repoRoot, http);
  const before = rssBytes();
  let peak = before;
  let peakContainers = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssBytes());
    peakContainers = Math.max(peakContainers, running.server.simulator.containers().length);
  }, 50);
  const startedMs = Date.now();
  const statuses = await Promise.all(
    Array.from({ length: total }, async (_, i) => {
      const res = await fetch(`${running.url}/api/send-data-wait-until`, { method: 'POST', body: JSON.stringify({ i }), headers: { 'idempotency-key': `burst-${i}` } });
      await res.text();
      return res.status;
    }),
  );
  // The waitUntil deliveries finish after the answers: wait for every container to freeze.
  while (running.server.load.running > 0) await new Promise((resolve) => setTimeout(resolve, 50));
  clearInterval(sampler);
  const stored = ((await (await fetch(`${running.url}/api/collect`)).json()) as { items: unknown[] }).items.length;
  const counts = new Map<number, number>();
  for (const status of statuses) counts.set(status, (counts.get(status) ?? 0) + 1);
  console.log(
    `burst of ${total} to send-data-wait-until, function concurrency ${running.server.concurrency.limit}: ${[...counts].map(([s, n]) => `${n} x ${s}`).join(', ')}, ${stored} stored, ` +
      `peak ${peakContainers} containers, RSS ${mib(before)} -> peak ${mib(peak)} MiB (+${mib(peak - before)}), ${((Date.now() - startedMs) / 1000).toFixed(1)} s`,
  );
  await cleanup();
}

const arg = process.argv[2] ?? 'all';
if (arg === 'all' || arg === 'per-container') await perContainer(Number(process.argv[3] ?? 50));
if (arg === 'all' || arg === 'burst') await burst(500, {});
if (arg === 'burst-limit') await burst(Number(process.argv[4] ?? 500), { functionConcurrency: Number(process.argv[3] ?? 32) });
