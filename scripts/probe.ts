/**
 * `node scripts/probe.ts [filter]`: the hardening probes (issue 11) against real servers, printed as a
 * table of probe, expected, observed, and PASS/FAIL. Exits 1 if any probe fails.
 *
 * Every server is `src/cli/main.ts serve` (npm start's entry) in a child process, on a loopback port of
 * PROBE_PORT_BASE (default 9600) and up, in a throwaway copy of the site (its own Blobs store), or with
 * `--site` on a temporary site holding functions that misbehave. Traffic goes to 127.0.0.1 only; every
 * loop is bounded in count and time; every server started is stopped (SIGKILL at the end if need be).
 * A filter argument runs only the probes whose name contains it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { simAccessAllowed } from '../src/server/url.ts';

const projectRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
const cli = join(projectRoot, 'src', 'cli', 'main.ts');
let nextPort = Number(process.env.PROBE_PORT_BASE ?? 9600);
const filter = process.argv[2] ?? '';
const started = new Set<ChildProcess>();
const removals: (() => void)[] = [];

// ---------------------------------------------------------------- servers

interface Server {
  child: ChildProcess;
  port: number;
  base: string;
  log: string[];
  exited: Promise<number | null>;
}

function copySite(extraEnv?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'probe-site-'));
  removals.push(() => rmSync(dir, { recursive: true, force: true }));
  for (const entry of ['functions', 'src', 'public', 'netlify.toml', 'package.json', 'tsconfig.json']) {
    if (existsSync(join(projectRoot, entry))) cpSync(join(projectRoot, entry), join(dir, entry), { recursive: true });
  }
  symlinkSync(join(projectRoot, 'node_modules'), join(dir, 'node_modules'));
  if (extraEnv !== undefined) writeFileSync(join(dir, '.env'), extraEnv);
  return dir;
}

/** A site of functions that misbehave, served with --site. */
function faultSite(): string {
  const dir = mkdtempSync(join(tmpdir(), 'probe-faults-'));
  removals.push(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'functions'));
  mkdirSync(join(dir, 'public'));
  writeFileSync(join(dir, 'public', 'index.html'), '<p>probe</p>\n');
  writeFileSync(join(dir, 'secret.txt'), 'TOP-SECRET-PROBE\n');
  // Symlinks in the publish directory that lead out of it: static serving must not follow them out.
  symlinkSync('../secret.txt', join(dir, 'public', 'leak.txt'));
  symlinkSync('..', join(dir, 'public', 'up'));
  writeFileSync(join(dir, 'netlify.toml'), '[build]\n  publish = "public"\n[functions]\n  directory = "functions"\n[[redirects]]\n  from = "/api/*"\n  to = "/.netlify/functions/:splat"\n  status = 200\n');
  const fns: Record<string, string> = {
    'ok.mjs': `export default async () => new Response('ok');\n`,
    'blocked.mjs': `import { execFileSync } from 'node:child_process';\nexport default async () => { execFileSync('sleep', ['6']); return new Response('woke'); };\n`,
    'init-throws.mjs': `throw new Error('boom at init');\nexport default async () => new Response('never');\n`,
    'exits.mjs': `export default async (req) => { if (req.headers.get('x-fault')) process.exit(3); return new Response('ok'); };\n`,
    'oom.mjs': `export default async (req) => { if (req.headers.get('x-fault')) { const a = []; for (;;) a.push(new Array(1e6).fill({ x: Math.random() })); } return new Response('ok'); };\n`,
    'loops.mjs': `export default async (req) => { if (req.headers.get('x-fault')) for (;;) {} return new Response('ok'); };\n`,
  };
  for (const [name, text] of Object.entries(fns)) writeFileSync(join(dir, 'functions', name), text);
  return dir;
}

async function startServer(opts: { cwd?: string; site?: string; env?: Record<string, string>; args?: string[] }): Promise<Server> {
  const port = nextPort++;
  if (port > 9649) throw new Error('out of probe ports');
  const args = ['--max-semi-space-size=8', cli, 'serve', '--port', String(port), '--no-watch', ...(opts.site ? ['--site', opts.site] : []), ...(opts.args ?? [])];
  const child = spawn(process.execPath, args, {
    cwd: opts.cwd ?? projectRoot,
    env: { ...process.env, HOST: '127.0.0.1', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.add(child);
  const log: string[] = [];
  for (const stream of [child.stdout, child.stderr]) stream?.setEncoding('utf8').on('data', (chunk: string) => log.push(...chunk.split('\n').filter(Boolean)));
  const exited = once(child, 'exit').then(([code]) => {
    started.delete(child);
    return code as number | null;
  });
  const until = Date.now() + 30_000;
  while (!log.some((line) => line.startsWith('Serving '))) {
    if (child.exitCode !== null || Date.now() > until) throw new Error(`server did not start: ${log.join('\n')}`);
    await delay(50);
  }
  return { child, port, base: `http://127.0.0.1:${port}`, log, exited };
}

/** SIGTERM and time the exit (SIGKILL after 30 s so nothing is left behind). */
async function stop(server: Server): Promise<{ ms: number; code: number | null; killed: boolean }> {
  const t0 = Date.now();
  if (server.child.exitCode !== null) return { ms: 0, code: server.child.exitCode, killed: false };
  server.child.kill('SIGTERM');
  const code = await Promise.race([server.exited, delay(30_000, 'timeout' as const)]);
  if (code === 'timeout') {
    server.child.kill('SIGKILL');
    await server.exited;
    return { ms: Date.now() - t0, code: null, killed: true };
  }
  return { ms: Date.now() - t0, code, killed: false };
}

// ---------------------------------------------------------------- clients

interface Raw {
  status: number | undefined;
  code: string | undefined;
  json: boolean;
  closed: boolean;
  ms: number;
  text: string;
  error?: string;
}

/** Writes bytes on a raw connection, reads until the server closes or `timeoutMs`. */
function raw(port: number, bytes: string | Buffer, opts: { timeoutMs?: number; trickle?: { chunk: string; everyMs: number } } = {}): Promise<Raw> {
  const t0 = Date.now();
  return new Promise((resolvePromise) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let closed = false;
    let error: string | undefined;
    let timer: NodeJS.Timeout | undefined;
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => {
      closed = true;
      socket.end();
    });
    socket.on('error', (e) => {
      error = (e as NodeJS.ErrnoException).code ?? e.message;
    });
    const deadline = setTimeout(() => socket.destroy(), opts.timeoutMs ?? 5_000);
    socket.on('close', () => {
      clearTimeout(deadline);
      if (timer) clearInterval(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
      const body = text.split('\r\n\r\n').slice(1).join('\r\n\r\n');
      let code: string | undefined;
      let json = false;
      try {
        const parsed = JSON.parse(body.replace(/^[0-9a-f]+\r\n/, '').replace(/\r\n0\r\n\r\n$/, '')) as { error?: { code?: string } };
        json = true;
        code = parsed.error?.code;
      } catch {
        /* not JSON */
      }
      resolvePromise({ status: status === undefined ? undefined : Number(status), code, json, closed, ms: Date.now() - t0, text, ...(error !== undefined && { error }) });
    });
    socket.write(bytes);
    if (opts.trickle) {
      const { chunk, everyMs } = opts.trickle;
      timer = setInterval(() => {
        if (!socket.destroyed && !closed) socket.write(chunk);
      }, everyMs);
    }
  });
}

async function get(url: string, init?: RequestInit): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(20_000) });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

