/**
 * Every failure the library reports, as a string-literal union. Handlers map these to HTTP statuses
 * (see http-boundary.ts); nothing inside src/lib knows about status codes.
 */
export type ErrorCode =
  | 'METHOD_NOT_ALLOWED'
  | 'INVALID_JSON'
  | 'NOT_A_JSON_OBJECT'
  | 'PAYLOAD_TOO_LARGE'
  | 'INVALID_IDEMPOTENCY_KEY'
  | 'UNDELIVERABLE_PAYLOAD' // too deep, not serialisable, or too large once serialised: refused before answering
  | 'UNAUTHORIZED' // SINK_TOKEN is set and the request does not carry it
  | 'FORBIDDEN' // an operation refused outright (collect's DELETE in production without a token)
  | 'DESTINATION_REFUSED'
  | 'DESTINATION_UNREACHABLE'
  | 'DEADLINE_EXCEEDED'
  | 'MISCONFIGURED'
  | 'STORE_FAILED'
  | 'INTERNAL';

/** A failure with a machine-readable {@link ErrorCode}. The message is safe to show to a client. */
export class AppError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AppError';
    this.code = code;
  }
}

/** True when `error` is an {@link AppError}, optionally with the given code. */
export function isAppError(error: unknown, code?: ErrorCode): error is AppError {
  return error instanceof AppError && (code === undefined || error.code === code);
}
