/**
 * What is internal to this project's own simulator suites: where their fixtures live, and the plain
 * `{ sim, clock }` shape the suites spread and destructure. Everything else comes from the public
 * harness, `stateful-serverless/testing` (src/testing/), which these suites dogfood.
 */
import path from 'node:path';
import type { ManualClock, Simulator } from '../../src/sim/index.ts';
import { startSim as startTestSim, type StartSimOptions, type TestSim } from '../../src/testing/index.ts';

export { call, json, request, whenStarted, type Call } from '../../src/testing/index.ts';

export const FIXTURES_DIR = path.resolve(import.meta.dirname, 'fixtures/functions');
export const FUNCTIONS_DIR = path.resolve(import.meta.dirname, '../../functions');

/** A started harness as plain data: `{ ...startSim() }` keeps every field. */
export interface SuiteSim {
  sim: Simulator;
  clock: ManualClock;
  harness: TestSim;
}

/** The public `startSim` (cleanup with the running test), on this suite's fixture functions unless told otherwise. */
export function startSim(options: Omit<StartSimOptions, 'site'> = {}): SuiteSim {
  // A functions directory is always set here, so the simulator exists at once (no site to read first).
  const harness = startTestSim({ functionsDir: FIXTURES_DIR, ...options });
  return { sim: harness.sim, clock: harness.clock, harness };
}
