/** Error codes the local server answers with, besides the simulator's own (`SimErrorCode`). */
export type ServerErrorCode =
  | 'ROUTE_NOT_FOUND' // no function serves this path
  | 'FUNCTION_NOT_FOUND' // /.netlify/functions/<name> names no function
  | 'METHOD_NOT_ALLOWED'
  | 'PAYLOAD_TOO_LARGE' // request body over the 6 MB buffered-payload limit
  | 'BAD_REQUEST' // a request target that is not a URL path
  | 'MALFORMED_REQUEST' // the HTTP parser refused the request (bad framing, control bytes, bad Content-Length, CL+TE)
  | 'HEADERS_TOO_LARGE' // request line and headers over Node's 16 KiB limit
  | 'REQUEST_TIMEOUT' // headers or body not received within the server's bounds
  | 'SIM_NOT_EXPOSED' // /__sim/* asked by a client that is not on this machine, without SIM_EXPOSE=1
  | 'THROTTLED' // the function's concurrency limit is reached and its queue is full
  | 'SERVER_CLOSING' // shutdown in progress: in-flight requests finish, new ones are refused
  | 'BUNDLE_FAILED'
  | 'INTERNAL_ERROR'
  | 'PORT_IN_USE'
  | 'CONFIG_INVALID'
  | 'RATE_LIMITED'; // a function's config.rateLimit refused the request

/** A typed error inside the server; the HTTP boundary turns it into a status and a JSON body. */
export class ServerError extends Error {
  readonly code: ServerErrorCode;

  constructor(code: ServerErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ServerError';
    this.code = code;
  }
}

/** The one error body clients ever get: `{"error":{"code","message"}}`, never a stack trace. */
export function errorBody(code: string, message: string): string {
  return JSON.stringify({ error: { code, message } });
}

const statusByCode: Record<ServerErrorCode, number> = {
  ROUTE_NOT_FOUND: 404,
  FUNCTION_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  PAYLOAD_TOO_LARGE: 413,
  BAD_REQUEST: 400,
  MALFORMED_REQUEST: 400,
  HEADERS_TOO_LARGE: 431,
  REQUEST_TIMEOUT: 408,
  SIM_NOT_EXPOSED: 403,
  THROTTLED: 429,
  SERVER_CLOSING: 503,
  BUNDLE_FAILED: 500,
  INTERNAL_ERROR: 500,
  PORT_IN_USE: 500,
  CONFIG_INVALID: 500,
  RATE_LIMITED: 429,
};

/** HTTP status for a server error code (the only place statuses are chosen). */
export function statusForCode(code: ServerErrorCode): number {
  return statusByCode[code];
}

/**
 * Maps whatever `Simulator.invoke` threw to a server error. The simulator throws `SimError` with a
 * `code`; it is matched by shape so this module does not load the simulator.
 */
export function fromSimulatorError(error: unknown): ServerError {
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  switch (code) {
    case 'FUNCTION_NOT_FOUND':
      return new ServerError('FUNCTION_NOT_FOUND', message, { cause: error });
    case 'SIMULATOR_CLOSED':
      return new ServerError('SERVER_CLOSING', message, { cause: error });
    case 'BUNDLE_FAILED':
      return new ServerError('BUNDLE_FAILED', message, { cause: error });
    case 'CONFIG_INVALID':
      return new ServerError('CONFIG_INVALID', message, { cause: error });
    default:
      return new ServerError('INTERNAL_ERROR', 'the simulator failed to run the function', { cause: error });
  }
}
