/**
 * `--context production` looks like production to functions: the server sets `x-nf-deploy-context` as
 * production's proxy does, so v2 `context.deploy.context` is `production` and collect refuses DELETE
 * without a SINK_TOKEN (docs/reliability.md, "The deployed sink"). Before, the context stayed `dev`
 * whatever `--context` said, and the DELETE emptied the store.
 */
import { describe, expect, it } from 'vitest';
import { sharedTestServer, startTestServer } from '../server/helpers.ts';
import { errorCode } from './helpers.ts';

describe('the deploy context reaches functions', () => {
  // One production server for the first two tests: the second one's DELETE is refused whatever the
  // store holds (see sharedTestServer).
  const production = sharedTestServer({ resolve: { context: 'production' } });

  it('under --context production, collect refuses DELETE without a token (403 FORBIDDEN) and keeps what it stored', async () => {
    const { url } = production();
    const post = await fetch(`${url}/api/collect`, { method: 'POST', body: '{"kept":1}', headers: { 'content-type': 'application/json', 'idempotency-key': 'kept' } });
    expect(post.status).toBe(201);
    const refused = await fetch(`${url}/api/collect`, { method: 'DELETE' });
    expect(refused.status).toBe(403);
    expect(errorCode(await refused.text())).toBe('FORBIDDEN');
    const list = (await (await fetch(`${url}/api/collect`)).json()) as { items: unknown[] };
    expect(list.items).toHaveLength(1);
  });

  it('a client cannot claim another context: the server overwrites x-nf-deploy-context', async () => {
    const { url } = production();
    const refused = await fetch(`${url}/api/collect`, { method: 'DELETE', headers: { 'x-nf-deploy-context': 'dev' } });
    expect(refused.status).toBe(403);
  });

  it('under the default dev context, DELETE without a token still empties the sink', async () => {
    const { url } = await startTestServer();
    const deleted = await fetch(`${url}/api/collect`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
  });
});
