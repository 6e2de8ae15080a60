/**
 * Bundles functions the way Netlify's esbuild bundler does (platform node, ESM, target node24,
 * everything but Node built-ins inlined) and caches the output by content hash, so an unchanged
 * function is never re-written and a changed one gets a new file (and new containers).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildResult } from 'esbuild';
import type { HandlerApi } from './api.ts';
import { SimError } from './errors.ts';
import { readConfigPath, type ConfigPathResult } from './function-config.ts';
import { handlerApiOf, readSourceShape, type ModuleFormat } from './handler-api.ts';

const SOURCE_EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'];

// ESM bundles have no `require`; bundled CommonJS dependencies call it for Node built-ins. Netlify's
// bundler injects the same shim.
const REQUIRE_SHIM =
  "import { createRequire as __simCreateRequire } from 'node:module'; const require = __simCreateRequire(import.meta.url);";

/** A function's bundle on disk. */
export interface FunctionBundle {
  name: string;
  api: HandlerApi;
  sourcePath: string;
  bundlePath: string;
  bundleHash: string;
  bundleBytes: number;
  /** A v2 function's `config.path`, when it exports one. */
  configPath?: string | string[];
}

/** Finds `<name>.<ext>`, `<name>/<name>.<ext>` and `<name>/index.<ext>` in a functions directory, as Netlify does. */
export async function discoverFunctions(functionsDir: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  let entries;
  try {
    entries = await readdir(functionsDir, { withFileTypes: true });
  } catch (error) {
    throw new SimError('INVALID_OPTIONS', `cannot read functionsDir ${functionsDir}`, { cause: error });
  }
  for (const entry of entries) {
    const ext = path.extname(entry.name);
    if (entry.isFile() && SOURCE_EXTENSIONS.includes(ext) && !entry.name.endsWith('.d.ts')) {
      found.set(path.basename(entry.name, ext), path.join(functionsDir, entry.name));
    } else if (entry.isDirectory()) {
      for (const candidate of [entry.name, 'index'].flatMap((base) => SOURCE_EXTENSIONS.map((e) => base + e))) {
        const file = path.join(functionsDir, entry.name, candidate);
        if (existsSync(file)) {
          found.set(entry.name, file);
          break;
        }
      }
    }
  }
  return found;
}

async function esbuildOnce(entry: string, outName: string, banner: string, format: ModuleFormat = 'esm'): Promise<{ code: string; exports: string[] }> {
  let result: BuildResult<{ write: false; metafile: true }>;
  try {
    result = await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format,
      target: 'node24',
      write: false,
      metafile: true,
      outfile: outName,
      banner: { js: banner },
      logLevel: 'silent',
      legalComments: 'none',
    });
  } catch (error) {
    throw new SimError('BUNDLE_FAILED', `esbuild could not bundle ${entry}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  const output = result.outputFiles[0];
  if (!output) throw new SimError('BUNDLE_FAILED', `esbuild produced no output for ${entry}`);
  const exports = Object.values(result.metafile.outputs)[0]?.exports ?? [];
  return { code: output.text, exports };
}

async function writeCached(cacheDir: string, prefix: string, code: string, format: ModuleFormat = 'esm'): Promise<{ file: string; hash: string }> {
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  // The extension, not the site's package.json "type", decides how Node loads the bundle.
  const file = path.join(cacheDir, `${prefix}-${hash}.${format === 'cjs' ? 'cjs' : 'mjs'}`);
  // Content-addressed: if the file exists it already holds exactly this code.
  const present = await stat(file).then(
    () => true,
    () => false,
  );
  if (!present) {
    await mkdir(cacheDir, { recursive: true });
    // Write then rename, so a container never imports a half-written bundle.
    const partial = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(partial, code);
    await rename(partial, file);
  }
  return { file, hash };
}

/** Bundles one function and stores it in `cacheDir`. */
export async function bundleFunction(name: string, sourcePath: string, cacheDir: string): Promise<FunctionBundle> {
  // As Netlify's bundler does, the source's own module format is kept: a CommonJS function becomes a
  // CommonJS bundle (so `exports.handler` works whatever the site's package.json "type" says), and the
  // API is decided from the SOURCE's exports, not from the bundle's (see handler-api.ts).
  const shape = await readSourceShape(sourcePath).catch(() => ({ format: 'esm' as const, cjsExports: [] }));
  const format = shape.format;
  const { code, exports: bundleExports } = await esbuildOnce(sourcePath, `${name}.${format === 'cjs' ? 'cjs' : 'mjs'}`, format === 'cjs' ? '' : REQUIRE_SHIM, format);
  const exports = format === 'cjs' ? shape.cjsExports : bundleExports;
  const api: HandlerApi = handlerApiOf(exports);
  const { file, hash } = await writeCached(cacheDir, name, code, format);
  const bundle: FunctionBundle = { name, api, sourcePath, bundlePath: file, bundleHash: hash, bundleBytes: Buffer.byteLength(code) };
  if (api === 'v2' && exports.includes('config')) {
    const config = await configOf(file, hash);
    if (config.kind === 'invalid') throw new SimError('BUNDLE_FAILED', `${name}: ${config.message}`);
    // An unreadable config (the module throws at init) leaves the default route; its invocations report the init error.
    if (config.kind === 'ok' && config.path !== undefined) bundle.configPath = config.path;
  }
  return bundle;
}

/** Config reads by bundle hash: a refresh that finds an unchanged bundle does not evaluate it again. */
const configReads = new Map<string, Promise<ConfigPathResult>>();

function configOf(bundlePath: string, bundleHash: string): Promise<ConfigPathResult> {
  let read = configReads.get(bundleHash);
  if (!read) {
    read = readConfigPath(bundlePath);
    configReads.set(bundleHash, read);
  }
  return read;
}

const runtimeBundles = new Map<string, Promise<string>>();

/**
 * The container runtime (`runtime.ts` and what it imports) as one plain-JS file. Bundling it once
 * keeps TypeScript stripping and module resolution out of every cold start.
 */
export function runtimeBundle(cacheDir: string): Promise<string> {
  let bundled = runtimeBundles.get(cacheDir);
  if (!bundled) {
    const entry = fileURLToPath(new URL('./runtime.ts', import.meta.url));
    bundled = esbuildOnce(entry, 'runtime.mjs', '').then(async ({ code }) => (await writeCached(cacheDir, 'runtime', code)).file);
    bundled.catch(() => runtimeBundles.delete(cacheDir));
    runtimeBundles.set(cacheDir, bundled);
  }
  return bundled;
}
