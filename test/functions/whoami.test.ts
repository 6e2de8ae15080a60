import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { invokeV1 } from '../fixtures/invoke.ts';

type WhoamiModule = typeof import('../../functions/whoami.ts');

async function coldStart(): Promise<WhoamiModule> {
  vi.resetModules();
  return import('../../functions/whoami.ts');
}

interface Identity {
  containerId: string;
  coldStart: boolean;
  invocation: number;
  initAt: string;
  uptimeMs: number;
}

async function whoami(mod: WhoamiModule): Promise<Identity> {
  const res = await invokeV1(mod.handler);
  expect(res.statusCode).toBe(200);
  return JSON.parse(res.body) as Identity;
}

const T0 = Date.parse('2026-01-01T12:00:00.000Z');

describe('whoami', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reports a cold start only on the first invocation, then the same container warm', async () => {
    const mod = await coldStart();
    const first = await whoami(mod);
    vi.setSystemTime(T0 + 2_500);
    const second = await whoami(mod);
    expect(first).toEqual({
      containerId: first.containerId,
      coldStart: true,
      invocation: 1,
      initAt: '2026-01-01T12:00:00.000Z',
      uptimeMs: 0,
    });
    expect(second).toEqual({ ...first, coldStart: false, invocation: 2, uptimeMs: 2_500 });
    expect(Object.keys(first)).toEqual(['containerId', 'coldStart', 'invocation', 'initAt', 'uptimeMs']);
  });

  it('gives a new container a new id and a fresh cold start', async () => {
    const a = await whoami(await coldStart());
    const b = await whoami(await coldStart());
    expect(b.containerId).not.toBe(a.containerId);
    expect(b).toMatchObject({ coldStart: true, invocation: 1 });
  });
});
