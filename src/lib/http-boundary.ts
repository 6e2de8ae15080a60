import type { HandlerResponse } from '@netlify/functions';
import { AppError, type ErrorCode } from './errors.ts';

// The only place that turns library error codes into HTTP. Handlers call these at their boundary.

const STATUS_BY_CODE: Record<ErrorCode, number> = {
  METHOD_NOT_ALLOWED: 405,
  INVALID_JSON: 400,
  NOT_A_JSON_OBJECT: 400,
  PAYLOAD_TOO_LARGE: 413,
  INVALID_IDEMPOTENCY_KEY: 400,
  UNDELIVERABLE_PAYLOAD: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  DESTINATION_REFUSED: 502,
  DESTINATION_UNREACHABLE: 502,
  DEADLINE_EXCEEDED: 504,
  MISCONFIGURED: 500,
  STORE_FAILED: 502,
  INTERNAL: 500,
};

/** The HTTP status a handler answers with for `code`. */
export function httpStatusFor(code: ErrorCode): number {
  return STATUS_BY_CODE[code];
}

/** The JSON error body clients get. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

/** Options for the error responses. */
export interface ErrorResponseOptions {
  /** Methods for the `Allow` header of a 405. */
  allow?: readonly string[];
}

/**
 * Status and body for any thrown value. An {@link AppError} keeps its code and message; anything else
 * is logged (Netlify function logs) and becomes a generic `INTERNAL`, so no stack trace reaches a client.
 */
export function describeError(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof AppError) {
    return { status: httpStatusFor(error.code), body: { error: { code: error.code, message: error.message } } };
  }
  console.error('unexpected error', error);
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'Internal error.' } } };
}

function errorHeaders(status: number, options: ErrorResponseOptions): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (status === 405 && options.allow) headers.allow = options.allow.join(', ');
  if (status === 401) headers['www-authenticate'] = 'Bearer';
  return headers;
}

/** A v1 handler's error response. */
export function v1ErrorResponse(error: unknown, options: ErrorResponseOptions = {}): HandlerResponse {
  const { status, body } = describeError(error);
  return { statusCode: status, headers: errorHeaders(status, options), body: JSON.stringify(body) };
}

/** A v2 handler's error response. */
export function v2ErrorResponse(error: unknown, options: ErrorResponseOptions = {}): Response {
  const { status, body } = describeError(error);
  return new Response(JSON.stringify(body), { status, headers: errorHeaders(status, options) });
}

/** A v1 JSON response. */
export function v1Json(statusCode: number, value: unknown, headers: Record<string, string> = {}): HandlerResponse {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(value) };
}

/** A v1 plain-text response. */
export function v1Text(statusCode: number, text: string, headers: Record<string, string> = {}): HandlerResponse {
  return { statusCode, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers }, body: text };
}
