/**
 * `npm run soak`: nothing acknowledged is lost across a restart.
 *
 * Starts `npm start`'s server (src/cli/main.ts serve) in a throwaway copy of the site (its own Blobs store,
 * so the checkout's data is neither read nor changed), on a free loopback port. Concurrent senders POST
 * payloads to send-data-wait-until and send-data, each with its own Idempotency-Key, retrying (same key)
 * until a 200 `OK`. After a third of the acknowledgements the server gets SIGTERM in the middle of the
 * traffic and is started again on the same port. At the end collect's list is compared with what was
 * acknowledged. Prints acknowledged, stored, lost and duplicated, and exits 1 unless lost and duplicated
 * are 0 and the shutdown ended by itself with exit code 0.
 *
 * Bounded: SOAK_SENDERS (default 20) x SOAK_PER_SENDER (default 20) payloads, and the whole run stops
 * after 110 s whatever happens. Loopback only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const projectRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
const senders = Number(process.env.SOAK_SENDERS ?? 20);
const perSender = Number(process.env.SOAK_PER_SENDER ?? 20);
const total = senders * perSender;
const runDeadlineMs = Date.now() + 110_000;

function isolatedSite(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'soak-site-'));
  for (const entry of ['functions', 'src', 'netlify.toml', 'package.json', 'tsconfig.json']) {
    if (existsSync(join(projectRoot, entry))) cpSync(join(projectRoot, entry), join(dir, entry), { recursive: true });
  }
  symlinkSync(join(projectRoot, 'node_modules'), join(dir, 'node_modules'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

interface Running {
  child: ChildProcess;
  log: string[];
  exited: Promise<number | null>;
}

async function startServer(dir: string, port: number): Promise<Running> {
  const child = spawn(process.execPath, ['--max-semi-space-size=8', 'src/cli/main.ts', 'serve'], {
    cwd: dir,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  for (const stream of [child.stdout, child.stderr]) stream?.setEncoding('utf8').on('data', (chunk: string) => log.push(...chunk.split('\n').filter(Boolean)));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  while (!log.some((line) => line.startsWith('Serving '))) {
    if (child.exitCode !== null) throw new Error(`server exited: ${log.join('\n')}`);
    await delay(50);
  }
  return { child, log, exited };
}

const acknowledged = new Set<string>();
const attempts = { total: 0, refused: 0, failed: 0 };
let afterAck: (() => void) | undefined;

async function send(base: () => string, target: string, key: string, payload: unknown): Promise<void> {
  for (let attempt = 0; Date.now() < runDeadlineMs; attempt++) {
    attempts.total += 1;
    try {
      const res = await fetch(`${base()}/api/${target}`, {
        method: 'POST',
        body: JSON.stringify(payload),
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        signal: AbortSignal.timeout(15_000),
      });
      const text = await res.text();
      if (res.status === 200 && text === 'OK') {
        acknowledged.add(key);
        afterAck?.();
        return;
      }
      attempts.refused += 1;
    } catch {
      attempts.failed += 1;
    }
    await delay(Math.min(1000, 50 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random() / 2));
  }
}

async function main(): Promise<number> {
  const site = isolatedSite();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let server = await startServer(site.dir, port);
  const logs: string[][] = [server.log];
  let exitCode: number | null = null;
  let shutdownMs = 0;
  try {
    const restartAt = Math.floor(total / 3);
    const restarted = new Promise<void>((resolveRestart) => {
      afterAck = () => {
        if (acknowledged.size !== restartAt) return;
        afterAck = undefined;
        void (async () => {
          const started = Date.now();
          server.child.kill('SIGTERM');
          exitCode = await server.exited;
          shutdownMs = Date.now() - started;
          server = await startServer(site.dir, port);
          logs.push(server.log);
          resolveRestart();
        })();
      };
    });
    const work = Array.from({ length: senders }, async (_, sender) => {
      for (let i = 0; i < perSender; i++) {
        const target = sender % 2 === 0 ? 'send-data-wait-until' : 'send-data';
        await send(() => url, target, `soak-${sender}-${i}`, { sender, i });
      }
    });
    await Promise.all(work);
    await restarted;
    // Acknowledged waitUntil deliveries may still be under way in the new server: wait for them.
    let stored: Array<{ payload: { sender: number; i: number }; idempotencyKey: string }> = [];
    while (Date.now() < runDeadlineMs) {
      stored = ((await (await fetch(`${url}/api/collect`)).json()) as { items: typeof stored }).items;
      if ([...acknowledged].every((key) => stored.some((item) => item.idempotencyKey === key))) break;
      await delay(200);
    }
    const storedKeys = new Map<string, number>();
    for (const item of stored) storedKeys.set(item.idempotencyKey, (storedKeys.get(item.idempotencyKey) ?? 0) + 1);
    const payloadIds = new Map<string, number>();
    for (const item of stored) {
      const id = `${item.payload.sender}-${item.payload.i}`;
      payloadIds.set(id, (payloadIds.get(id) ?? 0) + 1);
    }
    const lost = [...acknowledged].filter((key) => !storedKeys.has(key));
    const duplicated = [...payloadIds.values()].filter((count) => count > 1).length + [...storedKeys.values()].filter((count) => count > 1).length;
    console.log(`senders ${senders} x ${perSender} payloads, SIGTERM + restart after ${restartAt} acknowledgements`);
    console.log(`attempts ${attempts.total} (refused ${attempts.refused}, failed to connect or reset ${attempts.failed})`);
    console.log(`shutdown: exit code ${exitCode}, ${shutdownMs} ms from SIGTERM to exit`);
    console.log(`acknowledged ${acknowledged.size}, stored ${stored.length}, lost ${lost.length}, duplicated ${duplicated}`);
    const warnings = logs.flat().filter((line) => line.startsWith('WARN'));
    if (warnings.length > 0) console.log(`server warnings:\n  ${warnings.slice(0, 20).join('\n  ')}`);
    if (lost.length > 0) console.log(`lost: ${lost.slice(0, 20).join(', ')}`);
    return lost.length === 0 && duplicated === 0 && acknowledged.size === total && exitCode === 0 ? 0 : 1;
  } finally {
    server.child.kill('SIGTERM');
    await Promise.race([server.exited, delay(15_000)]);
    if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    site.remove();
  }
}

const code = await Promise.race([main(), delay(120_000).then(() => {
  console.log('soak: did not finish within 120 s');
  return 1;
})]);
process.exit(code);
