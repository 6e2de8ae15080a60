/**
 * Bundles functions the way Netlify's esbuild bundler does (platform node, ESM, target node24,
 * everything but Node built-ins inlined) and caches the output by content hash, so an unchanged
 * function is never re-written and a changed one gets a new file (and new containers).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildResult, type Message, type Plugin } from 'esbuild';
import type { FunctionConfig, HandlerApi } from './api.ts';
import { externalsPlugin, PLATFORM_EXTERNALS, runtimeProvidedModules, type ExternalReason } from './bundle-externals.ts';
import { noteBundleUse } from './bundle-cache.ts';
import { memoizedBuild } from './build-memo.ts';
import { SimError } from './errors.ts';
import { collectIncludedFiles, includedFilesDigest, type IncludedFile } from './included-files.ts';
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
  /** The bundle's export names (a `config` export is read by the registry). */
  exports: string[];
  /** Imports left out of the bundle and loaded at run time (see bundle-externals.ts), with why. */
  externals: Map<string, ExternalReason>;
  /** Included files, relative to the deploy root, copied beside the bundle. */
  includedFiles: string[];
  /** Notes for the build log (included files outside the base directory, ...). */
  notes: string[];
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

async function esbuildOnce(
  entry: string,
  outName: string,
  banner: string,
  plugins: Plugin[] = [],
  format: ModuleFormat = 'esm',
): Promise<{ code: string; exports: string[]; inputs: string[]; memoizable: boolean }> {
  let result: BuildResult<{ write: false; metafile: true }>;
  const workingDir = process.cwd();
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
      plugins,
    });
  } catch (error) {
    throw new SimError('BUNDLE_FAILED', describeBuildError(entry, error), { cause: error });
  }
  const output = result.outputFiles[0];
  if (!output) throw new SimError('BUNDLE_FAILED', `esbuild produced no output for ${entry}`);
  const exports = Object.values(result.metafile.outputs)[0]?.exports ?? [];
  // Input paths are relative to the working directory; one in a plugin's namespace (`ns:path`) is not a file.
  const keys = Object.keys(result.metafile.inputs);
  const memoizable = keys.every((key) => !/^[\w-]+:/.test(key));
  return { code: output.text, exports, inputs: keys.map((key) => path.resolve(workingDir, key)), memoizable };
}

/**
 * esbuild's errors on one line: `esbuild: <absolute file>:<line>:<column>: <text>` for each (its own message
 * has paths relative to the cwd and spans lines), or the message when it gave no locations.
 */
function describeBuildError(entry: string, error: unknown): string {
  const errors = typeof error === 'object' && error !== null && 'errors' in error && Array.isArray(error.errors) ? (error.errors as Message[]) : [];
  const located = errors.filter((message) => message.location);
  if (located.length === 0) return `esbuild could not bundle ${entry}: ${error instanceof Error ? error.message : String(error)}`;
  return `esbuild: ${located.map(({ text, location }) => `${path.resolve(location?.file ?? entry)}:${location?.line}:${location?.column}: ${text}`).join('; ')}`;
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
  // Least recently used bundles leave the cache first (bundle-cache.ts).
  void noteBundleUse(cacheDir, file);
  return { file, hash };
}

/** What shapes one function's bundle besides its source. */
export interface FunctionBuildOptions {
  /** The site's base directory: the deploy root included files and the bundle are laid out under. */
  baseDir: string;
  /** The function's config (netlify.toml settings merged with in-source config, as far as known). */
  config: FunctionConfig;
  /** The Node.js major version the function targets. Default 24, Netlify's default (zip-it-and-ship-it DEFAULT_NODE_VERSION). */
  nodeMajor?: number;
}

// Extensions Netlify always bundles with esbuild for a v1 function (`getDefaultBundler`, `ESBUILD_EXTENSIONS`).
const ESBUILD_EXTENSIONS = new Set(['.mjs', '.ts', '.tsx', '.cts', '.mts']);

/**
 * Whether Netlify's deploy would bundle this function with esbuild (which fails on an import it cannot
 * resolve) rather than trace it with zisi/nft (which leave it to fail at run time). `getBundlerName` in
 * zip-it-and-ship-it: v2 functions always use nft; a v1 function uses `node_bundler` if set, else esbuild
 * for the extensions above, else zisi or nft.
 */
export function usesEsbuild(api: HandlerApi, sourcePath: string, nodeBundler: string | undefined): boolean {
  if (api === 'v2') return false;
  if (nodeBundler !== undefined) return nodeBundler === 'esbuild' || nodeBundler === 'esbuild_zisi';
  return ESBUILD_EXTENSIONS.has(path.extname(sourcePath));
}

/**
 * Bundles one function and lays it out in `cacheDir` as its zip would be: the bundle at the source's path
 * relative to the base directory, included files beside it at theirs. Content-addressed, so an unchanged
 * function is never re-written and a changed one (code or included files) gets a new directory.
 */
