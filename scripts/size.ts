/**
 * npm run size: each function's own esbuild bundle (bytes) and its cold module-evaluation time,
 * the median over several fresh `node` processes. The seed's rule: every function under 1 MB of JS.
 *
 *   npm run size                    # the table, 7 processes per function
 *   npm run size -- --runs 15       # more processes per function
 *   npm run size -- --compare       # also the undici options weighed for send-data (docs/functions.md#bundle-size)
 *
 * After `npm run build`, a last column gives each function's own bytes in its deploy zip (Netlify's
 * bootstrap and telemetry files excluded); v2 functions are packed by nft, not esbuild, so they differ.
 *
 * Bundling mirrors what Netlify's zip-it-and-ship-it does with node_bundler = "esbuild": one bundle per
 * function, platform node, ESM (the package is "type": "module"), dependencies inlined, not minified.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { listZipEntries, ownBytes } from '../src/dev/zip-entries.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..');
const LIMIT_BYTES = 1_000_000;

interface Row {
  name: string;
  bytes: number;
  medianMs: number;
  /** Own bytes in `.netlify/functions/<name>.zip`, when `npm run build` has run. */
  zipOwnBytes?: number;
}

/** The function's own (uncompressed) bytes in the zip `npm run build` wrote, if there is one. */
async function zipOwnBytes(name: string): Promise<number | undefined> {
  try {
    return ownBytes(listZipEntries(await readFile(join(ROOT, '.netlify', 'functions', `${name}.zip`))));
  } catch {
    return undefined;
  }
}

function parseArgs(argv: readonly string[]): { runs: number; compare: boolean } {
  const runsAt = argv.indexOf('--runs');
  const runs = runsAt >= 0 ? Number(argv[runsAt + 1]) : 7;
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs needs a positive integer');
  return { runs, compare: argv.includes('--compare') };
}

/** `entry` is a file path, or `{ contents }`: source resolved from the project root. */
async function bundle(entry: string | { contents: string }, outfile: string, minify = false): Promise<number> {
  await build({
    ...(typeof entry === 'string'
      ? { entryPoints: [entry] }
      : { stdin: { contents: entry.contents, resolveDir: ROOT, loader: 'ts' as const, sourcefile: 'compare.ts' } }),
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    minify,
    logLevel: 'error',
    // A CJS dependency that calls require() for a Node builtin needs a real `require` in an ESM bundle.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  return (await stat(outfile)).size;
}

/** Milliseconds to import (evaluate) `file` in a fresh node process: the module part of a cold start. */
async function coldImportMs(file: string): Promise<number> {
  const probe = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', probe], { cwd: ROOT });
  return Number(stdout);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

async function measure(name: string, entry: string | { contents: string }, outDir: string, runs: number, minify = false): Promise<Row> {
  const outfile = join(outDir, `${name.replace(/[^a-z0-9-]+/gi, '_')}.mjs`);
  const bytes = await bundle(entry, outfile, minify);
  const times: number[] = [];
  // Sequential on purpose: parallel processes would compete for the CPU and inflate each other's times.
  for (let i = 0; i < runs; i++) times.push(await coldImportMs(outfile));
  return { name, bytes, medianMs: median(times) };
}

function printTable(title: string, rows: readonly Row[], runs: number): void {
  console.log(`\n${title} (median of ${runs} fresh node ${process.version} processes)\n`);
  const withZip = rows.some((r) => r.zipOwnBytes !== undefined);
  console.log(`| bundle | bytes | under 1 MB | cold import ms |${withZip ? ' own bytes in build zip |' : ''}`);
  console.log(`|---|---:|:---:|---:|${withZip ? '---:|' : ''}`);
  for (const r of rows) {
    const zip = withZip ? ` ${r.zipOwnBytes?.toLocaleString('en-US') ?? '-'} |` : '';
    console.log(`| ${r.name} | ${r.bytes.toLocaleString('en-US')} | ${r.bytes < LIMIT_BYTES ? 'yes' : 'NO'} | ${r.medianMs.toFixed(1)} |${zip}`);
  }
}

async function main(): Promise<void> {
  const { runs, compare } = parseArgs(process.argv.slice(2));
  const outDir = await mkdtemp(join(tmpdir(), 'size-'));
  try {
    const functionsDir = join(ROOT, 'functions');
    const entries = (await readdir(functionsDir)).filter((f) => ['.ts', '.mts', '.js', '.mjs'].includes(extname(f))).sort();
    const rows: Row[] = [];
    for (const file of entries) {
      const name = basename(file, extname(file));
      const row = await measure(name, join(functionsDir, file), outDir, runs);
      const zipBytes = await zipOwnBytes(name);
      rows.push(zipBytes === undefined ? row : { ...row, zipOwnBytes: zipBytes });
    }
    printTable('Function bundles', rows, runs);

    if (compare) {
      // The options weighed for the outbound HTTP client (send-data and its twins).
      const full = { contents: "import { Agent, request } from 'undici';\nexport const used = [Agent, request];\n" };
      const parts = join(ROOT, 'src', 'lib', 'undici-parts.ts');
      const options: Row[] = [
        await measure("undici: import { Agent, request } from 'undici'", full, outDir, runs),
        await measure('undici: same, minified', full, outDir, runs, true),
        await measure('undici: Agent + request API only (src/lib/undici-parts.ts, chosen)', parts, outDir, runs),
        await measure('undici: Agent + request API only, minified', parts, outDir, runs, true),
      ];
      printTable('Outbound HTTP options', options, runs);
    }
    const over = rows.filter((r) => r.bytes >= LIMIT_BYTES);
    if (over.length > 0) {
      console.error(`\nOver the 1 MB rule: ${over.map((r) => r.name).join(', ')}`);
      process.exitCode = 1;
    }
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

await main();