function codeOf(text: string): string | undefined {
  try {
    return (JSON.parse(text) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}

async function healthy(base: string, path = '/api/hello-world'): Promise<boolean> {
  try {
    return (await get(`${base}${path}`)).status === 200;
  } catch {
    return false;
  }
}

function rawSummary(r: Raw): string {
  return `${r.status ?? 'no status'}${r.json ? ` JSON ${r.code ?? '(no code)'}` : ' (not JSON)'}${r.closed ? ', closed' : ''} in ${r.ms} ms${r.error ? ` [${r.error}]` : ''}`;
}

/** Posts `bytes` with a chunked writer (http.request), returns the status the client saw or its error. */
function chunkedPost(url: string, totalBytes: number): Promise<string> {
  return new Promise((resolvePromise) => {
    const req = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } });
    const timer = setTimeout(() => req.destroy(new Error('probe timeout')), 20_000);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolvePromise(`${res.statusCode} ${codeOf(Buffer.concat(chunks).toString()) ?? ''}`.trim());
      });
      res.on('error', (e) => resolvePromise(`response error ${(e as NodeJS.ErrnoException).code ?? e.message}`));
    });
    req.on('error', (e) => {
      clearTimeout(timer);
      resolvePromise(`error ${(e as NodeJS.ErrnoException).code ?? e.message}`);
    });
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let sent = 0;
    const pump = (): void => {
      while (sent < totalBytes && !req.destroyed) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      if (!req.destroyed) req.end();
    };
    pump();
  });
}

// ---------------------------------------------------------------- probes

interface Result {
  name: string;
  expected: string;
  observed: string;
  pass: boolean;
}
const results: Result[] = [];

function record(name: string, expected: string, observed: string, pass: boolean): void {
  results.push({ name, expected, observed, pass });
  process.stdout.write(`${pass ? 'PASS' : 'FAIL'}  ${name}: ${observed}\n`);
}

function wanted(group: string): boolean {
  return filter === '' || group.includes(filter);
}

