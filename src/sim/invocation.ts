/**
 * One invocation as a container runs it: the response the caller waits for first, the report it gets
 * when the container froze, the deadline, whether an answer went out, and the body of a streamed v2
 * response. The container drives it from the runtime's messages; the invocation only keeps its own
 * state consistent (one answer, one report, a body closed once).
 */
import { performance } from 'node:perf_hooks';
import type { BufferedResponse, InvocationOutcome, InvocationReport } from './api.ts';
import { SimError } from './errors.ts';

/** What a container knows when it starts an invocation. */
export interface InvocationInit {
  requestId: string;
  coldStart: boolean;
  /** Simulator clock time at which it times out. */
  deadlineMs: number;
  /** The request's method and URL, for the warning when the invocation dies with its container. */
  method: string;
  url: string;
  /** Called synchronously with the report when the invocation ends, before anyone awaiting it resumes: the pool's release. */
  onFinished: (report: InvocationReport) => void;
}

/** The head of a streamed v2 response. */
export interface StreamedHead {
  status: number;
  statusText: string;
  headers: Array<[string, string]>;
}

/** One invocation in a container, from dispatch to its report. */
export class Invocation {
  readonly requestId: string;
  readonly coldStart: boolean;
  /** Simulator clock time at which it times out (see {@link restartDeadline}). */
  deadlineMs: number;
  readonly method: string;
  readonly url: string;
  /** performance.now() at dispatch, for the duration of an invocation that never froze. */
  readonly startedMs = performance.now();
  /** A v1 result or an error stays buffered; a v2 response is a web Response (it may stream). Rejects only with SimError. */
  readonly response: Promise<Response | BufferedResponse>;
  /** Resolves with the report when the invocation ended (froze, failed or was stopped); never rejects. */
  readonly done: Promise<InvocationReport>;
  outcome: InvocationOutcome = 'ok';
  errorMessage: string | undefined;
  initDurationMs: number | undefined;
  #responded = false;
  #finished = false;
  #body: ReadableStreamDefaultController<Uint8Array> | undefined;
  #resolveResponse!: (response: Response | BufferedResponse) => void;
  #rejectResponse!: (error: Error) => void;
  #resolveDone!: (report: InvocationReport) => void;
  #onFinished: (report: InvocationReport) => void;

  constructor(init: InvocationInit) {
    this.requestId = init.requestId;
    this.coldStart = init.coldStart;
    this.deadlineMs = init.deadlineMs;
    this.method = init.method;
    this.url = init.url;
    this.#onFinished = init.onFinished;
    this.response = new Promise((resolve, reject) => {
      this.#resolveResponse = resolve;
      this.#rejectResponse = reject;
    });
    this.done = new Promise((resolve) => {
      this.#resolveDone = resolve;
    });
  }

  /**
   * Moves the deadline: when a container's Init phase timed out, Lambda retries init within the
   * invocation, and the function's timeout runs from the retry (init-limit.ts).
   */
  restartDeadline(deadlineMs: number): void {
    this.deadlineMs = deadlineMs;
  }

  /** Whether an answer (or a rejection) went to the caller. */
  get responded(): boolean {
    return this.#responded;
  }

  /** Whether the report went out. */
  get finished(): boolean {
    return this.#finished;
  }

  /** Records how the invocation failed (the REPORT line's status). */
  markFailed(outcome: InvocationOutcome, errorMessage: string): void {
    this.outcome = outcome;
    this.errorMessage = errorMessage;
  }

  /** Answers the caller. The first answer wins: a later one (say, the function's after a timeout) is dropped. */
  respond(response: Response | BufferedResponse): void {
    if (this.#responded) return;
    this.#responded = true;
    this.#resolveResponse(response);
  }

  /**
   * Answers with a streamed v2 response whose chunks follow ({@link enqueue}, {@link closeBody}). When
   * the client goes away the stream is cancelled and later chunks are dropped: the function runs on
   * regardless, as on the platform.
   */
  respondStreaming(head: StreamedHead): void {
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#body = controller;
      },
      cancel: () => {
        this.#body = undefined;
      },
    });
    this.respond(new Response(body, head));
  }

  /** One chunk of a streamed body. */
  enqueue(chunk: Uint8Array): void {
    this.#body?.enqueue(chunk);
  }

  /** The end of a streamed body. */
  closeBody(): void {
    this.#body?.close();
    this.#body = undefined;
  }

  /** Cuts a streamed body short: the client sees the connection end mid-body. */
  failBody(error: Error): void {
    this.#body?.error(error);
    this.#body = undefined;
  }

  /**
   * Ends the invocation: a caller still waiting for an answer gets `rejection`, a body still streaming
   * is cut, the pool gets its container back (synchronously, before anyone awaiting `done` resumes),
   * `beforeDone` runs (the container's REPORT line), then `done` resolves with `report`. Only the
   * first call counts.
   */
  finish(report: InvocationReport, rejection?: Error, beforeDone?: () => void): void {
    if (this.#finished) return;
    this.#finished = true;
    if (!this.#responded) {
      this.#responded = true;
      this.#rejectResponse(rejection ?? new SimError('SIMULATOR_CLOSED', 'the container stopped before answering'));
    }
    // Only a body still streaming needs an error: building one (a stack trace) on every warm
    // invocation's end was about 5% of the server thread under load (cpu profile, hello-world).
    if (this.#body) this.failBody(rejection ?? new Error('the container stopped while streaming'));
    this.#onFinished(report);
    beforeDone?.();
    this.#resolveDone(report);
  }
}
