/**
 * The servers the benchmark compares and the requests it sends them. Each server is pluggable: it
 * either yields a command to start it, or says why it is not available in this checkout, and the report
 * shows that instead of failing the whole run.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerCommand } from './proc.ts';

/** A server under test. */
export type ServerId = 'ours' | 'netlify' | 'floor' | 'floor-work' | 'bare';

/** A request the servers are driven with. */
export type ScenarioId = 'hello-world' | 'collect-get';

export interface Scenario {
  id: ScenarioId;
  /** The function it exercises, under functions/. */
  functionName: string;
  /** Which handler API that function uses: the anchor treats them very differently (docs/platform-facts.md#netlify-cli-measured). */
  api: 'v1' | 'v2';
  path: string;
  label: string;
}

export const SCENARIOS: readonly Scenario[] = [
  { id: 'hello-world', functionName: 'hello-world', api: 'v1', path: '/.netlify/functions/hello-world', label: 'hello-world (v1) GET' },
  { id: 'collect-get', functionName: 'collect', api: 'v2', path: '/.netlify/functions/collect', label: 'collect (v2) GET' },
];

export const SERVER_LABELS: Record<ServerId, string> = {
  ours: 'ours (npm start)',
  netlify: 'netlify functions:serve --offline',
  floor: 'the floor (node:http + a worker per request)',
  'floor-work': "the floor with the simulator's work per request",
  bare: 'bare node:http',
};

/**
 * Whether `server` can answer `scenario`. The floor (bench/floor-server.ts) models hello-world only: a
 * module-scope counter in a worker that freezes; collect's Blobs store is beyond what it models. So
 * does the floor with the simulator's work (bench/floor-work-server.ts), which runs hello-world's
 * handler.
 */
export function serverAnswers(server: ServerId, scenario: ScenarioId): boolean {
  return (server !== 'floor' && server !== 'floor-work') || scenario === 'hello-world';
}

/** A server's start command for one port, or why it cannot run here. */
export type ServerPlan = { available: true; command: (port: number, logPath: string) => ServerCommand } | { available: false; reason: string };

/** Where issue 4's server lives. */
const OUR_SERVER_ENTRY = 'src/server/main.ts';

const FUNCTION_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs', '.cjs'] as const;

/** Whether `functions/<name>` exists in any extension Netlify bundles. */
export function functionExists(projectRoot: string, name: string): boolean {
  return FUNCTION_EXTENSIONS.some((extension) => existsSync(join(projectRoot, 'functions', `${name}${extension}`)));
}

/**
 * The node arguments of an `npm start` script of the form `node [flags] <file> [args]`, or null for
 * anything else. The bench runs node itself rather than `npm start`, so the process group it measures
 * holds the server and not an npm wrapper too.
 */
export function nodeArgsOfScript(script: string): string[] | null {
  const words = script.trim().split(/\s+/);
  if (words[0] !== 'node' || words.length < 2) return null;
  return words.slice(1);
}

/**
 * A throwaway site directory for a server under test: a copy of the project's sources,
 * `node_modules` linked, and its own `.netlify/`.
 *
 * Why, for netlify-cli: it writes each function's bundle to `<cwd>/.netlify/functions-serve/` and
 * rewrites it when any netlify process in the same directory starts. A `netlify dev` smoke test run in
 * the same checkout during the bench deleted the bundle under the running server, which then answered
 * 500 ("ENOENT … functions-serve/hello-world/hello-world.js") for part of the run. The sources are
 * copied, not linked: through a linked `functions/` netlify-cli builds a wrong path for v2 bundles and
 * every v2 request fails with "Cannot find module".
 *
 * Why, for ours: both servers must answer the same request from the same data. Each keeps Netlify
 * Blobs under its own `.netlify/`, so in the checkout ours read whatever collect had stored there
 * during development (six items, 785-byte answers, against netlify's empty store and 372 bytes), and a
 * bench that wrote to it would change the developer's data. In a fresh copy both start empty, like
 * the bare server's collect answer.
 */
export function isolatedSite(projectRoot: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'bench-site-'));
  for (const entry of ['functions', 'src', 'public', 'netlify.toml', 'package.json', 'tsconfig.json']) {
    if (existsSync(join(projectRoot, entry))) cpSync(join(projectRoot, entry), join(dir, entry), { recursive: true });
  }
  symlinkSync(join(projectRoot, 'node_modules'), join(dir, 'node_modules'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** How to start each server in `projectRoot`. */
export function planServer(id: ServerId, projectRoot: string): ServerPlan {
  switch (id) {
    case 'ours': {
      const manifest = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
      const script = manifest.scripts?.['start'] ?? '';
      // Issue 4 puts the server in src/server/main.ts; use it directly while `npm start` still points elsewhere.
      const args = nodeArgsOfScript(script) ?? (existsSync(join(projectRoot, OUR_SERVER_ENTRY)) ? [OUR_SERVER_ENTRY] : null);
      if (args === null) {
        return { available: false, reason: `npm start runs ${JSON.stringify(script)}, and ${OUR_SERVER_ENTRY} does not exist yet` };
      }
      const entry = args.find((arg) => !arg.startsWith('-'));
      if (entry === undefined || !existsSync(join(projectRoot, entry))) {
        return { available: false, reason: `npm start's entry ${entry ?? '(none)'} does not exist` };
      }
      return {
        available: true,
        command: (port, logPath) => {
          // The copy's own server file: ours finds its project (functions, netlify.toml, .netlify/) from where that file is.
          const site = isolatedSite(projectRoot);
          return { name: 'ours', command: process.execPath, args, cwd: site.dir, env: { PORT: String(port) }, logPath, cleanup: site.remove };
        },
      };
    }
    case 'netlify': {
      const cli = join(projectRoot, 'node_modules', 'netlify-cli', 'bin', 'run.js');
      if (!existsSync(cli)) return { available: false, reason: 'netlify-cli is not installed' };
      return {
        available: true,
        command: (port, logPath) => {
          const site = isolatedSite(projectRoot);
          return {
            name: 'netlify',
            command: process.execPath,
            args: [cli, 'functions:serve', '--offline', '--port', String(port)],
            cwd: site.dir,
            env: { NETLIFY_TELEMETRY_DISABLED: '1' },
            logPath,
            cleanup: site.remove,
          };
        },
      };
    }
    case 'floor':
      return benchScript('floor', projectRoot, 'floor-server.ts');
    case 'floor-work':
      return benchScript('floor-work', projectRoot, 'floor-work-server.ts', projectRoot);
    case 'bare':
      return benchScript('bare', projectRoot, 'bare-server.ts');
  }
}

/** A server that is one of the bench's own scripts, run in the checkout with node and `PORT`. */
function benchScript(name: ServerId, projectRoot: string, script: string, ...args: string[]): ServerPlan {
  return {
    available: true,
    command: (port, logPath) => ({ name, command: process.execPath, args: [join(projectRoot, 'bench', script), ...args], cwd: projectRoot, env: { PORT: String(port) }, logPath }),
  };
}
