/**
 * What the HTTP parser's refusals mean to a client. Node's parser (llhttp) rejects a request before
 * any handler sees it and, without a `clientError` listener, answers a bare `400 Bad Request` with no
 * body. The server answers each of them with its JSON error body instead, keeping the status Node
 * would have chosen (431 for oversized headers, 408 for a timeout, 400 otherwise).
 */
import { errorBody, statusForCode, type ServerErrorCode } from './errors.ts';

/** A parser or connection error as `clientError` hands it over. */
export interface ParserError {
  code?: string | undefined;
  reason?: string | undefined;
  message: string;
}

/** The code and message a refused request gets. */
export interface ParseRefusal {
  code: ServerErrorCode;
  message: string;
}

const messages: Record<string, string> = {
  HPE_HEADER_OVERFLOW: 'the request line and headers exceed the 16 KiB limit',
  HPE_INVALID_CONTENT_LENGTH: 'the Content-Length header is not a single valid number',
  HPE_UNEXPECTED_CONTENT_LENGTH: 'Content-Length and Transfer-Encoding: chunked were both sent (request smuggling pattern)',
  HPE_INVALID_TRANSFER_ENCODING: 'the Transfer-Encoding header is not valid',
  HPE_INVALID_CHUNK_SIZE: 'the chunked body is malformed (bad chunk size)',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 'the chunked body is malformed (chunk extensions too long)',
  HPE_STRICT: 'the chunked body is malformed',
  HPE_INVALID_HEADER_TOKEN: 'a header name or value holds a character HTTP does not allow (a control byte?)',
  HPE_INVALID_METHOD: 'the request method is not valid',
  HPE_INVALID_URL: 'the request target is not valid',
  HPE_INVALID_VERSION: 'the HTTP version is not valid',
  HPE_INVALID_CONSTANT: 'the request is not HTTP',
  HPE_LF_EXPECTED: 'a line of the request does not end in CRLF',
  HPE_CR_EXPECTED: 'a line of the request does not end in CRLF',
};

/** Classifies a `clientError`: the code (and so the status) and a message that names the problem. */
export function describeParserError(error: ParserError): ParseRefusal {
  const code = error.code ?? '';
  if (code === 'HPE_HEADER_OVERFLOW') return { code: 'HEADERS_TOO_LARGE', message: messages[code] as string };
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT' || code === 'HPE_HEADER_TIMEOUT') {
    return { code: 'REQUEST_TIMEOUT', message: 'the request headers or body did not arrive in time' };
  }
  const known = messages[code];
  const message = known ?? `the request could not be parsed${error.reason ? `: ${error.reason}` : ''}`;
  return { code: 'MALFORMED_REQUEST', message };
}

const reasons: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

/**
 * The whole raw HTTP/1.1 response for a refused request: there is no response object at this point,
 * so the bytes are written to the socket directly, with `Connection: close` (the parser cannot resync).
 */
export function rawErrorResponse(refusal: ParseRefusal): string {
  const status = statusForCode(refusal.code);
  const body = errorBody(refusal.code, refusal.message);
  return `HTTP/1.1 ${status} ${reasons[status] ?? 'Bad Request'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}
