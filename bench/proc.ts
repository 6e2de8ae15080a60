/**
 * Server processes for the benchmark: start one in its own process group on a free port, wait until it
 * answers, read its RSS from /proc, and stop the whole group so nothing is left running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { relative } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseStatProcessGroup, parseVmRssBytes } from './stats.ts';

/** Error codes of this module. */
export type ServerProcessErrorCode = 'EXITED_EARLY' | 'NOT_READY';

/** A server that could not be started or did not become ready. */
export class ServerProcessError extends Error {
  readonly code: ServerProcessErrorCode;
  constructor(code: ServerProcessErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** A free TCP port on 127.0.0.1, found by binding port 0 and releasing it. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('could not read the bound port');
  return address.port;
}

/** Sums VmRSS over every live process in process group `pgid` (a server and the helpers it spawned). */
export function processGroupRssBytes(pgid: number): number | null {
  let total = 0;
  let found = false;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (parseStatProcessGroup(readFileSync(`/proc/${entry}/stat`, 'utf8')) !== pgid) continue;
      const rss = parseVmRssBytes(readFileSync(`/proc/${entry}/status`, 'utf8'));
      if (rss !== null) {
        total += rss;
        found = true;
      }
    } catch {
      // The process exited between readdir and read: it holds no memory any more.
    }
  }
  return found ? total : null;
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Every group still running, with its cleanup, so an interrupted bench can still kill them (and remove
 * their temporary directories) on its way out.
 */
const liveGroups = new Map<number, (() => void) | undefined>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL is the only way to be sure in one call.
  process.on('exit', () => {
    for (const [pgid, cleanup] of liveGroups) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // already gone
      }
      cleanup?.();
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping ${liveGroups.size} server(s)\n`);
      process.exit(130);
    });
  }
}

/** How to start one server. */
export interface ServerCommand {
  /** Short name for logs, e.g. `netlify`. */
  name: string;
  command: string;
  args: readonly string[];
  cwd: string;
  env: Record<string, string>;
  /** Where its stdout and stderr go (they are not piped back: draining them would cost the bench CPU). */
  logPath: string;
  /** Runs once the process group is gone (for example, removes a temporary working directory). */
  cleanup?: () => void;
}

/** A running server in its own process group. */
export class ServerProcess {
  readonly name: string;
  readonly pid: number;
  readonly logPath: string;
  #exited: Promise<void>;
  #exitDescription: string | null = null;

  private constructor(command: ServerCommand, child: ChildProcess) {
    this.name = command.name;
    this.logPath = command.logPath;
    if (child.pid === undefined) throw new Error(`could not start ${command.name}`);
    this.pid = child.pid;
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exitDescription = signal ? `signal ${signal}` : `exit code ${code}`;
        resolve();
      });
    });
  }

  /** Spawns `command` as the leader of a new process group, so stopping it also stops its children. */
  static start(command: ServerCommand): ServerProcess {
    installExitHook();
    const log = openSync(command.logPath, 'w');
    try {
      const child = spawn(command.command, [...command.args], {
        cwd: command.cwd,
        env: { ...process.env, ...command.env },
        detached: true,
        stdio: ['ignore', log, log],
      });
      const server = new ServerProcess(command, child);
      liveGroups.set(server.pid, command.cleanup);
      return server;
    } finally {
      closeSync(log);
    }
  }

  /** The exit code or signal once it exited, else null. */
  get exitDescription(): string | null {
    return this.#exitDescription;
  }

  /** The last `maxBytes` of its output, for error messages. */
  logTail(maxBytes = 2000): string {
    try {
      const text = readFileSync(this.logPath, 'utf8');
      return text.slice(-maxBytes);
    } catch {
      return '';
    }
  }

  /**
   * Why it is no longer running, for reports: its exit and the first error line of its output.
   * Null while it runs.
   */
  deathNote(): string | null {
    if (this.#exitDescription === null) return null;
    const errorLine = this.logTail(8_000)
      .split('\n')
      .find((line) => /^\s*(\w*Error\b|error:)/.test(line));
    return `${this.name} exited (${this.#exitDescription})${errorLine ? `: ${errorLine.trim()}` : ''}; see ${relative(process.cwd(), this.logPath)}`;
  }

  /**
   * Polls `url` until it answers with any HTTP status (the server is listening and routing).
   * Fails early if the process exits, or after `timeoutMs`.
   */
  async waitUntilReady(url: string, timeoutMs: number): Promise<number> {
    const startedAt = performance.now();
    while (performance.now() - startedAt < timeoutMs) {
      if (this.#exitDescription !== null) {
        throw new ServerProcessError('EXITED_EARLY', `${this.name} exited (${this.#exitDescription}) before it was ready:\n${this.logTail()}`);
      }
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
        await response.arrayBuffer();
        return response.status;
      } catch {
        // Not listening yet (ECONNREFUSED): poll again. Polling is the only readiness signal a foreign
        // process such as netlify-cli offers.
        await delay(100);
      }
    }
    throw new ServerProcessError('NOT_READY', `${this.name} did not answer ${url} within ${timeoutMs} ms:\n${this.logTail()}`);
  }

  /** RSS of its whole process group, in bytes. */
  rssBytes(): number | null {
    return processGroupRssBytes(this.pid);
  }

  /** SIGTERM to the group, then SIGKILL after `graceMs` if anything in it is still alive. */
  async stop(graceMs = 5_000): Promise<void> {
    const pgid = this.pid;
    if (groupAlive(pgid)) {
      try {
        process.kill(-pgid, 'SIGTERM');
      } catch {
        // already gone
      }
      const deadline = performance.now() + graceMs;
      while (groupAlive(pgid) && performance.now() < deadline) await delay(50);
      if (groupAlive(pgid)) {
        try {
          process.kill(-pgid, 'SIGKILL');
        } catch {
          // already gone
        }
        while (groupAlive(pgid)) await delay(20);
      }
    }
    await Promise.race([this.#exited, delay(1_000)]);
    const cleanup = liveGroups.get(pgid);
    liveGroups.delete(pgid);
    cleanup?.();
  }
}
