import { describe, expect, it } from 'vitest';
import type { FunctionInfo, InvocationReport } from '../../src/sim/api.ts';
import { formatPendingWarning, formatReport } from '../../src/server/invocation-log.ts';
import { RouteTable, publicPaths } from '../../src/server/routes.ts';
import { readSettings } from '../../src/server/settings.ts';

const info = (name: string, extra: Partial<FunctionInfo> = {}): FunctionInfo => ({ name, api: 'v1', bundleHash: 'h', bundleBytes: 1, ...extra });

describe('routes', () => {
  const redirects = [
    { from: '/api/*', to: '/.netlify/functions/:splat', status: 200 },
    { from: '/items/:id', to: '/.netlify/functions/items', status: 200 },
    { from: '/old', to: '/new', status: 301 },
  ];
  const table = new RouteTable([info('hello-world'), info('items'), info('pathy', { api: 'v2', configPath: ['/p/*', '/q'] })], redirects);

  it('resolves the default path, rewrites and config.path', () => {
    expect(table.match('/.netlify/functions/hello-world')).toEqual({ kind: 'function', name: 'hello-world' });
    expect(table.match('/.netlify/functions/hello-world/extra')).toEqual({ kind: 'function', name: 'hello-world' });
    expect(table.match('/api/hello-world')).toEqual({ kind: 'function', name: 'hello-world' });
    expect(table.match('/items/7')).toEqual({ kind: 'function', name: 'items' });
    expect(table.match('/p/anything/below')).toEqual({ kind: 'function', name: 'pathy' });
    expect(table.match('/q')).toEqual({ kind: 'function', name: 'pathy' });
    expect(table.match('/__sim/containers')).toEqual({ kind: 'sim-containers' });
  });

  it('says which function is missing, and which paths nothing serves', () => {
    expect(table.match('/api/nope')).toMatchObject({ kind: 'not-found', code: 'FUNCTION_NOT_FOUND' });
    expect(table.match('/.netlify/functions/pathy')).toMatchObject({ kind: 'not-found', code: 'FUNCTION_NOT_FOUND' });
    expect(table.match('/old')).toMatchObject({ kind: 'not-found', code: 'ROUTE_NOT_FOUND' });
    expect(table.skipped).toEqual(['redirect /old -> /new (301): only 200 rewrites to functions are served']);
  });

  it('lists the URLs a function answers at', () => {
    expect(publicPaths(info('hello-world'), redirects)).toEqual(['/.netlify/functions/hello-world', '/api/hello-world']);
    expect(publicPaths(info('pathy', { configPath: '/p/*' }), redirects)).toEqual(['/p/*']);
  });
});

describe('invocation log lines', () => {
  const report: InvocationReport = {
    requestId: 'r7',
    functionName: 'send-data-unawaited',
    containerId: 'c2',
    outcome: 'timeout',
    coldStart: false,
    durationMs: 60000.4,
    billedDurationMs: 60001,
    memorySizeMb: 1024,
    maxMemoryUsedMb: 30,
    pendingAtFreeze: [
      { kind: 'http-request', method: 'POST', url: 'http://x/collect', requestId: 'r5' },
      { kind: 'http-request', method: 'POST', url: 'http://x/collect', requestId: 'r7' },
      { kind: 'timer', delayMs: 1000, requestId: 'r7' },
    ],
  };

  it('REPORT carries Status for an outcome other than ok, and no Init Duration when warm', () => {
    expect(formatReport(report)).toBe(
      'REPORT RequestId: r7\tContainer: c2\tDuration: 60000.40 ms\tBilled Duration: 60001 ms\tMemory Size: 1024 MB\tMax Memory Used: 30 MB\tStatus: timeout',
    );
  });

  it('the freeze warning counts requests and timers and names every request that started them', () => {
    expect(formatPendingWarning(report)).toBe(
      'container c2 froze with 2 pending requests (POST http://x/collect, POST http://x/collect) and 1 pending timer (1000 ms) from requests r5, r7; it resumes only when c2 is invoked again',
    );
    expect(formatPendingWarning({ ...report, pendingAtFreeze: [] })).toBeUndefined();
  });
});

describe('npm start settings', () => {
  it('defaults to port 8888 and the simulator defaults', () => {
    expect(readSettings({})).toEqual({ port: 8888 });
  });

  it('reads PORT, HOST and the simulator knobs', () => {
    expect(
      readSettings({ PORT: '0', HOST: '0.0.0.0', SIM_IDLE_TIMEOUT_MS: '5000', SIM_TIMEOUT_MS: '10000', SIM_MAX_CONCURRENCY: '2' }),
    ).toEqual({ port: 0, host: '0.0.0.0', idleTimeoutMs: 5000, timeoutMs: 10000, maxConcurrency: 2 });
  });

  it('refuses values that are not integers in range, with a one-line message', () => {
    expect(() => readSettings({ PORT: '70000' })).toThrow('PORT must be an integer from 0 to 65535, got "70000"');
    expect(() => readSettings({ SIM_MAX_CONCURRENCY: '0' })).toThrow('SIM_MAX_CONCURRENCY must be an integer from 1 to any size, got "0"');
    expect(() => readSettings({ SIM_IDLE_TIMEOUT_MS: '1.5' })).toThrow(/SIM_IDLE_TIMEOUT_MS/);
  });
});
