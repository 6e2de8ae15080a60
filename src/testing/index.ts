/**
 * `stateful-serverless/testing`: drive your own functions across warm and cold containers from vitest.
 *
 * ```ts
 * import { expect, test } from 'vitest';
 * import { startSim } from 'stateful-serverless/testing';
 *
 * test('a warm container remembers', async () => {
 *   const sim = startSim({ site: '.' });
 *   const first = await sim.call('counter');
 *   const second = await sim.call('counter');
 *   expect(first).toBeColdStart();
 *   expect(second).toBeWarmIn(first);
 * });
 * ```
 *
 * Importing this module adds the matchers ({@link SimMatchers}) to vitest's `expect`.
 */
import { expect } from 'vitest';
import { simMatchers } from './matchers.ts';

expect.extend(simMatchers);

export { startSim, call, TestSim, type StartSimOptions, type CallTarget } from './test-sim.ts';
export { json, type Call } from './call.ts';
export { toRequest as request, CALL_ORIGIN, type CallInput, type JsonBody } from './call-input.ts';
export { whenStarted } from './when-started.ts';
export { describeOrigin, simMatchers, type SimMatchers, type PendingWorkMatch } from './matchers.ts';
export { TestingError, type TestingErrorCode } from './errors.ts';
export { DEFAULT_FUNCTIONS_DIRECTORY } from './site-layout.ts';
export { ManualClock } from '../sim/index.ts';
export type { ContainerSnapshot, InvocationReport, PendingWork } from '../sim/api.ts';
