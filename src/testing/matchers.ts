/**
 * Assertions in container terms. A failure says what happened on the platform ("the answer came from
 * container hello-world-3, which was cold"), not that `true` was not `false`.
 */
import type { PendingWork } from '../sim/api.ts';
import type { Call } from './call.ts';
import { TestingError } from './errors.ts';

/** What a pending piece of work must look like for {@link SimMatchers.toHavePendingAtFreeze}; a string matches inside the URL. */
export type PendingWorkMatch = string | Partial<Pick<PendingWork, 'kind' | 'method' | 'url' | 'delayMs'>>;

/** The harness's matchers, added to vitest's `expect` when `stateful-serverless/testing` is imported. */
export interface SimMatchers<R = unknown> {
  /** The call started a new container (its INIT phase ran). */
  toBeColdStart(): R;
  /** The call was answered by the same container as `earlier`, warm: module state carried over. */
  toBeWarmIn(earlier: Call): R;
  /**
   * The container froze after this call with work still in flight (a request or timer the handler
   * did not await), optionally matching `expected`. On the platform that work is suspended with the
   * container and may never finish.
   */
  toHavePendingAtFreeze(expected?: PendingWorkMatch): R;
}

declare module 'vitest' {
  interface Matchers<R extends void | Promise<void> = void | Promise<void>, T = unknown> extends SimMatchers<R> {}
}

interface MatcherContext {
  isNot: boolean;
}

interface MatcherResult {
  pass: boolean;
  message: () => string;
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

/** "container hello-world-3, which was cold" / "..., which was warm (its 3rd request)". */
export function describeOrigin(call: Call): string {
  const temperature = call.coldStart ? 'cold' : `warm (its ${ordinal(call.containerRequest)} request)`;
  return `container ${call.containerId}, which was ${temperature}`;
}

function describeWork(work: PendingWork): string {
  if (work.kind === 'timer') return `a timer set for ${work.delayMs ?? '?'} ms`;
  return `an HTTP request ${work.method ?? ''} ${work.url ?? ''}`.replace(/\s+/g, ' ').trim();
}

function matches(work: PendingWork, expected: PendingWorkMatch | undefined): boolean {
  if (expected === undefined) return true;
  if (typeof expected === 'string') return (work.url ?? '').includes(expected);
  return Object.entries(expected).every(([key, value]) => value === undefined || work[key as keyof PendingWork] === value);
}

function assertCall(received: unknown, matcher: string): asserts received is Call {
  const candidate = received as Partial<Call> | null;
  if (candidate === null || typeof candidate !== 'object' || typeof candidate.containerId !== 'string' || typeof candidate.report !== 'object') {
    throw new TestingError('NOT_A_CALL', `${matcher}() expects a Call (what sim.call() resolves with), got ${String(received)}`);
  }
}

function toBeColdStart(this: MatcherContext, received: unknown): MatcherResult {
  assertCall(received, 'toBeColdStart');
  const origin = describeOrigin(received);
  return {
    pass: received.coldStart,
    message: () =>
      this.isNot
        ? `expected a warm container to answer ${received.functionName}, but the answer came from ${origin}`
        : `expected ${received.functionName} to cold-start a new container, but the answer came from ${origin}`,
  };
}

function toBeWarmIn(this: MatcherContext, received: unknown, earlier: Call): MatcherResult {
  assertCall(received, 'toBeWarmIn');
  assertCall(earlier, 'toBeWarmIn');
  const sameContainer = received.containerId === earlier.containerId;
  const origin = describeOrigin(received);
  return {
    pass: sameContainer && !received.coldStart,
    message: () => {
      if (this.isNot) return `expected the answer not to come warm from container ${earlier.containerId}, but it came from ${origin}`;
      if (sameContainer) {
        return `expected the answer to come warm from container ${earlier.containerId}, but that container was started again (cold) for it: its state was lost (crash, timeout or out-of-memory reset)`;
      }
      return `expected the answer to come warm from container ${earlier.containerId} (which answered the earlier call), but it came from ${origin}`;
    },
  };
}

function toHavePendingAtFreeze(this: MatcherContext, received: unknown, expected?: PendingWorkMatch): MatcherResult {
  assertCall(received, 'toHavePendingAtFreeze');
  const all = received.report.pendingAtFreeze;
  const found = all.filter((work) => matches(work, expected));
  const container = `container ${received.containerId}`;
  const wanted = expected === undefined ? 'work' : `work matching ${JSON.stringify(expected)}`;
  const listed = (works: PendingWork[]): string => works.map(describeWork).join('; ');
  return {
    pass: found.length > 0,
    message: () => {
      if (this.isNot) {
        return (
          `expected ${container} to freeze with no ${wanted} in flight after ${received.functionName} answered, but it froze with ` +
          `${found.length === 1 ? 'this' : `these ${found.length}`} still running: ${listed(found)}. ` +
          'On the platform that work is suspended with the container and may never finish: await it, or hand it to context.waitUntil().'
        );
      }
      if (received.report.outcome !== 'ok') {
        return `expected ${container} to freeze with ${wanted} in flight, but it did not freeze: the invocation ended with ${received.report.outcome}${received.report.errorMessage ? ` (${received.report.errorMessage})` : ''}`;
      }
      const other = all.length > 0 ? ` (it left other work: ${listed(all)})` : '';
      return `expected ${container} to freeze with ${wanted} in flight after ${received.functionName} answered, but nothing matching was pending${other}`;
    },
  };
}

/** The matchers as `expect.extend` takes them. */
export const simMatchers = { toBeColdStart, toBeWarmIn, toHavePendingAtFreeze };
