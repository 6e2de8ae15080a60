/**
 * What a function sees in process.env, through the real server: the site's .env files, Lambda's and
 * Netlify's runtime variables, and not the shell; reading a variable a local tool would have given it
 * but production does not is undefined, with a WARN once per variable per function.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startGate, startTestServer, tempDir } from './helpers.ts';

const reportFunction = `
const read = (name) => process.env[name];
export default async (req) => {
  // Node reads the environment itself here (colour support): that is not the function's read.
  console.log('report called', { colours: true });
  console.error(new Error('not thrown'));
  const wait = new URL(req.url).searchParams.get('wait');
  const seen = {
    SECRET: read('SECRET'),
    FROM_LOCAL: read('FROM_LOCAL'),
    ONLY_TOML: read('ONLY_TOML'),
    SHELL_ONLY: read('STATEFUL_SERVERLESS_SHELL_ONLY'),
    VIA_NETLIFY_ENV: Netlify.env.get('STATEFUL_SERVERLESS_SHELL_ONLY_2'),
    CONTEXT: read('CONTEXT'),
    NETLIFY_DEV: read('NETLIFY_DEV'),
    URL: read('URL'),
    SITE_ID: read('SITE_ID'),
    SITE_NAME: read('SITE_NAME'),
    HOME: read('HOME'),
    PATH_SET: typeof read('PATH') === 'string',
    TZ: read('TZ'),
    AWS_LAMBDA_FUNCTION_NAME: read('AWS_LAMBDA_FUNCTION_NAME'),
    AWS_LAMBDA_FUNCTION_VERSION: read('AWS_LAMBDA_FUNCTION_VERSION'),
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: read('AWS_LAMBDA_FUNCTION_MEMORY_SIZE'),
    AWS_LAMBDA_LOG_GROUP_NAME: read('AWS_LAMBDA_LOG_GROUP_NAME'),
    AWS_REGION: read('AWS_REGION'),
    AWS_EXECUTION_ENV: read('AWS_EXECUTION_ENV'),
    LAMBDA_TASK_ROOT: read('LAMBDA_TASK_ROOT'),
    keys: Object.keys(process.env).sort(),
  };
  if (wait) await fetch(wait);
  return Response.json(seen);
};
`;

async function envSite(): Promise<string> {
  const dir = await tempDir('env-site-');
  await mkdir(path.join(dir, 'netlify', 'functions'), { recursive: true });
  await writeFile(path.join(dir, 'netlify', 'functions', 'report.mjs'), reportFunction);
  await writeFile(path.join(dir, 'netlify.toml'), '[build.environment]\nONLY_TOML = "toml"\n\n[context.dev.environment]\nSECRET = "from-toml"\n');
  await writeFile(path.join(dir, '.env'), 'SECRET=from-dotenv\nFROM_LOCAL=env\n');
  await writeFile(path.join(dir, '.env.local'), 'FROM_LOCAL=local\n');
  return dir;
}

/** Sets a variable in this process (the server's shell environment) for the test's duration. */
function setShellVariable(name: string, value: string): void {
  process.env[name] = value;
  onTestFinished(() => {
    delete process.env[name];
  });
}