async function parserProbes(label: string, server: Server, healthPath: string): Promise<void> {
  const post = healthPath === '/api/ok' ? '/api/ok' : '/api/collect';
  const host = 'Host: 127.0.0.1\r\n';
  const cases: { name: string; bytes: string; status: number }[] = [
    { name: 'garbage', bytes: 'GARBAGE\r\n\r\n', status: 400 },
    { name: '431 20 KB header', bytes: `GET /api/hello-world HTTP/1.1\r\n${host}X-Big: ${'a'.repeat(20_000)}\r\n\r\n`, status: 431 },
    { name: '431 3,000 header lines', bytes: `GET /api/hello-world HTTP/1.1\r\n${host}${Array.from({ length: 3000 }, (_, i) => `X-H${i}: v\r\n`).join('')}\r\n`, status: 431 },
    { name: '431 90 KB URL', bytes: `GET /api/hello-world?${'q'.repeat(90_000)} HTTP/1.1\r\n${host}\r\n`, status: 431 },
    { name: 'control byte in header', bytes: `GET /api/hello-world HTTP/1.1\r\n${host}X-Ctl: a\x01b\r\n\r\n`, status: 400 },
    { name: 'NUL in header name', bytes: `GET /api/hello-world HTTP/1.1\r\n${host}X-\x00: b\r\n\r\n`, status: 400 },
    { name: 'bad Content-Length', bytes: `POST ${post} HTTP/1.1\r\n${host}Content-Length: abc\r\n\r\n{}`, status: 400 },
    { name: 'negative Content-Length', bytes: `POST ${post} HTTP/1.1\r\n${host}Content-Length: -1\r\n\r\n{}`, status: 400 },
    { name: 'duplicate Content-Length', bytes: `POST ${post} HTTP/1.1\r\n${host}Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}x`, status: 400 },
    { name: 'bad chunk framing', bytes: `POST ${post} HTTP/1.1\r\n${host}Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`, status: 400 },
    { name: 'CL+TE', bytes: `POST ${post} HTTP/1.1\r\n${host}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, status: 400 },
    { name: 'bad HTTP version', bytes: `GET / HTTP/9.9\r\n${host}\r\n`, status: 400 },
    { name: 'bare LF request', bytes: `GET /api/hello-world HTTP/1.1\n${host.replace('\r', '')}\n`, status: 0 },
    { name: 'unknown method', bytes: `FOO ${healthPath} HTTP/1.1\r\n${host}\r\n`, status: 0 },
    { name: 'asterisk-form target', bytes: `OPTIONS * HTTP/1.1\r\n${host}\r\n`, status: 0 },
    { name: 'CONNECT', bytes: `CONNECT 127.0.0.1:1 HTTP/1.1\r\n${host}\r\n`, status: 0 },
    { name: 'absolute-form target', bytes: `GET http://example.invalid${healthPath} HTTP/1.1\r\n${host}Connection: close\r\n\r\n`, status: 0 },
    { name: 'target without a slash', bytes: `GET api/ok HTTP/1.1\r\n${host}Connection: close\r\n\r\n`, status: 0 },
    { name: 'garbage Host header', bytes: `GET ${healthPath} HTTP/1.1\r\nHost: [::1\r\nConnection: close\r\n\r\n`, status: 0 },
    { name: 'Host with spaces', bytes: `GET ${healthPath} HTTP/1.1\r\nHost: a b c\r\nConnection: close\r\n\r\n`, status: 0 },
    { name: 'no Host (HTTP/1.1)', bytes: `GET ${healthPath} HTTP/1.1\r\nConnection: close\r\n\r\n`, status: 0 },
    { name: 'HTTP/1.0 without Host', bytes: `GET ${healthPath} HTTP/1.0\r\n\r\n`, status: 0 },
    { name: 'Expect: 100-continue, big CL, no body', bytes: `POST ${post} HTTP/1.1\r\n${host}Expect: 100-continue\r\nContent-Length: 10000000\r\nConnection: close\r\n\r\n`, status: 413 },
    { name: 'Transfer-Encoding: gzip, chunked', bytes: `POST ${post} HTTP/1.1\r\n${host}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`, status: 0 },
    { name: 'Transfer-Encoding: identity', bytes: `POST ${post} HTTP/1.1\r\n${host}Transfer-Encoding: identity\r\nConnection: close\r\n\r\n`, status: 0 },
  ];
  for (const c of cases) {
    const r = await raw(server.port, c.bytes);
    const ok = await healthy(server.base, healthPath);
    const pass = c.status === 0 ? ((r.status === undefined && r.closed) || (r.status !== undefined && r.status < 500 && (r.status < 400 || (r.json && r.code !== undefined)))) && ok : r.status === c.status && r.json && r.code !== undefined && r.closed && ok;
    record(`${label} ${c.name}`, c.status === 0 ? 'a 2xx or JSON 4xx, or a bounded close; still serving' : `${c.status} JSON with code, closed; still serving`, `${rawSummary(r)}; others served: ${ok}`, pass);
  }
  // Pipelining: two requests in one write, both answered in order.
  const p = await raw(server.port, `GET ${healthPath} HTTP/1.1\r\n${host}\r\nGET ${healthPath} HTTP/1.1\r\n${host}Connection: close\r\n\r\n`);
  const answers = p.text.match(/HTTP\/1\.1 \d{3}/g) ?? [];
  record(`${label} pipelining`, 'two 200s in order on one connection', `${answers.join(', ')}${p.closed ? ', closed' : ''}`, answers.length === 2 && answers.every((a) => a.endsWith('200')));
  // A pipelined second request that is garbage: first answered, second refused with JSON.
  const pg = await raw(server.port, `GET ${healthPath} HTTP/1.1\r\n${host}\r\nGARBAGE\r\n\r\n`);
  const pgAnswers = pg.text.match(/HTTP\/1\.1 \d{3}/g) ?? [];
  record(`${label} pipelined garbage`, '200 then 400 JSON', `${pgAnswers.join(', ')}; JSON error present: ${/MALFORMED_REQUEST/.test(pg.text)}`, pgAnswers.length === 2 && pgAnswers[0]?.endsWith('200') === true && /MALFORMED_REQUEST/.test(pg.text));
}

async function slowProbes(label: string, server: Server, healthPath: string): Promise<void> {
  // Slowloris: a header line every second, never finishing. Stalled body: 1 of 100 bytes. Both at once.
  const slow = raw(server.port, `GET ${healthPath} HTTP/1.1\r\nHost: 127.0.0.1\r\n`, { timeoutMs: 25_000, trickle: { chunk: 'X-Slow: 1\r\n', everyMs: 1_000 } });
  const stalled = raw(server.port, `POST ${healthPath === '/api/ok' ? '/api/ok' : '/api/collect'} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`, { timeoutMs: 45_000 });
  await delay(2_000);
  const okDuring = await healthy(server.base, healthPath);
  const [s, b] = await Promise.all([slow, stalled]);
  record(`${label} slowloris`, '408 JSON REQUEST_TIMEOUT within ~11 s; others served meanwhile', `${rawSummary(s)}; others served: ${okDuring}`, s.status === 408 && s.code === 'REQUEST_TIMEOUT' && s.ms < 13_000 && okDuring);
  record(`${label} stalled body (1 of 100 bytes)`, '408 JSON REQUEST_TIMEOUT within ~31 s', rawSummary(b), b.status === 408 && b.code === 'REQUEST_TIMEOUT' && b.ms < 33_000);
}

async function payloadLimitProbes(server: Server): Promise<void> {
  const big = Buffer.alloc(7 * 1024 * 1024, 'a');
  const fetchSeen: string[] = [];
  for (let i = 0; i < 5; i++) {
    try {
      const r = await get(`${server.base}/api/send-data`, { method: 'POST', body: big, headers: { 'content-type': 'application/json' } });
      fetchSeen.push(`${r.status} ${codeOf(r.text) ?? ''}`.trim());
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? ((error.cause as NodeJS.ErrnoException).code ?? error.cause.message) : String(error);
      fetchSeen.push(`error ${cause}`);
    }
  }
  record('413 fetch 7 MB x5', 'every try sees 413 PAYLOAD_TOO_LARGE', fetchSeen.join(', '), fetchSeen.every((s) => s === '413 PAYLOAD_TOO_LARGE'));
  const chunkedSeen: string[] = [];
  for (let i = 0; i < 5; i++) chunkedSeen.push(await chunkedPost(`${server.base}/api/send-data`, 7 * 1024 * 1024));
  record('413 chunked writer 7 MB x5', 'every try sees 413 PAYLOAD_TOO_LARGE', chunkedSeen.join(', '), chunkedSeen.every((s) => s === '413 PAYLOAD_TOO_LARGE'));
  const large = await raw(server.port, `POST /api/send-data HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 99999999999999999999\r\n\r\n`);
  record('413 huge Content-Length, no body', '413 (or 400) JSON, closed', rawSummary(large), (large.status === 413 || large.status === 400) && large.json && large.code !== undefined);
}

const secretMarkers = ['"name": "stateful-serverless"', 'TOP-SECRET-PROBE', 'directory = "functions"', 'root:x:0:0', 'export default', 'import '];

async function traversalProbes(label: string, server: Server, healthPath: string): Promise<void> {
  const targets = [
    '/.netlify/functions/../../package.json',
    '/.netlify/functions/..%2f..%2fpackage.json',
    '/.netlify/functions/%2e%2e/%2e%2e/package.json',
    '/.netlify/functions/..%252f..%252fpackage.json',
    '/.netlify/functions/hello-world/../../../etc/passwd',
    '/.netlify/functions/..%5c..%5cpackage.json',
    '/.netlify/builders/../../secret.txt',
    '/api/../secret.txt',
    '/api/..%2f..%2fsecret.txt',
    '/api/%2e%2e%2fsrc%2fcli%2fmain.ts',
    '/__sim/../package.json',
    '/__sim/containers/../../package.json',
    '/__sim/..%2f..%2fpackage.json',
    '/__sim/%2e%2e/secret.txt',
    '/../secret.txt',
    '/%2e%2e/secret.txt',
    '/..%2fsecret.txt',
    '/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '/..%5csecret.txt',
    '/index.html/../../secret.txt',
    '//etc/passwd',
    '/functions/ok.mjs',
    '/netlify.toml',
    '/secret.txt',
    '/package.json',
    '/src/cli/main.ts',
    '/leak.txt',
    '/up/secret.txt',
    '/up/netlify.toml',
    '/index.html%00',
    '/index.html%00.txt',
    '/%00',
    '/index.html%2f..%2f..%2fsecret.txt',
  ];
  const leaks: string[] = [];
  const bad: string[] = [];
  for (const target of targets) {
    const r = await raw(server.port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    if (secretMarkers.some((m) => r.text.includes(m))) leaks.push(`${target} -> ${r.status}`);
    else if (r.status === undefined || r.status >= 500 || (r.status >= 400 && !(r.json && r.code))) bad.push(`${target} -> ${rawSummary(r)}`);
  }
  const ok = await healthy(server.base, healthPath);
  record(`${label} path traversal (${targets.length} paths)`, 'no file outside the publish dir served; errors JSON with code', leaks.length + bad.length === 0 ? `none leaked, every error JSON; still serving: ${ok}` : `leaked: [${leaks.join('; ')}] not-JSON: [${bad.join('; ')}]`, leaks.length === 0 && bad.length === 0 && ok);
}

function nested(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

async function collectKeys(base: string, headers: Record<string, string> = {}): Promise<string[]> {
  const r = await get(`${base}/api/collect`, { headers });
  return (JSON.parse(r.text) as { items: { idempotencyKey: string }[] }).items.map((i) => i.idempotencyKey);
}

/**
 * send-data-unawaited keeps the seed article's bug on purpose: an acknowledged delivery waits, frozen,
 * until its container is invoked again. Such an item is not lost silently as long as /__sim/containers
 * shows it pending: this counts the collect requests pending in its containers.
 */
async function pendingDeliveries(base: string): Promise<number> {
  const report = (await get(`${base}/__sim/containers`)).text;
  const entry = (JSON.parse(report) as { functions: Record<string, unknown> }).functions['send-data-unawaited'];
  return (JSON.stringify(entry).match(/\/\.netlify\/functions\/collect/g) ?? []).length;
}

async function undeliverableProbes(server: Server): Promise<void> {
  const bodies: { name: string; body: string | Buffer; type?: string }[] = [
    { name: '32,000-deep nesting', body: nested(32_000) },
    { name: '65-deep nesting', body: nested(65) },
    { name: '1 MB string', body: JSON.stringify({ s: 'x'.repeat(1_000_000) }) },
    { name: '5 MB string', body: JSON.stringify({ s: 'x'.repeat(5_000_000) }) },
    { name: 'invalid JSON', body: '{"a":' },
    { name: 'JSON array', body: '[1,2]' },
    { name: 'JSON null', body: 'null' },
    { name: 'lone surrogate', body: '{"s":"\\ud800"}' },
    { name: 'wrong content-type (text/plain, valid JSON)', body: '{"ok":1}', type: 'text/plain' },
    { name: 'wrong content-type (form)', body: 'a=1&b=2', type: 'application/x-www-form-urlencoded' },
    { name: 'empty body', body: '' },
    { name: 'invalid UTF-8', body: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]) },
    { name: '1e400 number', body: '{"n":1e400}' },
    { name: '__proto__ key', body: '{"__proto__":{"polluted":1}}' },
  ];
  for (const fn of ['send-data', 'send-data-unawaited', 'send-data-wait-until']) {
    const observed: string[] = [];
    let lost = 0;
    const acked: string[] = [];
    for (const b of bodies) {
      const key = `probe-${fn}-${b.name.replace(/\W+/g, '-')}-${Date.now()}`;
      let res: { status: number; text: string };
      try {
        res = await get(`${server.base}/api/${fn}`, { method: 'POST', body: b.body, headers: { 'content-type': b.type ?? 'application/json', 'idempotency-key': key } });
      } catch (error) {
        observed.push(`${b.name}: error ${String(error)}`);
        lost += 1;
        continue;
      }
      const code = codeOf(res.text);
      if (res.status === 200) acked.push(key);
      else if (res.status >= 400 && res.status < 500 && code !== undefined) {
        /* refused with a code: fine */
      } else observed.push(`${b.name}: ${res.status} ${res.text.slice(0, 80)}`);
      if (res.status !== 200) observed.push(`${b.name}: ${res.status} ${code ?? ''}`);
    }
    // Whatever was acknowledged must reach collect. send-data-unawaited's deliveries only move when the
    // container thaws: call it once more (a valid payload) to let the frozen ones run, then wait.
    if (fn === 'send-data-unawaited') {
      for (let i = 0; i < 3; i++) {
        await get(`${server.base}/api/${fn}`, { method: 'POST', body: '{"flush":1}', headers: { 'content-type': 'application/json', 'idempotency-key': `probe-flush-${Date.now()}-${i}` } });
        await delay(300);
      }
    }
    const until = Date.now() + 10_000;
    let stored = await collectKeys(server.base);
    while (acked.some((k) => !stored.includes(k)) && Date.now() < until) {
      await delay(250);
      stored = await collectKeys(server.base);
    }
    const missing = acked.filter((k) => !stored.includes(k));
    const pending = fn === 'send-data-unawaited' ? await pendingDeliveries(server.base) : 0;
    if (missing.length > pending) lost += missing.length;
    const unexpected = observed.filter((o) => !/: 4\d\d [A-Z_]+$/.test(o));
    record(`undeliverable payloads -> ${fn}`, '400 with a code, or 200 and stored; never 200-then-lost', `${observed.length} refused (${[...new Set(observed.map((o) => o.replace(/^.*: /, '')))].join(', ')}); ${acked.length} acked, ${missing.length} of them not stored${unexpected.length ? `; unexpected: ${unexpected.join(' | ')}` : ''}${missing.length ? `; missing: ${missing.join(', ')}; shown pending in /__sim/containers: ${pending}` : ''}`, lost === 0 && unexpected.length === 0);
  }
}

async function keyProbes(server: Server): Promise<void> {
  const keys: { name: string; key: string | undefined }[] = [
    { name: 'no key', key: undefined },
    { name: 'empty key', key: '' },
    { name: 'spaces key', key: '   ' },
    { name: '10 KB key', key: 'k'.repeat(10_000) },
    { name: '300-char key', key: 'k'.repeat(300) },
    { name: 'latin1 key', key: 'clé-é' },
    { name: 'slash key', key: 'a/../b' },
  ];
  for (const fn of ['send-data-wait-until', 'send-data-unawaited']) {
    const lost: string[] = [];
    const seen: string[] = [];
    let acked = 0;
    for (const k of keys) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (k.key !== undefined) headers['idempotency-key'] = k.key;
      let status: number;
      let text: string;
      try {
        const r = await fetch(`${server.base}/api/${fn}`, { method: 'POST', body: JSON.stringify({ keyProbe: `${fn}:${k.name}` }), headers, signal: AbortSignal.timeout(20_000) });
        status = r.status;
        text = await r.text();
      } catch (error) {
        seen.push(`${k.name}: client error ${String(error).slice(0, 60)}`);
        continue;
      }
      if (status === 200) acked += 1;
      else if (!(status >= 400 && status < 500 && codeOf(text))) lost.push(`${k.name}: ${status} ${text.slice(0, 60)}`);
      seen.push(`${k.name}: ${status}${codeOf(text) ? ` ${codeOf(text)}` : ''}`);
    }
    if (fn === 'send-data-unawaited') {
      for (let i = 0; i < 3; i++) {
        await get(`${server.base}/api/${fn}`, { method: 'POST', body: '{"flush":1}', headers: { 'content-type': 'application/json', 'idempotency-key': `probe-keyflush-${Date.now()}-${i}` } });
        await delay(300);
      }
    }
    const until = Date.now() + 10_000;
    let stored = 0;
    for (;;) {
      const items = (JSON.parse((await get(`${server.base}/api/collect`)).text) as { items: { payload: { keyProbe?: string } }[] }).items;
      stored = items.filter((i) => i.payload.keyProbe?.startsWith(`${fn}:`) === true).length;
      if (stored >= acked || Date.now() > until) break;
      await delay(250);
    }
    record(`Idempotency-Key edge cases -> ${fn}`, '400 with a code, or 200 and stored', `${seen.join(', ')}; acked ${acked}, stored ${stored}${lost.length ? `; bad: ${lost.join(' | ')}` : ''}`, lost.length === 0 && (stored === acked || (fn === 'send-data-unawaited' && acked - stored <= (await pendingDeliveries(server.base)))));
  }
}

