import { describe, expect, it } from 'vitest';
import { DELIVERY_DEFAULTS, readDeliveryConfig } from '../../src/lib/delivery-config.ts';
import { AppError } from '../../src/lib/errors.ts';

describe('readDeliveryConfig', () => {
  it('prefers SEND_DATA_URL over URL', () => {
    expect(readDeliveryConfig({ SEND_DATA_URL: 'http://sink/x', URL: 'https://site' }).destinationUrl).toBe('http://sink/x');
  });

  it("defaults to the site's collect function, tolerating a trailing slash on URL", () => {
    expect(readDeliveryConfig({ URL: 'https://site.netlify.app/' })).toEqual({
      destinationUrl: 'https://site.netlify.app/.netlify/functions/collect',
      ...DELIVERY_DEFAULTS,
    });
  });

  it('reads the numeric settings', () => {
    const config = readDeliveryConfig({
      URL: 'https://s',
      SEND_DATA_DEADLINE_MS: '1500',
      SEND_DATA_CONNECT_TIMEOUT_MS: '300',
      SEND_DATA_MAX_ATTEMPTS: '5',
      SEND_DATA_RETRY_BASE_MS: '0',
    });
    expect(config).toMatchObject({ deadlineMs: 1500, connectTimeoutMs: 300, maxAttempts: 5, retryBaseDelayMs: 0 });
  });

  it.each([{}, { URL: '  ' }, { URL: 'https://s', SEND_DATA_MAX_ATTEMPTS: '0' }, { URL: 'https://s', SEND_DATA_DEADLINE_MS: '1.5s' }])(
    'refuses %o as MISCONFIGURED',
    (env) => {
      expect(() => readDeliveryConfig(env)).toThrow(expect.objectContaining({ code: 'MISCONFIGURED' }) as AppError);
    },
  );
});
