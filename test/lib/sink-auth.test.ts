import { describe, expect, it } from 'vitest';
import { codeOf } from '../fixtures/app-error-code.ts';
import { assertSinkAuthorized, isProductionDeploy, sinkAuthorization } from '../../src/lib/sink-auth.ts';

describe('sink token', () => {
  it('checks nothing when SINK_TOKEN is not set', () => {
    expect(codeOf(() => assertSinkAuthorized(null, {}))).toBeUndefined();
    expect(sinkAuthorization({})).toBeUndefined();
  });

  it('requires Authorization: Bearer <token> when it is set', () => {
    const env = { SINK_TOKEN: 's3cret' };
    expect(sinkAuthorization(env)).toBe('Bearer s3cret');
    expect(codeOf(() => assertSinkAuthorized('Bearer s3cret', env))).toBeUndefined();
    expect(codeOf(() => assertSinkAuthorized('bearer  s3cret ', env))).toBeUndefined();
    for (const header of [null, '', 'Bearer', 'Bearer wrong', 'Basic s3cret', 's3cret', 'Bearer s3cret2']) {
      expect(codeOf(() => assertSinkAuthorized(header, env))).toBe('UNAUTHORIZED');
    }
  });

  it('tells a production deploy by the v2 deploy context or CONTEXT=production', () => {
    expect(isProductionDeploy('production', {})).toBe(true);
    expect(isProductionDeploy(undefined, { CONTEXT: 'production' })).toBe(true);
    expect(isProductionDeploy('dev', {})).toBe(false);
    expect(isProductionDeploy('deploy-preview', { CONTEXT: 'deploy-preview' })).toBe(false);
  });

  it('does not read CONTEXT when the deploy context answers, so the simulator logs no CONTEXT warning for collect', () => {
    const read: string[] = [];
    const env = new Proxy<Record<string, string | undefined>>({ CONTEXT: 'production' }, {
      get: (target, name) => {
        if (typeof name === 'string') read.push(name);
        return typeof name === 'string' ? target[name] : undefined;
      },
    });
    expect(isProductionDeploy('dev', env)).toBe(false);
    expect(isProductionDeploy('production', env)).toBe(true);
    expect(read).toEqual([]);
    expect(isProductionDeploy(undefined, env)).toBe(true);
    expect(read).toEqual(['CONTEXT']);
  });
});
