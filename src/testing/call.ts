/**
 * One finished call, as a sequential client sees it: the answer read to its end and the container
 * frozen again, with the platform's REPORT (cold start, duration, work left pending at freeze).
 */
import type { InvocationReport, InvocationResult, InvokeOptions } from '../sim/api.ts';
import type { Simulator } from '../sim/index.ts';

/** A finished call: what the client got, and what happened in the container that served it. */
export interface Call {
  functionName: string;
  requestId: string;
  /** The container that answered, such as `hello-world-3`. */
  containerId: string;
  /** True when a new container was started for this call (the INIT phase ran). */
  coldStart: boolean;
  /** Which of its container's requests this was: 1 for the cold start, 2 for the first warm one, ... */
  containerRequest: number;
  status: number;
  headers: Headers;
  /** The whole response body, as text. */
  text: string;
  /** The platform's REPORT for this invocation, taken once the container froze (or was killed). */
  report: InvocationReport;
  /** The raw simulator result (its `response` body has been read). */
  result: InvocationResult;
}

/** The body of a call, parsed as JSON. */
export function json<T = Record<string, unknown>>(call: Call): T {
  return JSON.parse(call.text) as T;
}

/** Which request of its container this one is: the ones it finished, plus this one. */
function containerRequestOf(sim: Simulator, containerId: string): number {
  const snapshot = sim.containers().find((container) => container.id === containerId);
  return (snapshot?.invocations ?? 0) + 1;
}

/**
 * Invokes `name` with `request`, reads the answer and waits until the container froze: the call a
 * test makes most. The `onStart` in `options` is still called.
 */
export async function invokeAndSettle(sim: Simulator, name: string, request: Request, options: InvokeOptions = {}): Promise<Call> {
  let containerRequest = 0;
  const result = await sim.invoke(name, request, {
    ...options,
    onStart: (start) => {
      // Read now: a container serves one request at a time, so its finished count is exact here.
      containerRequest = containerRequestOf(sim, start.containerId);
      options.onStart?.(start);
    },
  });
  const text = await result.response.text();
  const report = await result.done;
  return {
    functionName: name,
    requestId: result.requestId,
    containerId: result.containerId,
    coldStart: result.coldStart,
    containerRequest,
    status: result.response.status,
    headers: result.response.headers,
    text,
    report,
    result,
  };
}
