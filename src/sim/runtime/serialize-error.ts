import type { SerializedError } from '../protocol.ts';

/** An error as the platform reports it: `errorType` (the error's name or platform code) and message; the stack for the log. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const serialized: SerializedError = { errorType: error.name || 'Error', errorMessage: error.message };
    if (error.stack) serialized.stack = error.stack;
    return serialized;
  }
  return { errorType: 'Error', errorMessage: String(error) };
}
