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

/**
 * The `blobs` value for each context seen: the container's `NETLIFY_BLOBS_CONTEXT` is the same on every
 * invocation (unless the handler rewrites it), and decoding and re-encoding it each time was one of the
 * larger items of a container's work per invocation in a CPU profile under load.
 */
const blobsFieldOf = new Map<string, string | null>();

/**
 * `event` with `blobs` set from the container's `NETLIFY_BLOBS_CONTEXT` (unchanged when there is none,
 * or when it has one). The event is changed in place: the runtime builds a new one for each invocation.
 */
export function withBlobsField(event: V1Event, encodedContext: string | undefined): V1Event {
  if (encodedContext === undefined || event.blobs !== undefined) return event;
  let blobs = blobsFieldOf.get(encodedContext);
  if (blobs === undefined) {
    blobs = blobsField(encodedContext);
    // Bounded: a handler that writes a new context on every invocation must not grow this without end.
    if (blobsFieldOf.size >= 16) blobsFieldOf.clear();
    blobsFieldOf.set(encodedContext, blobs);
  }
  if (blobs !== null) event.blobs = blobs;
  return event;
}

/** The `blobs` value for one encoded context; null when it does not decode. */
function blobsField(encodedContext: string): string | null {
  let context: BlobsEnvironmentContext;
  try {
    context = JSON.parse(Buffer.from(encodedContext, 'base64').toString('utf8')) as BlobsEnvironmentContext;
  } catch {
    // A context that does not decode is the site's own mistake; @netlify/blobs reports it on use.
    return null;
  }
  const property = { primary_region: context.primaryRegion, url: context.edgeURL, url_uncached: context.uncachedEdgeURL ?? context.edgeURL, token: context.token };
  return Buffer.from(JSON.stringify(property)).toString('base64');
}
