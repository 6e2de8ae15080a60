/** Why the harness refused: callers (and tests of the harness) branch on `code`. */
export type TestingErrorCode =
  | 'NOT_IN_TEST' // startSim() outside a running test: its cleanup would have nowhere to go
  | 'NOT_READY' // `sim.sim` read before a site's simulator started (await sim.ready() first)
  | 'NO_ROUTE' // a URL path that no function serves
  | 'NOT_A_CALL' // a matcher was given something other than a Call
  | 'INVALID_OPTIONS';

/** The harness's error type. */
export class TestingError extends Error {
  readonly code: TestingErrorCode;

  constructor(code: TestingErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TestingError';
    this.code = code;
  }
}
