/**
 * The command-line entry: `stateful-serverless serve [--site DIR] [--port N] ...` (see `--help`).
 *
 * `npm start` runs it as `node --max-semi-space-size=8 src/cli/main.ts serve`: see
 * src/server/main.ts for why the young generation is capped.
 *
 * A bad command line, a bad setting or a missing site directory is one line on stderr and exit code 2;
 * never a stack trace.
 */
import { readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { SiteError } from '../site/site-error.ts';
import { resolveSite, type Site } from '../site/site.ts';
import { usage } from './help.ts';
import { parseServeOptions, type ServeOptions } from './serve-options.ts';
import { UsageError } from './usage-error.ts';

async function isDirectory(dir: string): Promise<boolean> {
  return (await stat(dir).catch(() => undefined))?.isDirectory() ?? false;
}

function version(): string {
  const pkg: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  const value = typeof pkg === 'object' && pkg !== null && 'version' in pkg ? pkg.version : undefined;
  return typeof value === 'string' ? value : 'unknown';
}

function fail(message: string, hint = ' (stateful-serverless --help lists every flag)'): void {
  process.stderr.write(`error: ${message}${hint}\n`);
  process.exitCode = 2;
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${usage()}\n`);
    if (command === undefined) process.exitCode = 2;
    return;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`stateful-serverless ${version()}\n`);
    return;
  }
  if (command !== 'serve') {
    fail(command.startsWith('-') ? `unknown flag ${command} before the command` : `unknown command "${command}"`);
    return;
  }
  if (rest.includes('--version')) {
    process.stdout.write(`stateful-serverless ${version()}\n`);
    return;
  }
  let site: Site;
  let options: ServeOptions;
  try {
    options = parseServeOptions(rest, process.env, process.cwd());
    if (options.help) {
      process.stdout.write(`${usage()}\n`);
      return;
    }
    site = await resolveSite(options.siteDir, { context: options.context, tomlEnv: options.tomlEnv });
    if (!(await isDirectory(site.functionsDir))) {
      const why = site.functionsDirSource === 'default' ? "Netlify's default; netlify.toml's [functions] directory names another" : `netlify.toml's ${site.functionsDirSource}`;
      fail(`functions directory ${site.functionsDir} does not exist (${why})`, '');
      return;
    }
  } catch (error) {
    if (error instanceof UsageError || error instanceof SiteError) {
      fail(error.message, error instanceof UsageError ? undefined : '');
      return;
    }
    throw error;
  }
  // Lambda runs with TZ=:UTC, so `new Date().getHours()` is UTC hours there. Set before any container
  // starts: worker threads share the process's time zone.
  process.env.TZ = 'UTC';
  const { serve } = await import('../server/main.ts');
  await serve({ site, settings: options.settings, watch: options.watch, runSchedules: options.runSchedules, country: options.country });
}

await main(process.argv.slice(2));