async function stalledShutdownProbe(): Promise<void> {
  const dir = copySite();
  const server = await startServer({ cwd: dir });
  const stalled = raw(server.port, `POST /api/send-data HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`, { timeoutMs: 30_000 });
  const slow = raw(server.port, `GET /api/hello-world HTTP/1.1\r\nHost: 127.0.0.1\r\n`, { timeoutMs: 30_000, trickle: { chunk: 'X-Slow: 1\r\n', everyMs: 500 } });
  const idle = raw(server.port, `GET /api/hello-world HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, { timeoutMs: 30_000 });
  await delay(1_000);
  const s = await stop(server);
  const [b, l, i] = await Promise.all([stalled, slow, idle]);
  record('SIGTERM with a stalled body, a slowloris and an idle keep-alive', 'exit 0 within a few seconds; the stalled body gets 503 JSON SERVER_CLOSING', `exit ${s.code} in ${s.ms} ms; stalled: ${rawSummary(b)}; slowloris: ${rawSummary(l)}; idle: ${i.status}${i.closed ? ' then closed' : ''}`, !s.killed && s.code === 0 && s.ms < 5_000 && b.status === 503 && b.code === 'SERVER_CLOSING');
}

async function blockedProbe(site: string): Promise<void> {
  const server = await startServer({ site, env: { SIM_TIMEOUT_MS: '2000' } });
  const t0 = Date.now();
  const r = await get(`${server.base}/api/blocked`);
  const ms = Date.now() - t0;
  record('native block, SIM_TIMEOUT_MS=2000', '502 at ~2 s', `${r.status} after ${ms} ms: ${r.text.slice(0, 100)}`, r.status === 502 && ms < 3_000);
  const ok = await healthy(server.base, '/api/ok');
  // A second blocked call then SIGTERM while it is blocked.
  const second = get(`${server.base}/api/blocked`).catch((e: unknown) => ({ status: 0, text: String(e) }));
  await delay(500);
  const s = await stop(server);
  await second;
  record('SIGTERM with a thread blocked in native code', 'exits in bounded time (grace + ~3 s)', `exit ${s.code} after ${s.ms} ms${s.killed ? ' (had to SIGKILL)' : ''}; others served before: ${ok}`, !s.killed && s.ms < 14_000 && ok);
}

async function sigtermProbe(fn: 'send-data-wait-until' | 'send-data-unawaited'): Promise<void> {
  const dir = copySite();
  let server = await startServer({ cwd: dir });
  const port = server.port;
  const acked = new Set<string>();
  let ackCount = 0;
  let signalled = false;
  const clients = 20;
  const per = 20;
  const stopAt = 100;
  let stopping: Promise<{ ms: number; code: number | null; killed: boolean }> | undefined;
  const deadline = Date.now() + 90_000;
  const base = () => `http://127.0.0.1:${port}`;
  const sender = async (c: number): Promise<void> => {
    for (let i = 0; i < per && Date.now() < deadline; i++) {
      const key = `probe-${fn}-${c}-${i}`;
      try {
        const r = await fetch(`${base()}/api/${fn}`, { method: 'POST', body: JSON.stringify({ c, i }), headers: { 'content-type': 'application/json', 'idempotency-key': key }, signal: AbortSignal.timeout(20_000) });
        const text = await r.text();
        if (r.status === 200 && text === 'OK') {
          acked.add(key);
          ackCount += 1;
          if (ackCount >= stopAt && !signalled) {
            signalled = true;
            stopping = stop(server);
          }
        }
      } catch {
        /* refused or reset during shutdown: not acknowledged */
      }
      if (signalled) return;
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, c) => sender(c)));
  const s = stopping ? await stopping : await stop(server);
  const shutdownLog = server.log.slice();
  // Restart on the same site (same Blobs store).
  server = await startServer({ cwd: dir });
  const stored = new Set(await collectKeys(server.base));
  const lost = [...acked].filter((k) => !stored.has(k));
  await stop(server);
  // PROBE_LOG_DIR keeps the shutdown's log and the lost keys for a closer look.
  if (process.env.PROBE_LOG_DIR) writeFileSync(join(process.env.PROBE_LOG_DIR, `${fn}.log`), `${shutdownLog.join('\n')}\n\nlost: ${lost.join(' ')}\n`);
  if (fn === 'send-data-wait-until') {
    record(`SIGTERM during 20x20 ${fn}`, '0 acknowledged lost; clean exit', `acknowledged ${acked.size}, stored ${[...acked].filter((k) => stored.has(k)).length}, lost ${lost.length}; exit ${s.code} in ${s.ms} ms`, lost.length === 0 && !s.killed && s.code === 0);
  } else {
    const warns = shutdownLog.filter((l) => /WARN .*lost with it/.test(l));
    const listed = warns.join('\n');
    const withRequest = /POST http:\/\/127\.0\.0\.1:\d+\/\.netlify\/functions\/collect \(request [^)]+\)/.test(listed);
    const named = (listed.match(/POST http:\/\/127\.0\.0\.1:\d+\/\.netlify\/functions\/collect \(request /g) ?? []).length;
    // A delivery between two attempts is a retry backoff sleep (timers/promises.setTimeout), not a request.
    const backoffs = (listed.match(/timers\/promises\.setTimeout of \d+ ms \(request /g) ?? []).length;
    record(`SIGTERM during 20x20 ${fn}`, 'pending work WARNed per container with method, URL, request id', `acknowledged ${acked.size}, stored ${acked.size - lost.length}, lost ${lost.length}; ${warns.length} WARN lines naming ${named} lost POSTs and ${backoffs} retry sleeps with request ids; exit ${s.code} in ${s.ms} ms${warns[0] ? `; e.g. ${warns[0].slice(0, 160)}` : ''}`, warns.length > 0 && withRequest && named + backoffs >= lost.length && !s.killed);
  }
}

function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

async function burstProbe(): Promise<void> {
  const dir = copySite();
  const server = await startServer({ cwd: dir });
  await healthy(server.base);
  await delay(500);
  const pid = server.child.pid ?? 0;
  const idle = rssKb(pid);
  let peak = idle;
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, rssKb(pid));
    } catch {
      /* exited */
    }
  }, 100);
  const t0 = Date.now();
  const statuses = new Map<string, number>();
  let nonJson429 = 0;
  await Promise.all(
    Array.from({ length: 500 }, async (_, i) => {
      try {
        const r = await fetch(`${server.base}/api/send-data-wait-until`, { method: 'POST', body: JSON.stringify({ i }), headers: { 'content-type': 'application/json', 'idempotency-key': `burst-${i}` }, signal: AbortSignal.timeout(60_000) });
        const text = await r.text();
        if (r.status === 429 && codeOf(text) === undefined) nonJson429 += 1;
        statuses.set(String(r.status), (statuses.get(String(r.status)) ?? 0) + 1);
      } catch (error) {
        const k = `error ${error instanceof Error && error.cause instanceof Error ? ((error.cause as NodeJS.ErrnoException).code ?? error.cause.message) : String(error)}`;
        statuses.set(k, (statuses.get(k) ?? 0) + 1);
      }
    }),
  );
  clearInterval(sampler);
  const ms = Date.now() - t0;
  const growthMiB = (peak - idle) / 1024;
  await stop(server);
  // docs/reliability.md: RSS <= idle + (functions bursting at once) x 16 x 22 MiB; two functions here.
  const boundMiB = 2 * 16 * 22;
  record('burst of 500 concurrent POSTs to send-data-wait-until', `RSS within idle + ${boundMiB} MiB (documented bound); 429s JSON`, `${[...statuses].map(([k, v]) => `${v} x ${k}`).join(', ')} in ${ms} ms; RSS ${Math.round(idle / 1024)} -> peak ${Math.round(peak / 1024)} MiB (+${Math.round(growthMiB)}); non-JSON 429s: ${nonJson429}`, growthMiB <= boundMiB && nonJson429 === 0);
}

