/**
 * The log output of `npm start`, written in batches. Each request logs three lines (START, END,
 * REPORT), and process.stdout is synchronous for files and terminals, so writing each line on its own
 * cost one blocking write() per line on the server's only thread: about a sixth of its time under
 * load. Lines are queued instead and written together a few milliseconds later, one write per run of
 * lines bound for the same stream, so the order across stdout and stderr is kept exactly. `flush()`
 * writes what is queued at once; the caller runs it before writing to the streams directly and when
 * the process exits, so no line is lost or reordered.
 */
import type { SimLogger } from '../sim/api.ts';

/** Where a batch goes: `process.stdout` / `process.stderr`, or a test's recorder. */
export interface LogStream {
  write(text: string): unknown;
}

/** Options for {@link BatchedLog}. */
export interface BatchedLogOptions {
  out: LogStream;
  err: LogStream;
  /** Prefix of every warning line. */
  warnPrefix?: string;
  /**
   * Runs the flush later. Default: {@link FLUSH_DELAY_MS} from the first queued line. Flushing at the
   * end of every event-loop turn (`setImmediate`) still made one write per 4 or so requests under load,
   * about 5% of the main thread (perf, 14k requests/s); a person reading the log cannot see 10 ms.
   */
  schedule?: (flush: () => void) => void;
}

type Target = 'out' | 'err';

/** How long a queued line may wait for others before it is written. */
export const FLUSH_DELAY_MS = 10;

/** A {@link SimLogger} that queues lines and writes them in order, one write per same-stream run. */
export class BatchedLog implements SimLogger {
  #out: LogStream;
  #err: LogStream;
  #warnPrefix: string;
  #schedule: (flush: () => void) => void;
  /** Consecutive lines for one stream, already joined: the writes the next flush makes, in order. */
  #runs: Array<{ target: Target; text: string }> = [];
  #scheduled = false;

  constructor(options: BatchedLogOptions) {
    this.#out = options.out;
    this.#err = options.err;
    this.#warnPrefix = options.warnPrefix ?? '';
    this.#schedule = options.schedule ?? ((flush) => setTimeout(flush, FLUSH_DELAY_MS));
  }

  info(line: string): void {
    this.#queue('out', `${line}\n`);
  }

  warn(line: string): void {
    this.#queue('err', `${this.#warnPrefix}${line}\n`);
  }

  /** Writes every queued line now. */
  flush(): void {
    const runs = this.#runs;
    if (runs.length === 0) return;
    this.#runs = [];
    for (const run of runs) (run.target === 'out' ? this.#out : this.#err).write(run.text);
  }

  #queue(target: Target, text: string): void {
    const last = this.#runs.at(-1);
    if (last?.target === target) last.text += text;
    else this.#runs.push({ target, text });
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#schedule(() => {
      this.#scheduled = false;
      this.flush();
    });
  }
}
