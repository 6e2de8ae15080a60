/**
 * Inside a container: the `context` a v1 handler gets, Lambda's context object plus what Netlify puts in
 * `clientContext`.
 *
 * `clientContext` carries Netlify Identity: production verifies the `Authorization: Bearer <jwt>` of a
 * signed-in user and passes `{identity: {url, token}, user: <claims>}`. netlify dev decodes the JWT
 * WITHOUT verifying it (netlify/cli `src/lib/functions/server.ts`, `buildClientContext`, ported from
 * netlify-lambda PR 57) and adds the same data base64-encoded under `custom.netlify`; the simulator does
 * the same, so a token your Identity instance would reject is accepted here (docs/handlers.md).
 *
 * Node 24 removed `callbackWaitsForEmptyEventLoop`, `succeed`, `fail` and `done` from the context
 * (AWS Compute Blog, "Node.js 24 runtime now available in AWS Lambda"); they are present on older targets.
 */

/** Lambda's v1 context, as the handler sees it. */
export interface V1Context {
  functionName: string;
  functionVersion: string;
  awsRequestId: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  logGroupName: string;
  logStreamName: string;
  clientContext: Record<string, unknown>;
  getRemainingTimeInMillis: () => number;
  callbackWaitsForEmptyEventLoop?: boolean;
  succeed?: (result: unknown) => void;
  fail?: (error: unknown) => void;
  done?: (error: unknown, result?: unknown) => void;
}

/** What the context is built from. */
export interface V1ContextInput {
  functionName: string;
  memoryLimitMb: number;
  requestId: string;
  /** Clock time at which the invocation times out. */
  deadlineMs: number;
  /** The request's Authorization header, if any. */
  authorization: string | undefined;
  /** The site's URL (the emulated Identity endpoint lives under it). */
  siteUrl: string | undefined;
}

function base64UrlJson(part: string): unknown {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

/** An unsigned stand-in for the Identity admin token production passes: there is no Identity service locally. */
const LOCAL_IDENTITY_TOKEN = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from('{"source":"stateful-serverless simulator"}').toString('base64url')}.`;

/** `clientContext` from a Bearer JWT, decoded without verification as netlify dev does; `{}` without one. */
export function identityClientContext(authorization: string | undefined, siteUrl: string | undefined): Record<string, unknown> {
  const parts = authorization?.split(' ') ?? [];
  if (parts.length !== 2 || parts[0] !== 'Bearer' || !parts[1]) return {};
  let user: unknown;
  try {
    // A JWT's claims are its second segment. A token that is not a JWT is not meant for Identity: no context.
    const segment = parts[1].split('.')[1];
    if (segment === undefined) return {};
    user = base64UrlJson(segment);
  } catch {
    return {};
  }
  const identity = { url: `${siteUrl ?? 'http://localhost'}/.netlify/identity`, token: LOCAL_IDENTITY_TOKEN };
  return { identity, user, custom: { netlify: Buffer.from(JSON.stringify({ identity, user })).toString('base64') } };
}

/** Builds the context for one invocation. `legacy` adds the pre-Node-24 callback members (filled in by the callback runner). */
export function buildV1Context(input: V1ContextInput, legacy: boolean): V1Context {
  const context: V1Context = {
    functionName: input.functionName,
    functionVersion: '$LATEST',
    awsRequestId: input.requestId,
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${input.functionName}`,
    memoryLimitInMB: String(input.memoryLimitMb),
    logGroupName: `/aws/lambda/${input.functionName}`,
    logStreamName: 'local',
    clientContext: identityClientContext(input.authorization, input.siteUrl),
    getRemainingTimeInMillis: (): number => Math.max(0, input.deadlineMs - Date.now()),
  };
  // Lambda's default before Node 24: a callback's result is sent once the event loop is empty.
  if (legacy) context.callbackWaitsForEmptyEventLoop = true;
  return context;
}
