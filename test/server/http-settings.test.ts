import { describe, expect, it } from 'vitest';
import { readHttpSettings } from '../../src/server/http-settings.ts';
import { describeParserError, rawErrorResponse } from '../../src/server/parse-errors.ts';

describe('readHttpSettings', () => {
  it('reads nothing from an empty environment (the server defaults apply)', () => {
    expect(readHttpSettings({})).toEqual({});
  });

  it('reads every knob', () => {
    expect(readHttpSettings({ SIM_EXPOSE: '1', SIM_FUNCTION_CONCURRENCY: '4', SIM_QUEUE_LENGTH: '0', SIM_SHUTDOWN_GRACE_MS: '2500' })).toEqual({
      exposeSim: true,
      functionConcurrency: 4,
      queueLength: 0,
      shutdownGraceMs: 2500,
    });
    expect(readHttpSettings({ SIM_EXPOSE: 'false' })).toEqual({ exposeSim: false });
  });

  it('refuses values out of range with a one-line CONFIG_INVALID', () => {
    expect(() => readHttpSettings({ SIM_FUNCTION_CONCURRENCY: '0' })).toThrow('SIM_FUNCTION_CONCURRENCY must be an integer from 1 to 10000, got "0"');
    expect(() => readHttpSettings({ SIM_EXPOSE: 'yes' })).toThrow('SIM_EXPOSE must be 1 or 0');
    expect(() => readHttpSettings({ SIM_SHUTDOWN_GRACE_MS: '-1' })).toThrow(/SIM_SHUTDOWN_GRACE_MS/);
  });
});

describe('parser refusals', () => {
  it('keeps the status Node would choose and names the problem', () => {
    expect(describeParserError({ code: 'HPE_HEADER_OVERFLOW', message: '' }).code).toBe('HEADERS_TOO_LARGE');
    expect(describeParserError({ code: 'ERR_HTTP_REQUEST_TIMEOUT', message: '' }).code).toBe('REQUEST_TIMEOUT');
    expect(describeParserError({ code: 'HPE_UNEXPECTED_CONTENT_LENGTH', message: '' }).message).toMatch(/Transfer-Encoding/);
    expect(describeParserError({ code: 'HPE_SOMETHING_NEW', reason: 'Odd', message: '' })).toEqual({ code: 'MALFORMED_REQUEST', message: 'the request could not be parsed: Odd' });
  });

  it('writes a whole HTTP response with a JSON body and Connection: close', () => {
    const raw = rawErrorResponse({ code: 'HEADERS_TOO_LARGE', message: 'too big' });
    const body = '{"error":{"code":"HEADERS_TOO_LARGE","message":"too big"}}';
    expect(raw).toBe(`HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`);
  });
});