async function exposureProbes(): Promise<void> {
  const cases: [string, boolean, boolean][] = [
    ['127.0.0.1', false, true],
    ['::1', false, true],
    ['::ffff:127.0.0.1', false, true],
    ['127.8.9.10', false, true],
    ['10.0.0.5', false, false],
    ['192.168.1.2', false, false],
    ['::ffff:10.0.0.5', false, false],
    ['fe80::1', false, false],
    ['10.0.0.5', true, true],
  ];
  const wrong = cases.filter(([ip, expose, want]) => simAccessAllowed(ip, expose) !== want);
  record('/__sim/* rule (in-process)', 'loopback only unless SIM_EXPOSE=1', wrong.length === 0 ? `${cases.length} addresses decided as expected` : `wrong for ${wrong.map(([ip, e]) => `${ip} expose=${e}`).join(', ')}`, wrong.length === 0);
  const dir = faultSite();
  const server = await startServer({ site: dir, env: { HOST: '0.0.0.0' }, args: ['--host', '0.0.0.0'] });
  const warned = server.log.some((l) => /WARN listening on 0\.0\.0\.0/.test(l));
  await stop(server);
  record('HOST=0.0.0.0 warns at startup', 'a WARN naming the exposure', warned ? 'warned' : `no warning in: ${server.log.slice(0, 5).join(' | ')}`, warned);
}

