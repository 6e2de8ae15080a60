import path from 'node:path';
import { onTestFinished } from 'vitest';
import { ManualClock, Simulator, type InvocationReport, type InvocationResult, type SimulatorExtraOptions, type SimulatorOptions } from '../../src/sim/index.ts';

export const FIXTURES_DIR = path.resolve(import.meta.dirname, 'fixtures/functions');
export const FUNCTIONS_DIR = path.resolve(import.meta.dirname, '../../functions');

/** A simulator on a manual clock, destroyed when the test ends (whatever happens). */
export function startSim(options: Partial<SimulatorOptions> & SimulatorExtraOptions = {}): { sim: Simulator; clock: ManualClock } {
  const clock = options.clock instanceof ManualClock ? options.clock : new ManualClock();
  const sim = new Simulator({ functionsDir: FIXTURES_DIR, ...options, clock });
  onTestFinished(() => sim.destroy());
  return { sim, clock };
}

/** One finished invocation: response body read, container frozen. */
export interface Call {
  result: InvocationResult;
  status: number;
  text: string;
  report: InvocationReport;
}

export function request(name: string, init: RequestInit & { query?: string } = {}): Request {
  return new Request(`http://localhost/.netlify/functions/${name}${init.query ? `?${init.query}` : ''}`, init);
}

/** Invokes and waits until the container froze again, as a sequential client would see it. */
export async function call(sim: Simulator, name: string, init: RequestInit & { query?: string } = {}): Promise<Call> {
  const result = await sim.invoke(name, request(name, init));
  const text = await result.response.text();
  const report = await result.done;
  return { result, status: result.response.status, text, report };
}

export function json<T = Record<string, unknown>>(c: Call): T {
  return JSON.parse(c.text) as T;
}

/** An `onStart` hook and a promise of the container that took the request (for handlers that never answer). */
export function whenStarted(): { onStart: (start: { containerId: string }) => void; containerId: Promise<string> } {
  let resolve!: (id: string) => void;
  const containerId = new Promise<string>((r) => (resolve = r));
  return { onStart: (start) => resolve(start.containerId), containerId };
}