export async function bundleFunction(name: string, sourcePath: string, cacheDir: string, options?: FunctionBuildOptions): Promise<FunctionBundle> {
  const baseDir = options?.baseDir ?? path.dirname(sourcePath);
  const config = options?.config ?? {};
  const externals = new Map<string, ExternalReason>();
  const external = [...PLATFORM_EXTERNALS, ...(config.externalNodeModules ?? [])];
  const providedByRuntime = runtimeProvidedModules(options?.nodeMajor ?? 24);
  // As Netlify's bundler does, the source's own module format is kept: a CommonJS function becomes a
  // CommonJS bundle (so `exports.handler` works whatever the site's package.json "type" says), and the
  // API is decided from the SOURCE's exports, not from the bundle's (see handler-api.ts).
  const shape = await readSourceShape(sourcePath).catch(() => ({ format: 'esm' as const, cjsExports: [] as string[] }));
  const format = shape.format;
  const extension = format === 'cjs' ? 'cjs' : 'mjs';
  // ESM bundles need the require shim for bundled CommonJS dependencies; a CommonJS bundle has `require`.
  const banner = format === 'cjs' ? '' : REQUIRE_SHIM;
  const buildOnce = async (tolerateUnresolved: boolean): Promise<string[]> => {
    // Another simulator of this process may have bundled this function already, unchanged (build-memo.ts).
    const key = JSON.stringify({ cwd: process.cwd(), sourcePath, name, extension, banner, format, tolerateUnresolved, external, providedByRuntime });
    const built = await memoizedBuild(key, async () => {
      const report = new Map<string, ExternalReason>();
      const consulted = new Set<string>();
      const plugin = externalsPlugin({ external, providedByRuntime, tolerateUnresolved, report, consulted });
      const result = await esbuildOnce(sourcePath, `${name}.${extension}`, banner, [plugin], format);
      return {
        value: { code: result.code, exports: result.exports, externals: [...report] },
        inputs: result.inputs,
        consulted: [...consulted],
        // An import nothing resolved may resolve once something is installed where esbuild looked; not tracked.
        memoize: result.memoizable && ![...report.values()].includes('unresolved'),
      };
    });
    for (const [specifier, reason] of built.externals) externals.set(specifier, reason);
    code = built.code;
    return format === 'cjs' ? shape.cjsExports : [...built.exports];
  };
  let code = '';
  let exports = await buildOnce(true);
  const api: HandlerApi = handlerApiOf(exports);
  if ([...externals.values()].includes('unresolved') && usesEsbuild(api, sourcePath, config.nodeBundler)) {
    // esbuild is the production bundler here: build again its way, so an unresolvable import fails the
    // build exactly when a deploy would (a `require` inside `try` is still allowed).
    externals.clear();
    exports = await buildOnce(false);
  }
  const notes: string[] = [];
  let included: IncludedFile[] = [];
  if (config.includedFiles && config.includedFiles.length > 0) {
    const collected = await collectIncludedFiles(config.includedFiles, config.includedFilesBasePath ?? baseDir, baseDir);
    included = collected.files;
    for (const file of collected.skipped) notes.push(`included file ${file} is outside the base directory ${baseDir}: not shipped`);
  }
  const relativeSource = path.relative(baseDir, sourcePath);
  const inside = !relativeSource.startsWith('..') && !path.isAbsolute(relativeSource);
  const bundleRelative = path.join(inside ? path.dirname(relativeSource) : '', `${name}.${extension}`);
  // The layout is part of the version: the same code moved to another directory is another deploy dir.
  const hash = createHash('sha256')
    .update(bundleRelative)
    .update('\0')
    .update(code)
    .update(included.length > 0 ? await includedFilesDigest(included) : '')
    .digest('hex')
    .slice(0, 16);
  const deployDir = path.join(cacheDir, `${name}-${hash}`);
  await writeDeployDir(deployDir, bundleRelative, code, included);
  // Least recently used bundles leave the cache first (bundle-cache.ts).
  void noteBundleUse(cacheDir, path.join(deployDir, bundleRelative));
  return {
    name,
    api,
    sourcePath,
    bundlePath: path.join(deployDir, bundleRelative),
    bundleHash: hash,
    bundleBytes: Buffer.byteLength(code),
    exports,
    externals,
    includedFiles: included.map((file) => file.relativePath),
    notes,
  };
}

/** Writes a function's deploy directory once: built beside it, then renamed into place. */
async function writeDeployDir(deployDir: string, bundleRelative: string, code: string, included: readonly IncludedFile[]): Promise<void> {
  const present = await stat(deployDir).then(
    () => true,
    () => false,
  );
  if (present) return;
  const partial = `${deployDir}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await mkdir(path.dirname(path.join(partial, bundleRelative)), { recursive: true });
  await writeFile(path.join(partial, bundleRelative), code);
  for (const file of included) {
    const target = path.join(partial, file.relativePath);
    await mkdir(path.dirname(target), { recursive: true });
    await copyFile(file.sourcePath, target);
  }
  try {
    await rename(partial, deployDir);
  } catch (error) {
    // Another build of the same content got there first: it holds the same files.
    await rm(partial, { recursive: true, force: true });
    if (!existsSync(deployDir)) throw error;
  }
}

const runtimeBundles = new Map<string, Promise<string>>();

/**
 * The container runtime (`runtime.ts` and what it imports) as one plain-JS file. Bundling it once
 * keeps TypeScript stripping and module resolution out of every cold start.
 */
export function runtimeBundle(cacheDir: string): Promise<string> {
  let bundled = runtimeBundles.get(cacheDir);
  if (!bundled) {
    // From the checkout this module is bundler.ts next to runtime.ts; from the installed package it is the
    // compiled bundler.js next to runtime.js (Node does not strip types under node_modules).
    const entry = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './runtime.ts' : './runtime.js', import.meta.url));
    bundled = esbuildOnce(entry, 'runtime.mjs', '').then(async ({ code }) => (await writeCached(cacheDir, 'runtime', code)).file);
    bundled.catch(() => runtimeBundles.delete(cacheDir));
    runtimeBundles.set(cacheDir, bundled);
  }
  return bundled;
}
