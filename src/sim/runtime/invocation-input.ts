/**
 * Inside a container: turns an invocation as it crossed over (invoke-wire.ts) into what the v1 or v2
 * runner needs: the Lambda proxy event Netlify builds for a v1 handler, or the request, geo and params
 * of a v2 one. Done here rather than in the simulator so that only flat strings cross between threads.
 */
import type { Geo, HandlerApi } from '../api.ts';
import { toV1Event } from '../http-mapping.ts';
import { decodeInvocation, type InvokeWire } from '../invoke-wire.ts';
import { DEFAULT_GEO, LOCAL_ACCOUNT_ID } from '../platform-defaults.ts';
import type { InvokeMessage } from '../protocol.ts';

/**
 * The geo of the last `x-nf-geo` value seen, as JSON text: nearly every invocation carries the same one
 * (netlify dev's mock or the server's `--country`), and base64 decoding it each time is wasted work.
 * Parsed again per invocation, so a handler that changes its `context.geo` changes only its own.
 */
let lastGeo: { header: string; json: string | null } = { header: '', json: null };

function geoOf(header: string): Geo {
  if (header !== lastGeo.header) {
    let json: string | null = Buffer.from(header, 'base64').toString('utf8');
    try {
      const parsed: unknown = JSON.parse(json);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) json = null;
    } catch {
      json = null;
    }
    lastGeo = { header, json };
  }
  return lastGeo.json === null ? structuredClone(DEFAULT_GEO) : (JSON.parse(lastGeo.json) as Geo);
}

/** The invocation `wire` carries, as a runner of `api` handlers takes it. */
export function invocationInput(wire: InvokeWire, api: HandlerApi): InvokeMessage {
  const decoded = decodeInvocation(wire);
  const { requestId, nowMs, deadlineMs, clientIp, request } = decoded;
  if (api === 'v1') {
    const event = toV1Event(request, clientIp, { requestId, geoHeader: decoded.geoHeader, siteId: decoded.siteId, accountId: LOCAL_ACCOUNT_ID });
    return { type: 'invoke', requestId, nowMs, deadlineMs, clientIp, event };
  }
  return { type: 'invoke', requestId, nowMs, deadlineMs, clientIp, request, geo: geoOf(decoded.geoHeader), params: decoded.params ?? {} };
}
