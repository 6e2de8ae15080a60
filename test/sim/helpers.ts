/**
 * What is internal to this project's own simulator suites: where their fixtures live. Everything else
 * comes from the public harness, `stateful-serverless/testing` (src/testing/), which these suites dogfood.
 */
import path from 'node:path';
import { startSim as startTestSim, type StartSimOptions, type TestSim } from '../../src/testing/index.ts';

export { call, json, request, whenStarted, type Call } from '../../src/testing/index.ts';

export const FIXTURES_DIR = path.resolve(import.meta.dirname, 'fixtures/functions');
export const FUNCTIONS_DIR = path.resolve(import.meta.dirname, '../../functions');

/** The public `startSim`, on this suite's fixture functions unless told otherwise. */
export function startSim(options: StartSimOptions = {}): TestSim {
  return startTestSim({ functionsDir: FIXTURES_DIR, ...options });
}
