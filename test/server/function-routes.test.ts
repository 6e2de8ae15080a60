import { describe, expect, it } from 'vitest';
import type { FunctionConfig, FunctionInfo } from '../../src/sim/api.ts';
import { ManualClock } from '../../src/sim/index.ts';
import { RateLimiter } from '../../src/server/rate-limiter.ts';
import { RouteTable } from '../../src/server/routes.ts';

const fn = (name: string, config: FunctionConfig = {}): FunctionInfo => ({ name, api: 'v2', bundleHash: 'h', bundleBytes: 1, config });

describe('routing by function config', () => {
  const statics = new Set(['/docs/index.html']);
  const table = new RouteTable(
    [
      fn('city', { path: ['/travel/:city/:country?'] }),
      fn('files', { path: ['/files/*'], excludedPath: ['/files/private/*', '/files/*.secret'], method: ['GET', 'HEAD'] }),
      fn('docs', { path: ['/docs/*'], preferStatic: true }),
      fn('plain'),
      fn('not-builder', { builder: false }),
    ],
    [],
    { hasStaticFile: (pathname) => statics.has(pathname) },
  );

  it('hands the named groups of the matched pattern over as params', () => {
    expect(table.match('/travel/paris/france')).toEqual({ kind: 'function', name: 'city', params: { city: 'paris', country: 'france' } });
    expect(table.match('/travel/rome')).toEqual({ kind: 'function', name: 'city', params: { city: 'rome' } });
    // Wildcards make numbered groups only: no params.
    expect(table.match('/files/a/b', { method: 'GET' })).toEqual({ kind: 'function', name: 'files' });
  });

  it('skips excluded paths and other methods, falling through as if the function did not match', () => {
    expect(table.match('/files/private/x', { method: 'GET' })).toMatchObject({ kind: 'not-found', code: 'ROUTE_NOT_FOUND' });
    expect(table.match('/files/key.secret', { method: 'GET' })).toMatchObject({ kind: 'not-found' });
    expect(table.match('/files/a', { method: 'POST' })).toMatchObject({ kind: 'not-found', code: 'ROUTE_NOT_FOUND' });
    expect(table.match('/files/a', { method: 'HEAD' })).toMatchObject({ kind: 'function', name: 'files' });
  });

  it('yields to a static file when preferStatic is set', () => {
    expect(table.match('/docs/index.html')).toMatchObject({ kind: 'not-found' });
    expect(table.match('/docs/other.html')).toEqual({ kind: 'function', name: 'docs' });
  });

  it('serves /.netlify/builders/<name> like /.netlify/functions/<name>, except a function known not to be a builder', () => {
    expect(table.match('/.netlify/builders/plain')).toEqual({ kind: 'function', name: 'plain' });
    expect(table.match('/.netlify/builders/plain/deep/path')).toEqual({ kind: 'function', name: 'plain' });
    expect(table.match('/.netlify/builders/not-builder')).toMatchObject({ kind: 'not-found', message: 'function "not-builder" is not an on-demand builder' });
    expect(table.match('/.netlify/builders/city')).toMatchObject({ kind: 'not-found', code: 'FUNCTION_NOT_FOUND' });
  });
});

describe('config.rateLimit', () => {
  const limited = (aggregateBy: Array<'ip' | 'domain'>, extra: Partial<FunctionConfig['rateLimit']> = {}): FunctionInfo =>
    fn('api', { path: ['/api'], rateLimit: { windowLimit: 2, windowSize: 10, aggregateBy, action: 'rate_limit', ...extra } });

  it('counts per ip in a sliding window on the clock', () => {
    const clock = new ManualClock();
    const table = new RouteTable([limited(['ip'])], [], { rateLimiter: new RateLimiter(clock) });
    const from = (ip: string) => table.match('/api', { ip, domain: 'a.test' }).kind;
    expect([from('1.1.1.1'), from('1.1.1.1'), from('1.1.1.1'), from('2.2.2.2')]).toEqual(['function', 'function', 'rate-limited', 'function']);
    clock.advance(9_999);
    expect(from('1.1.1.1')).toBe('rate-limited');
    clock.advance(1);
    expect(from('1.1.1.1')).toBe('function');
  });

  it('counts per domain, or per ip and domain together', () => {
    const byDomain = new RouteTable([limited(['domain'])], [], { rateLimiter: new RateLimiter(new ManualClock()) });
    const d = (ip: string, domain: string) => byDomain.match('/api', { ip, domain }).kind;
    expect([d('1.1.1.1', 'a.test'), d('2.2.2.2', 'a.test'), d('3.3.3.3', 'a.test'), d('3.3.3.3', 'b.test')]).toEqual(['function', 'function', 'rate-limited', 'function']);
    const both = new RouteTable([limited(['ip', 'domain'])], [], { rateLimiter: new RateLimiter(new ManualClock()) });
    const b = (ip: string, domain: string) => both.match('/api', { ip, domain }).kind;
    expect([b('1.1.1.1', 'a.test'), b('1.1.1.1', 'a.test'), b('1.1.1.1', 'b.test'), b('1.1.1.1', 'a.test')]).toEqual(['function', 'function', 'function', 'rate-limited']);
  });

  it('rewrites to `to` over the limit; a target no function serves is left to the static server', () => {
    const limiter = new RateLimiter(new ManualClock());
    const table = new RouteTable([limited(['ip'], { action: 'rewrite', to: '/busy' }), fn('busy', { path: ['/busy'] })], [], { rateLimiter: limiter });
    table.match('/api');
    table.match('/api');
    expect(table.match('/api')).toEqual({ kind: 'function', name: 'busy', rewrittenFrom: '/api' });
    const toStatic = new RouteTable([limited(['ip'], { action: 'rewrite', to: '/busy.html' })], [], { rateLimiter: new RateLimiter(new ManualClock()) });
    toStatic.match('/api');
    toStatic.match('/api');
    expect(toStatic.match('/api')).toMatchObject({ kind: 'not-found', rewrittenPathname: '/busy.html' });
  });
});