async function sinkTokenProbes(): Promise<void> {
  const dir = copySite('SINK_TOKEN=probe-secret\n');
  const server = await startServer({ cwd: dir });
  const noToken = await get(`${server.base}/api/collect`);
  const badToken = await get(`${server.base}/api/collect`, { headers: { authorization: 'Bearer nope' } });
  const postNoToken = await get(`${server.base}/api/collect`, { method: 'POST', body: '{"x":1}', headers: { 'content-type': 'application/json', 'idempotency-key': 'sink-direct' } });
  const withToken = await get(`${server.base}/api/collect`, { headers: { authorization: 'Bearer probe-secret' } });
  const send = await get(`${server.base}/api/send-data`, { method: 'POST', body: '{"y":2}', headers: { 'content-type': 'application/json', 'idempotency-key': 'sink-send' } });
  const stored = await collectKeys(server.base, { authorization: 'Bearer probe-secret' });
  await stop(server);
  record('SINK_TOKEN: collect requires it', '401 JSON without/with a wrong token, 200 with it', `GET none ${noToken.status} ${codeOf(noToken.text) ?? ''}, wrong ${badToken.status}, POST none ${postNoToken.status}, right ${withToken.status}`, noToken.status === 401 && badToken.status === 401 && postNoToken.status === 401 && withToken.status === 200 && codeOf(noToken.text) !== undefined);
  record('SINK_TOKEN: send-data sends it', '200 OK and stored', `send-data ${send.status} ${send.text.slice(0, 40)}; stored: ${stored.includes('sink-send')}`, send.status === 200 && stored.includes('sink-send'));
  const prodDir = copySite();
  const prod = await startServer({ cwd: prodDir, args: ['--context', 'production'] });
  const del = await get(`${prod.base}/api/collect`, { method: 'DELETE' });
  await stop(prod);
  record('production without a token refuses DELETE', '403 JSON FORBIDDEN', `${del.status} ${codeOf(del.text) ?? del.text.slice(0, 60)}`, del.status === 403 && codeOf(del.text) === 'FORBIDDEN');
}

