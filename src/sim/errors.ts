import type { SimErrorCode } from './api.ts';

/** The simulator's only error type: callers branch on `code`, never on the message. */
export class SimError extends Error {
  readonly code: SimErrorCode;

  constructor(code: SimErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SimError';
    this.code = code;
  }
}