describe('environment parity: what a function sees', () => {
  it("gets the site's .env files, URL, SITE_ID, SITE_NAME and Lambda's variables; not netlify.toml's, not netlify dev's, not the shell's", async () => {
    setShellVariable('STATEFUL_SERVERLESS_SHELL_ONLY', 'from-shell');
    const dir = await envSite();
    const { url, running, log } = await startTestServer({ rootDir: dir });
    const response = await fetch(`${url}/.netlify/functions/report`);
    expect(response.status).toBe(200);
    const seen = (await response.json()) as Record<string, unknown>;
    expect(seen).toMatchObject({
      SECRET: 'from-dotenv',
      FROM_LOCAL: 'local',
      URL: url,
      SITE_ID: running.site.identity.id,
      SITE_NAME: running.site.identity.name,
      PATH_SET: true,
      TZ: ':UTC',
      AWS_LAMBDA_FUNCTION_NAME: 'report',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
      AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/report',
      AWS_REGION: 'us-east-2',
      // Netlify's default runtime, Node 24 (docs/platform-facts.md): the one callbacks are judged by.
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      LAMBDA_TASK_ROOT: '/var/task',
    });
    for (const name of ['ONLY_TOML', 'SHELL_ONLY', 'CONTEXT', 'NETLIFY_DEV', 'HOME']) expect(seen[name], name).toBeUndefined();
    // Nothing of the shell leaks in under another name.
    const keys = seen.keys as string[];
    expect(keys).not.toContain('STATEFUL_SERVERLESS_SHELL_ONLY');
    for (const name of Object.keys(process.env)) if (name !== 'PATH' && !name.startsWith('AWS_') && name !== 'TZ' && name !== 'LANG') expect(keys).not.toContain(name);

    onTestFinished((ctx) => { if (ctx.task.result?.state === 'fail') console.log(log.lines.join('\n')); });
    await log.waitFor(/STATEFUL_SERVERLESS_SHELL_ONLY is set in your shell but not in the site's environment: in production it is undefined/);
    await log.waitFor(/ONLY_TOML is set only in netlify\.toml.*in production it is undefined/);
    await log.waitFor(/CONTEXT is set by netlify dev, not by Netlify for functions.*in production it is undefined/);
    expect(log.matching(/^WARN \[report\] STATEFUL_SERVERLESS_SHELL_ONLY is set in your shell/)).toHaveLength(1);
    // Exactly the names the function read, nothing Node itself looked up.
    const warned = log.matching(/^WARN \[report\] /).map((line) => line.split(' ')[2]);
    const expected = ['STATEFUL_SERVERLESS_SHELL_ONLY', 'ONLY_TOML', 'CONTEXT', 'NETLIFY_DEV', ...(process.env.HOME === undefined ? [] : ['HOME'])];
    expect(warned.sort()).toEqual(expected.sort());
  });

  it('warns once per variable per function, however many containers read it; Netlify.env.get warns too', async () => {
    setShellVariable('STATEFUL_SERVERLESS_SHELL_ONLY', 'from-shell');
    setShellVariable('STATEFUL_SERVERLESS_SHELL_ONLY_2', 'from-shell');
    const dir = await envSite();
    const { url, log } = await startTestServer({ rootDir: dir });
    const gate = await startGate();
    // Two requests held in flight at once: two containers, each reading every variable.
    const pending = [1, 2].map(() => fetch(`${url}/.netlify/functions/report?wait=${encodeURIComponent(gate.url)}`));
    await gate.arrived(2);
    gate.release();
    const bodies = await Promise.all(pending.map(async (p) => (await (await p).json()) as Record<string, unknown>));
    expect(bodies.map((body) => body.SHELL_ONLY)).toEqual([undefined, undefined]);
    await fetch(`${url}/.netlify/functions/report`);
    await log.waitFor(/STATEFUL_SERVERLESS_SHELL_ONLY_2 is set in your shell/);
    await log.waitFor(/STATEFUL_SERVERLESS_SHELL_ONLY is set in your shell/);
    const containers = new Set(log.matching(/^START .*Function: report/).map((line) => /Container: (\S+)/.exec(line)?.[1]));
    expect(containers.size).toBe(2);
    expect(log.matching(/STATEFUL_SERVERLESS_SHELL_ONLY is set in your shell/)).toHaveLength(1);
    expect(log.matching(/STATEFUL_SERVERLESS_SHELL_ONLY_2 is set in your shell/)).toHaveLength(1);
  });

  it('a site cannot override the platform\'s reserved variables, and startup says so', async () => {
    const dir = await envSite();
    await writeFile(path.join(dir, '.env.development'), 'URL=https://example.com\nAWS_REGION=eu-west-1\nSITE_OWN=mine\n');
    const { url, log } = await startTestServer({ rootDir: dir });
    const seen = (await (await fetch(`${url}/.netlify/functions/report`)).json()) as Record<string, unknown>;
    expect(seen).toMatchObject({ URL: url, AWS_REGION: 'us-east-2' });
    expect((seen.keys as string[]).includes('SITE_OWN')).toBe(true);
    expect(log.matching(/reserves/).sort()).toEqual([
      "WARN .env.development sets AWS_REGION, which the platform reserves: functions get the platform's value",
      "WARN .env.development sets URL, which the platform reserves: functions get the platform's value",
    ]);
  });

  it("with tomlEnv (netlify dev's way) netlify.toml's variables reach the function, and a .env value still wins", async () => {
    const dir = await envSite();
    const { url } = await startTestServer({ rootDir: dir, resolve: { tomlEnv: true } });
    const seen = (await (await fetch(`${url}/.netlify/functions/report`)).json()) as Record<string, unknown>;
    expect(seen).toMatchObject({ ONLY_TOML: 'toml', SECRET: 'from-dotenv' });
  });

  it('a function can assign to a variable it already has while shell variables are being watched', async () => {
    setShellVariable('STATEFUL_SERVERLESS_SHELL_ONLY', 'from-shell');
    const dir = await tempDir('env-assign-');
    await mkdir(path.join(dir, 'netlify', 'functions'), { recursive: true });
    await writeFile(path.join(dir, '.env'), 'MODE=first\n');
    // process.env.TZ = …, and @netlify/blobs' connectLambda() rewriting NETLIFY_BLOBS_CONTEXT, do this.
    await writeFile(
      path.join(dir, 'netlify', 'functions', 'assign.mjs'),
      "export default async () => { process.env.MODE = 'second'; process.env.ADDED = 'new'; return Response.json({ mode: process.env.MODE, added: process.env.ADDED }); };\n",
    );
    const { url } = await startTestServer({ rootDir: dir });
    const response = await fetch(`${url}/.netlify/functions/assign`);
    expect(await response.json()).toEqual({ mode: 'second', added: 'new' });
  });
});
