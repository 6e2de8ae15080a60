import { describe, expect, it } from 'vitest';
import { isLoopback, isWildcard, parseTarget, publicUrl, simAccessAllowed, TargetParser, urlHost } from '../../src/server/url.ts';

const base = 'http://127.0.0.1:8888';

describe('parseTarget', () => {
  it('appends an origin-form target to the base, so "//evil/x" stays a path on this server', () => {
    const url = parseTarget('//evil.example/x?q=1', base);
    expect(url.host).toBe('127.0.0.1:8888');
    expect(url.pathname).toBe('//evil.example/x');
    expect(url.search).toBe('?q=1');
  });

  it('takes an absolute-form target as it is, and throws on "*"', () => {
    expect(parseTarget('http://other:1/p', base).href).toBe('http://other:1/p');
    expect(() => parseTarget('*', base)).toThrow();
  });
});

describe('publicUrl', () => {
  it('uses the Host the client sent', () => {
    expect(publicUrl(parseTarget('/api/x?a=1', base), 'example.test:3000', base)).toBe('http://example.test:3000/api/x?a=1');
  });

  it('reuses the parsed target when the Host names the server as it listens', () => {
    expect(publicUrl(parseTarget('/p?q', base), '127.0.0.1:8888', base)).toBe('http://127.0.0.1:8888/p?q');
  });

  it('keeps only path and query of an absolute-form target: no credentials, scheme or fragment', () => {
    const target = parseTarget('https://user:pw@127.0.0.1:8888/p?q#frag', base);
    expect(publicUrl(target, '127.0.0.1:8888', base)).toBe('http://127.0.0.1:8888/p?q');
  });

  it("falls back to the server's address when the Host is missing or malformed", () => {
    expect(publicUrl(parseTarget('/p', base), undefined, base)).toBe(`${base}/p`);
    expect(publicUrl(parseTarget('/p', base), 'bad host[', base)).toBe(`${base}/p`);
  });
});

describe('addresses', () => {
  it('wildcards become localhost in a URL, IPv6 gets brackets', () => {
    expect(isWildcard('0.0.0.0')).toBe(true);
    expect(isWildcard('::')).toBe(true);
    expect(isWildcard('127.0.0.1')).toBe(false);
    expect(urlHost('0.0.0.0')).toBe('localhost');
    expect(urlHost('::1')).toBe('[::1]');
    expect(urlHost('127.0.0.1')).toBe('127.0.0.1');
  });

  it('knows loopback addresses, IPv4-mapped ones included, and nothing else', () => {
    for (const address of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1', 'localhost']) expect(isLoopback(address)).toBe(true);
    for (const address of ['10.0.0.1', '192.168.1.2', '::ffff:10.0.0.1', '0.0.0.0', '::', '1.127.0.0']) expect(isLoopback(address)).toBe(false);
  });
});

describe('simAccessAllowed', () => {
  it('lets loopback clients see /__sim/*, others only when exposed (SIM_EXPOSE=1)', () => {
    expect(simAccessAllowed('127.0.0.1', false)).toBe(true);
    expect(simAccessAllowed('::ffff:127.0.0.1', false)).toBe(true);
    expect(simAccessAllowed('::1', false)).toBe(true);
    expect(simAccessAllowed('192.168.1.20', false)).toBe(false);
    expect(simAccessAllowed('2001:db8::1', false)).toBe(false);
    expect(simAccessAllowed(undefined, false)).toBe(false);
    expect(simAccessAllowed('192.168.1.20', true)).toBe(true);
  });
});

describe('TargetParser', () => {
  it('answers a repeated target and Host as the first time, and a changed one afresh', () => {
    const parser = new TargetParser('http://127.0.0.1:8888');
    const first = parser.parse('/.netlify/functions/hello?x=1');
    expect(parser.parse('/.netlify/functions/hello?x=1')).toBe(first);
    expect(parser.publicUrl(first, 'localhost:8888')).toBe('http://localhost:8888/.netlify/functions/hello?x=1');
    // Same URL, another Host: the function must see the new Host.
    expect(parser.publicUrl(first, 'example.test')).toBe('http://example.test/.netlify/functions/hello?x=1');
    const other = parser.parse('/api/other');
    expect(other).not.toBe(first);
    expect(other.pathname).toBe('/api/other');
    expect(parser.publicUrl(other, undefined)).toBe('http://127.0.0.1:8888/api/other');
    expect(() => parser.parse('*')).toThrow();
  });
});
