/**
 * What `npm start` does on SIGINT/SIGTERM, in one place (main.ts only installs it):
 *
 * 1. The server stops taking outside requests and drains: requests in flight finish, and so does every
 *    invocation's waitUntil work, while the containers' own calls to the server (a delivery to
 *    collect) are still served. Bounded by the grace period (SIM_SHUTDOWN_GRACE_MS, default 10 s).
 * 2. Every container stops; each one that takes work with it says so in a WARN line.
 * 3. A container thread that cannot be stopped (blocked in a native call such as execFileSync) would
 *    hold the process open: the child processes it waits for are killed, and if a thread still does
 *    not end within a second the process ends itself with SIGKILL rather than hang.
 *
 * So SIGTERM ends within grace + about 2 s (docs/reliability.md). A second signal stops at once.
 */
import type { SimLogger } from '../sim/api.ts';
import { lingeringThreadCount } from '../sim/container.ts';
import { killChildProcesses } from './child-processes.ts';

/** What the shutdown stops: the running `npm start` stack. */
export interface Stoppable {
  close(): Promise<void>;
  destroy(): Promise<void>;
}

/** Options for {@link installShutdown}. */
export interface ShutdownOptions {
  logger: SimLogger & { flush?: () => void };
}

/** The installed handlers: `stopWith` runs a signal that arrived before the stack was running. */
export interface InstalledShutdown {
  /**
   * Hands over the running stack and the grace period its close() uses (for the log line); a signal
   * that arrived meanwhile is acted on now.
   */
  running(target: Stoppable, graceMs: number): void;
  /** Removes the signal handlers (startup failed). */
  uninstall(): void;
}

/** How long to wait for lingering container threads once their child processes were killed. */
const threadWaitMs = 1_000;

/** Installs SIGINT and SIGTERM handlers that run the shutdown sequence above. */
export function installShutdown(options: ShutdownOptions): InstalledShutdown {
  const { logger } = options;
  let graceMs = 0;
  let target: Stoppable | undefined;
  let requested: NodeJS.Signals | undefined;
  let stoppingSinceMs: number | undefined;

  const stop = (signal: NodeJS.Signals): void => {
    if (!target) {
      // Still bundling: stop as soon as there is something to stop, so temp dirs are still removed.
      requested = signal;
      return;
    }
    const current = target;
    if (stoppingSinceMs !== undefined) {
      // `when-exit` (loaded by @netlify/blobs/server through `atomically`) listens once for each signal
      // and re-raises it with process.kill(process.pid, signal), so one Ctrl-C arrives here twice within
      // a few milliseconds. Only a repeat a person could have typed means "stop at once".
      if (Date.now() - stoppingSinceMs < 1000) return;
      logger.warn(`${signal} again: stopping at once`);
      void current.destroy().finally(() => void exit(1));
      return;
    }
    stoppingSinceMs = Date.now();
    logger.info(`${signal}: no new requests; draining requests in flight and waitUntil work for up to ${graceMs} ms (SIM_SHUTDOWN_GRACE_MS), then stopping every container`);
    current.close().then(
      () => {
        logger.info('stopped');
        void exit(0);
      },
      (error: unknown) => {
        logger.warn(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
        void exit(1);
      },
    );
  };

  const exit = async (code: number): Promise<void> => {
    if (lingeringThreadCount() > 0) {
      const killed = killChildProcesses();
      logger.warn(`${lingeringThreadCount()} container thread(s) still blocked in native code: killed ${killed} child process(es) they may wait for`);
      const deadline = Date.now() + threadWaitMs;
      while (lingeringThreadCount() > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      if (lingeringThreadCount() > 0) {
        // process.exit() would wait for the blocked thread forever: end the process the hard way.
        logger.warn(`${lingeringThreadCount()} container thread(s) cannot be stopped: ending the process with SIGKILL`);
        logger.flush?.();
        process.kill(process.pid, 'SIGKILL');
        return;
      }
    }
    process.exitCode = code;
    if (code !== 0) {
      process.exit(code);
      return;
    }
    // Nothing should be left to keep the process alive. If something is, say so instead of hanging;
    // unref'd, so this timer itself never delays a clean exit.
    setTimeout(() => {
      logger.warn(`still running 5 s after shutdown: ${process.getActiveResourcesInfo().join(', ')}`);
      process.exit(1);
    }, 5000).unref();
  };

  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return {
    running(stack, grace) {
      target = stack;
      graceMs = grace;
      if (requested !== undefined) stop(requested);
    },
    uninstall() {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}
