import { describe, expect, it } from 'vitest';
import { request } from '../../src/testing/index.ts';

describe('the call shorthand', () => {
  it('a name goes to /.netlify/functions/<name>, a path as it is', () => {
    expect(request('hello').url).toBe('http://localhost/.netlify/functions/hello');
    expect(request('/api/hello?x=1').url).toBe('http://localhost/api/hello?x=1');
  });

  it('a query string is kept byte for byte and appended to one the path already has', () => {
    expect(request('hello', { query: 'a=%20&b=+' }).url).toBe('http://localhost/.netlify/functions/hello?a=%20&b=+');
    expect(request('/p?x=1', { query: '?y=2' }).url).toBe('http://localhost/p?x=1&y=2');
  });

  it('a query object is URL-encoded', () => {
    expect(request('hello', { query: { q: 'a b', n: '1' } }).url).toBe('http://localhost/.netlify/functions/hello?q=a+b&n=1');
  });

  it('a plain object body is JSON, POST unless a method is given, and a content type given is kept', async () => {
    const post = request('hello', { body: { n: 1 } });
    expect([post.method, post.headers.get('content-type'), await post.text()]).toEqual(['POST', 'application/json', '{"n":1}']);
    const put = request('hello', { method: 'PUT', body: [1, 2], headers: { 'Content-Type': 'application/vnd.api+json' } });
    expect([put.method, put.headers.get('content-type'), await put.text()]).toEqual(['PUT', 'application/vnd.api+json', '[1,2]']);
  });

  it('any other body is sent as it is, with the given method and headers', async () => {
    const sent = request('hello', { method: 'POST', body: 'raw', headers: { 'x-test': '1' } });
    expect([sent.method, sent.headers.get('x-test'), await sent.text()]).toEqual(['POST', '1', 'raw']);
    expect(request('hello').method).toBe('GET');
  });
});
