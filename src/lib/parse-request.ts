import { AppError } from './errors.ts';

/** The request body limit the issue sets for JSON endpoints: 64 KiB. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/** The methods the handlers speak. */
export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

/** A JSON object, as parsed from a request body. */
export type JsonObject = { [key: string]: unknown };

/** The fields of a v1 (Lambda-style) event that carry the body. */
export interface V1BodySource {
  body: string | null;
  isBase64Encoded: boolean;
}

/**
 * Narrows `method` to one of `allowed`, or throws `METHOD_NOT_ALLOWED`.
 * @returns the method, upper-cased
 */
export function assertMethod<M extends HttpMethod>(method: string | undefined, allowed: readonly M[]): M {
  const upper = (method ?? '').toUpperCase();
  const match = allowed.find((m) => m === upper);
  if (match === undefined) {
    throw new AppError('METHOD_NOT_ALLOWED', `Method ${upper || '(none)'} is not allowed here; use ${allowed.join(', ')}.`);
  }
  return match;
}

/** The raw bytes of a v1 event body (Netlify base64-encodes binary bodies and sets `isBase64Encoded`). */
export function v1BodyBytes(event: V1BodySource): Buffer {
  if (event.body === null || event.body === '') return Buffer.alloc(0);
  return Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
}

/**
 * Reads a Fetch `Request` body, refusing with `PAYLOAD_TOO_LARGE` as soon as it passes `maxBytes`
 * (a declared Content-Length over the limit is refused before reading anything).
 */
export async function readBodyBytes(req: Request, maxBytes: number = DEFAULT_MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  if (req.body === null) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = req.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      // Stop reading: the rest of an oversized body is never buffered.
      await reader.cancel().catch(() => undefined);
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** Parses `bytes` as JSON (any value). Throws `PAYLOAD_TOO_LARGE` or `INVALID_JSON`. */
export function parseJson(bytes: Buffer, maxBytes: number = DEFAULT_MAX_BODY_BYTES): unknown {
  if (bytes.byteLength > maxBytes) throw tooLarge(maxBytes);
  if (bytes.byteLength === 0) throw new AppError('INVALID_JSON', 'The request body is empty; send JSON.');
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch (error) {
    throw new AppError('INVALID_JSON', 'The request body is not valid JSON.', { cause: error });
  }
}

/** Parses `bytes` as a JSON object (not an array, string, number, boolean or null). */
export function parseJsonObject(bytes: Buffer, maxBytes: number = DEFAULT_MAX_BODY_BYTES): JsonObject {
  const value = parseJson(bytes, maxBytes);
  if (!isJsonObject(value)) {
    throw new AppError('NOT_A_JSON_OBJECT', `The request body must be a JSON object, not ${describe(value)}.`);
  }
  return value;
}

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function tooLarge(maxBytes: number): AppError {
  return new AppError('PAYLOAD_TOO_LARGE', `The request body is larger than ${maxBytes} bytes.`);
}
