import { describe, expect, it, vi } from 'vitest';
import { AppError, type ErrorCode } from '../../src/lib/errors.ts';
import { httpStatusFor, v1ErrorResponse, v2ErrorResponse } from '../../src/lib/http-boundary.ts';

describe('http-boundary', () => {
  it.each<[ErrorCode, number]>([
    ['METHOD_NOT_ALLOWED', 405],
    ['INVALID_JSON', 400],
    ['NOT_A_JSON_OBJECT', 400],
    ['PAYLOAD_TOO_LARGE', 413],
    ['INVALID_IDEMPOTENCY_KEY', 400],
    ['DESTINATION_REFUSED', 502],
    ['DESTINATION_UNREACHABLE', 502],
    ['DEADLINE_EXCEEDED', 504],
    ['MISCONFIGURED', 500],
  ])('maps %s to %i', (code, status) => {
    expect(httpStatusFor(code)).toBe(status);
  });

  it('turns an unexpected error into a generic 500 without its message or stack', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const secret = new Error('db password is hunter2');
    const v1 = v1ErrorResponse(secret);
    const v2 = v2ErrorResponse(secret);
    expect(v1.statusCode).toBe(500);
    expect(JSON.parse(v1.body ?? '')).toEqual({ error: { code: 'INTERNAL', message: 'Internal error.' } });
    expect(await v2.text()).not.toContain('hunter2');
    expect(log).toHaveBeenCalledWith('unexpected error', secret); // but the logs keep it
    log.mockRestore();
  });

  it('adds Allow only to a 405', () => {
    expect(v1ErrorResponse(new AppError('METHOD_NOT_ALLOWED', 'no'), { allow: ['GET', 'POST'] }).headers).toMatchObject({ allow: 'GET, POST' });
    expect(v1ErrorResponse(new AppError('INVALID_JSON', 'no'), { allow: ['POST'] }).headers).not.toHaveProperty('allow');
  });
});
