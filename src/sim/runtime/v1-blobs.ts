/**
 * The `blobs` field Netlify adds to a v1 event. In Lambda compatibility mode `@netlify/blobs` is not
 * configured from the environment: the function calls `connectLambda(event)`, which decodes
 * `event.blobs` (base64 JSON `{url, token, …}`) and reads `x-nf-site-id` / `x-nf-deploy-id` from the
 * headers (@netlify/blobs README, "Lambda compatibility mode"). netlify-cli sets the same field
 * (`lib/functions/netlify-function.ts`, `getBlobsEventProperty`): `primary_region`, `url`,
 * `url_uncached`, `token`. Without it `connectLambda` throws on `undefined`.
 */
import type { V1Event } from '../protocol.ts';

interface BlobsEnvironmentContext {
  primaryRegion?: string;
  edgeURL?: string;
  uncachedEdgeURL?: string;
  token?: string;
}

/** `event` with `blobs` built from the container's `NETLIFY_BLOBS_CONTEXT`, or as it was when there is none. */
export function withBlobsField(event: V1Event, encodedContext: string | undefined): V1Event {
  if (encodedContext === undefined || event.blobs !== undefined) return event;
  let context: BlobsEnvironmentContext;
  try {
    context = JSON.parse(Buffer.from(encodedContext, 'base64').toString('utf8')) as BlobsEnvironmentContext;
  } catch {
    // A context that does not decode is the site's own mistake; @netlify/blobs reports it on use.
    return event;
  }
  const property = { primary_region: context.primaryRegion, url: context.edgeURL, url_uncached: context.uncachedEdgeURL ?? context.edgeURL, token: context.token };
  return { ...event, blobs: Buffer.from(JSON.stringify(property)).toString('base64') };
}