async function faultProbes(site: string): Promise<void> {
  const server = await startServer({ site, env: { SIM_TIMEOUT_MS: '3000' } });
  const cases: { fn: string; fault: boolean }[] = [
    { fn: 'init-throws', fault: false },
    { fn: 'exits', fault: true },
    { fn: 'oom', fault: true },
    { fn: 'loops', fault: true },
  ];
  for (const c of cases) {
    const t0 = Date.now();
    let first: string;
    try {
      const r = await get(`${server.base}/api/${c.fn}`, c.fault ? { headers: { 'x-fault': '1' } } : undefined);
      first = `${r.status} ${r.text.slice(0, 70).replace(/\s+/g, ' ')}`;
    } catch (error) {
      first = `error ${String(error)}`;
    }
    const ms = Date.now() - t0;
    const others = await healthy(server.base, '/api/ok');
    let next = 'n/a';
    let nextOk = true;
    if (c.fault) {
      const r = await get(`${server.base}/api/${c.fn}`).catch((e: unknown) => ({ status: 0, text: String(e) }));
      next = `${r.status} ${r.text.slice(0, 20)}`;
      nextOk = r.status === 200 && r.text === 'ok';
    } else {
      const r = await get(`${server.base}/api/${c.fn}`).catch((e: unknown) => ({ status: 0, text: String(e) }));
      next = `${r.status}`;
      nextOk = r.status >= 500 && r.status < 600;
    }
    const firstOk = /^5\d\d /.test(first);
    record(`fault: ${c.fn}`, '5xx for it, others keep serving, next request cold-starts cleanly', `first ${first} (${ms} ms); others served: ${others}; next ${next}`, firstOk && others && nextOk);
  }
  const s = await stop(server);
  record('fault site shutdown', 'exit 0 in bounded time', `exit ${s.code} in ${s.ms} ms`, s.code === 0 && !s.killed);
}

