/**
 * The log output of `npm start`, written in batches. Each request logs four lines (START, END,
 * REPORT and the access line), and process.stdout is synchronous for files and terminals, so writing
 * each line on its own cost one blocking write() per line on the server's only thread: about a sixth
 * of its time under load. Lines are queued instead and written together a few milliseconds later, one
 * write per run of lines bound for the same stream, so the order across stdout and stderr is kept
 * exactly. `flush()` writes what is queued at once; the caller runs it before writing to the streams
 * directly and when the process exits, so no line is lost or reordered.
 *
 * A queued line is copied into the batch's bytes at once (UTF-8, outside V8's heap) rather than kept
 * as a string: a batch holds a few hundred requests' lines for up to {@link FLUSH_DELAY_MS}, and as
 * strings they outlived the young-generation collections that ran meanwhile, which then copied them,
 * on the server's busiest thread.
 */
import type { SimLogger } from '../sim/api.ts';

/** Where a batch goes: `process.stdout` / `process.stderr`, or a test's recorder. */
export interface LogStream {
  /** Takes the chunk for good: it is never written to again. */
  write(chunk: Uint8Array): unknown;
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

/**
 * Bounds of a batch buffer. A new buffer is sized for what the last batch held (so a quiet server
 * allocates little, a loaded one writes a whole batch from one buffer), within these.
 */
const MIN_BUFFER_BYTES = 4 * 1024;
const MAX_BUFFER_BYTES = 64 * 1024;

/** A {@link SimLogger} that queues lines and writes them in order, one write per same-stream run. */
export class BatchedLog implements SimLogger {
  #out: LogStream;
  #err: LogStream;
  #warnPrefix: string;
  #schedule: (flush: () => void) => void;
  /** Runs closed (the other stream's line came, or the buffer was full) and not written yet, in order. */
  #closed: Array<{ target: Target; bytes: Uint8Array }> = [];
  /** The run being filled: its stream, and where it starts and ends in the current buffer. */
  #target: Target = 'out';
  #buffer: Buffer | null = null;
  #runStart = 0;
  #used = 0;
  /** Bytes queued since the last flush, to size the next batch's buffer. */
  #batchBytes = 0;
  #lastBatchBytes = 0;
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
    this.#closeRun();
    // The buffer goes out with the runs: an asynchronous stream (a pipe on some systems) may still
    // be reading it after write() returns, so it is never written into again.
    this.#buffer = null;
    this.#lastBatchBytes = this.#batchBytes;
    this.#batchBytes = 0;
    const runs = this.#closed;
    if (runs.length === 0) return;
    this.#closed = [];
    for (const run of runs) (run.target === 'out' ? this.#out : this.#err).write(run.bytes);
  }

  #queue(target: Target, text: string): void {
    if (target !== this.#target) {
      this.#closeRun();
      this.#target = target;
    }
    // A UTF-16 unit takes at most 3 bytes of UTF-8: only a long line needs its exact length.
    const room = this.#buffer === null ? -1 : this.#buffer.length - this.#used;
    if (room < 0 || (text.length * 3 > room && Buffer.byteLength(text) > room)) {
      this.#closeRun();
      const wanted = Math.min(MAX_BUFFER_BYTES, Math.max(MIN_BUFFER_BYTES, this.#lastBatchBytes + this.#lastBatchBytes / 4));
      this.#buffer = Buffer.allocUnsafe(Math.max(wanted, Buffer.byteLength(text)));
      this.#runStart = 0;
      this.#used = 0;
    }
    const written = (this.#buffer as Buffer).write(text, this.#used);
    this.#used += written;
    this.#batchBytes += written;
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#schedule(() => {
      this.#scheduled = false;
      this.flush();
    });
  }

  /** Ends the run being filled; the next line starts a new run in what is left of the buffer. */
  #closeRun(): void {
    if (this.#buffer !== null && this.#used > this.#runStart) this.#closed.push({ target: this.#target, bytes: this.#buffer.subarray(this.#runStart, this.#used) });
    this.#runStart = this.#used;
  }
}
