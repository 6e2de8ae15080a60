import type { Handler } from '@netlify/functions';
import { currentContainerId } from '../src/lib/container-identity.ts';
import { v1ErrorResponse, v1Json } from '../src/lib/http-boundary.ts';
import { countVisit } from '../src/lib/visit-counter.ts';

/**
 * Counts visits in a JSON file under os.tmpdir(). /tmp belongs to the container and outlives warm
 * invocations, so the count climbs per container and restarts in a new one. A corrupt or unreadable
 * file is replaced and reported (log line and `x-tmp-counter-recovered` header), never a crash.
 */
export const handler: Handler = async () => {
  try {
    const { visits, recovered } = await countVisit();
    const headers: Record<string, string> = {};
    if (recovered) {
      console.warn(`tmp-counter: replaced a ${recovered.problem} counter file: ${recovered.message}`);
      headers['x-tmp-counter-recovered'] = recovered.problem;
    }
    return v1Json(200, { visits, containerId: currentContainerId() }, headers);
  } catch (error) {
    return v1ErrorResponse(error);
  }
};