function cliProbes(): void {
  const site = faultSite();
  const cases: { name: string; args: string[] }[] = [
    { name: 'unknown flag', args: ['serve', '--bogus'] },
    { name: 'bad port (abc)', args: ['serve', '--port', 'abc'] },
    { name: 'bad port (70000)', args: ['serve', '--port', '70000'] },
    { name: 'bad port (-1)', args: ['serve', '--port=-1'] },
    { name: 'missing site dir', args: ['serve', '--site', join(site, 'nope')] },
    { name: 'site is a file', args: ['serve', '--site', join(site, 'netlify.toml')] },
    { name: 'unknown command', args: ['srve'] },
    { name: 'flag without value', args: ['serve', '--port'] },
  ];
  for (const c of cases) {
    const r = spawnSync(process.execPath, [cli, ...c.args], { cwd: site, encoding: 'utf8', timeout: 20_000, env: { ...process.env, PORT: '9649' } });
    const lines = r.stderr.split('\n').filter(Boolean);
    record(`CLI ${c.name}`, 'one line on stderr, exit 2', `exit ${r.status}, ${lines.length} stderr line(s): ${lines[0]?.slice(0, 100) ?? ''}`, r.status === 2 && lines.length === 1);
  }
}

// ---------------------------------------------------------------- main

const hardStop = setTimeout(() => {
  process.stderr.write('probe: 15 minute bound reached, stopping\n');
  cleanup();
  process.exit(1);
}, 15 * 60_000);

function cleanup(): void {
  for (const child of started) child.kill('SIGKILL');
  for (const remove of removals) remove();
}

try {
  if (['parser', 'slow', '413', 'traversal', 'undeliverable', 'keys'].some(wanted)) {
    const dir = copySite();
    const main = await startServer({ cwd: dir });
    if (wanted('parser')) await parserProbes('npm start', main, '/api/hello-world');
    if (wanted('traversal')) await traversalProbes('npm start', main, '/api/hello-world');
    if (wanted('413')) await payloadLimitProbes(main);
    if (wanted('undeliverable')) await undeliverableProbes(main);
    if (wanted('keys')) await keyProbes(main);
    const site = faultSite();
    const onSite = await startServer({ site });
    if (wanted('parser')) await parserProbes('--site', onSite, '/api/ok');
    if (wanted('traversal')) await traversalProbes('--site', onSite, '/api/ok');
    if (wanted('slow')) await Promise.all([slowProbes('npm start', main, '/api/hello-world'), slowProbes('--site', onSite, '/api/ok')]);
    await stop(main);
    await stop(onSite);
  }
  if (wanted('blocked')) await blockedProbe(faultSite());
  if (wanted('stalled-shutdown')) await stalledShutdownProbe();
  if (wanted('sigterm')) {
    await sigtermProbe('send-data-wait-until');
    await sigtermProbe('send-data-unawaited');
  }
  if (wanted('burst')) await burstProbe();
  if (wanted('exposure')) await exposureProbes();
  if (wanted('sink')) await sinkTokenProbes();
  if (wanted('fault')) await faultProbes(faultSite());
  if (wanted('cli')) cliProbes();
} catch (error) {
  record('probe run', 'completes', `crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, false);
} finally {
  cleanup();
  clearTimeout(hardStop);
}

process.stdout.write('\n| probe | expected | observed | result |\n|---|---|---|---|\n');
for (const r of results) process.stdout.write(`| ${r.name} | ${r.expected} | ${r.observed.replace(/\|/g, '/')} | ${r.pass ? 'PASS' : 'FAIL'} |\n`);
const failed = results.filter((r) => !r.pass).length;
process.stdout.write(`\n${results.length - failed} passed, ${failed} failed\n`);
process.exitCode = failed === 0 ? 0 : 1;
