import type { Handler } from '@netlify/functions';
import { recordInvocation } from '../src/lib/container-identity.ts';
import { v1Json } from '../src/lib/http-boundary.ts';

/** This container's identity: the same id on warm invocations, `coldStart: true` only on the first. */
export const handler: Handler = async () => v1Json(200, recordInvocation());
