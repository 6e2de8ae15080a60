import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobsServer } from '@netlify/blobs/server';

/** Options for {@link startLocalBlobs}. */
export interface LocalBlobsOptions {
  /** Where the server keeps its files. Default: a fresh temp directory, removed again by `close()`. */
  directory?: string;
  /** Site id the context names. Any string works locally. Default `local-site`. */
  siteId?: string;
}

/** The context `@netlify/blobs` decodes from `NETLIFY_BLOBS_CONTEXT` (the shape netlify dev builds). */
export interface LocalBlobsContext {
  deployID: string;
  edgeURL: string;
  uncachedEdgeURL: string;
  primaryRegion: string;
  siteID: string;
  token: string;
}

/** A running local Blobs backend. */
export interface LocalBlobs {
  /** Environment a process or worker needs so that `getStore()` talks to this server. */
  env: { NETLIFY_BLOBS_CONTEXT: string };
  /** The decoded context (for callers that pass options to `getStore` explicitly). */
  context: LocalBlobsContext;
  /** The server's base URL. */
  url: string;
  /** Directory holding the stored blobs. */
  directory: string;
  /** Stops the server; removes the directory if this module created it. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts `BlobsServer` (the local Blobs backend netlify dev uses) on a random port, and builds the same
 * "edge access" context netlify-cli 27 builds for functions (`getBlobsContextWithEdgeAccess` in
 * netlify-cli's lib/blobs/blobs.js): base64 JSON with `edgeURL`, `uncachedEdgeURL` (needed for strong
 * consistency reads), `siteID`, a random bearer `token`, `deployID: "0"` and `primaryRegion: "dev"`.
 */
export async function startLocalBlobs(options: LocalBlobsOptions = {}): Promise<LocalBlobs> {
  const ownsDirectory = options.directory === undefined;
  const directory = options.directory ?? (await mkdtemp(join(tmpdir(), 'local-blobs-')));
  const token = randomUUID();
  // The server logs through console.log by default; a library fixture should stay quiet.
  const server = new BlobsServer({ directory, token, logger: () => undefined });
  const { port } = await server.start();
  const url = `http://127.0.0.1:${port}`;
  const context: LocalBlobsContext = {
    deployID: '0',
    edgeURL: url,
    uncachedEdgeURL: url,
    primaryRegion: 'dev',
    siteID: options.siteId ?? 'local-site',
    token,
  };
  let closed: Promise<void> | undefined;
  return {
    env: { NETLIFY_BLOBS_CONTEXT: Buffer.from(JSON.stringify(context)).toString('base64') },
    context,
    url,
    directory,
    close() {
      closed ??= (async () => {
        await server.stop();
        if (ownsDirectory) await rm(directory, { recursive: true, force: true });
      })();
      return closed;
    },
  };
}
