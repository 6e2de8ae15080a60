/**
 * The environment a container starts with: what Lambda sets for every function, the site's variables
 * the simulator was given, and PATH so the function can still spawn programs. NOT the shell's other
 * variables: a deployed function never sees the developer's shell, and a local run that does hides
 * "works locally, undefined in production" bugs. Names left out are handed to the runtime
 * (runtime-env.ts) so that reading one warns.
 *
 * Lambda's variables (AWS, "Defined runtime environment variables"): `AWS_LAMBDA_FUNCTION_NAME`,
 * `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, `AWS_LAMBDA_FUNCTION_VERSION` (`$LATEST`), `AWS_LAMBDA_LOG_GROUP_NAME`,
 * `AWS_LAMBDA_LOG_STREAM_NAME`, `AWS_LAMBDA_INITIALIZATION_TYPE`, `AWS_REGION`, `AWS_DEFAULT_REGION`,
 * `AWS_EXECUTION_ENV`, `LAMBDA_TASK_ROOT`, `LAMBDA_RUNTIME_DIR`, `TZ` (`:UTC`), `LANG`. Credentials
 * (`AWS_ACCESS_KEY_ID`, ...) are left out: Netlify's role keys have no local equivalent.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { BroadcastChannel } from 'node:worker_threads';
import type { SimLogger } from './api.ts';
import type { EnvHints, EnvWarning } from './runtime-env.ts';

/** Netlify runs functions in us-east-2 unless the site chose another region (docs: Functions > Region). */
export const defaultFunctionRegion = 'us-east-2';

/**
 * `AWS_EXECUTION_ENV` of the Lambda runtime a function runs on: `AWS_Lambda_nodejs<major>.x`, for the
 * Node major the site targets (Netlify's default, Node 24, or the site's `AWS_LAMBDA_JS_RUNTIME`; see
 * docs/platform-facts.md).
 */
export function executionEnv(nodeVersionMajor: number): string {
  return `AWS_Lambda_nodejs${nodeVersionMajor}.x`;
}

/** Shell variables describing the terminal: libraries probe them for colour support, and a WARN for each would be noise. */
const terminalNames = new Set(['TERM', 'COLORTERM', 'TERM_PROGRAM', 'TERM_PROGRAM_VERSION', 'FORCE_COLOR', 'NO_COLOR', 'NODE_DISABLE_COLORS', 'COLUMNS', 'LINES', 'SHLVL', '_', 'PWD', 'OLDPWD']);

/** Per-container environment. The site's variables cannot override Lambda's reserved ones, as on AWS. */
export function containerEnv(options: {
  siteEnv: Readonly<Record<string, string>>;
  functionName: string;
  memoryLimitMb: number;
  tmpDir: string;
  nodeVersionMajor: number;
}): Record<string, string> {
  const { functionName, memoryLimitMb } = options;
  const date = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  const host: Record<string, string> = {};
  if (process.env.PATH !== undefined) host.PATH = process.env.PATH;
  return {
    LANG: 'en_US.UTF-8',
    ...host,
    ...options.siteEnv,
    // The container's private /tmp (os.tmpdir() reads TMPDIR).
    TMPDIR: options.tmpDir,
    TZ: ':UTC',
    AWS_REGION: defaultFunctionRegion,
    AWS_DEFAULT_REGION: defaultFunctionRegion,
    AWS_EXECUTION_ENV: executionEnv(options.nodeVersionMajor),
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryLimitMb),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: `${date}/[$LATEST]${randomBytes(16).toString('hex')}`,
    LAMBDA_TASK_ROOT: '/var/task',
    LAMBDA_RUNTIME_DIR: '/var/runtime',
  };
}

/**
 * The variables a container always gets from the platform, whatever the site sets: a site variable of
 * the same name is overridden, as AWS reserves them (and `TMPDIR`, the container's private /tmp).
 */
export function reservedEnvNames(): string[] {
  const sample = containerEnv({ siteEnv: {}, functionName: 'f', memoryLimitMb: 1, tmpDir: '', nodeVersionMajor: 24 });
  return Object.keys(sample).filter((name) => name !== 'LANG' && name !== 'PATH');
}

// One table per (simulator, function): keyed on the simulator's env object, which every container of
// that simulator shares, so "warn once per function" holds across containers and restarts of them.
interface OwnerTables {
  channel: string;
  functions: Map<string, EnvHints>;
}
const hintTables = new WeakMap<object, OwnerTables>();
// A simulator's listening channel is closed once its env object is collected (the simulator is gone).
const channels = new FinalizationRegistry<BroadcastChannel>((channel) => channel.close());

function ownerTables(owner: object, logger: SimLogger | undefined): OwnerTables {
  let tables = hintTables.get(owner);
  if (tables) return tables;
  tables = { channel: `stateful-serverless-env-${randomUUID()}`, functions: new Map() };
  const listener = new BroadcastChannel(tables.channel);
  listener.unref();
  listener.onmessage = (event: unknown) => {
    const warning = (event as { data: EnvWarning }).data;
    logger?.warn(`[${warning.functionName}] ${warning.message}`);
  };
  channels.register(owner, listener);
  hintTables.set(owner, tables);
  return tables;
}

/**
 * The names a function reads at its peril: `notices` (name -> message, from the site) plus every
 * variable of this process's shell that the container does not get. Warnings are logged to `logger`.
 */
export function envHints(options: {
  owner: object;
  functionName: string;
  given: Readonly<Record<string, string>>;
  notices?: Readonly<Record<string, string>> | undefined;
  logger?: SimLogger | undefined;
}): EnvHints {
  const tables = ownerTables(options.owner, options.logger);
  const existing = tables.functions.get(options.functionName);
  if (existing) return existing;
  const messages = new Map<string, string>();
  for (const name of Object.keys(process.env)) {
    if (name in options.given || terminalNames.has(name)) continue;
    messages.set(name, `${name} is set in your shell but not in the site's environment: in production it is undefined`);
  }
  // The site's notices say more precisely why (netlify.toml-only, netlify dev-only) and win.
  for (const [name, message] of Object.entries(options.notices ?? {})) if (!(name in options.given)) messages.set(name, message);
  const hints: EnvHints = {
    names: [...messages.keys()],
    messages: [...messages.values()],
    warned: new SharedArrayBuffer(4 * Math.max(1, messages.size)),
    channel: tables.channel,
  };
  tables.functions.set(options.functionName, hints);
  return hints;
}
