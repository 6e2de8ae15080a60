/**
 * Which imports stay out of a function's bundle, as Netlify's bundler decides it, and how they still load.
 *
 * Netlify (`@netlify/zip-it-and-ship-it`, `src/runtimes/node/bundlers/esbuild/`) leaves these out of the
 * bundle and ships them in the function's zip under `node_modules/`, where the bundle requires them at run
 * time:
 * - native modules (`plugin_native_modules.ts`, `utils/detect_native_module.ts`): a package whose
 *   package.json has `binary` or `gypfile`, depends on one of bindings, nan, node-gyp, node-gyp-build,
 *   node-pre-gyp, prebuild, or lists a `.node` file in `files`. Inlined, such a package cannot find its
 *   binary (sharp's "Could not load the sharp module");
 * - `external_node_modules` / `externalNodeModules`, and `@prisma/client` (`special_cases.ts`);
 * - modules the runtime provides (`special_cases.ts` `getAWSIgnoredModules`): `@aws-sdk/*` on Node 18 and
 *   later, `aws-sdk` before. They are neither bundled nor shipped.
 *
 * Here the bundle lives in a cache directory, not next to the site's `node_modules`, so an external import
 * is rewritten to the absolute path Node's resolution finds FROM THE FUNCTION'S SOURCE (the same package
 * the zip would have shipped). Format-independent: the path works in an ESM `import` and in `require()`.
 *
 * Bundlers differ on an import nothing resolves: Netlify's default bundlers (`zisi` for CommonJS `.js`,
 * `nft` for ESM `.js` and every v2 function) only trace files, so the deploy succeeds and the `require`
 * throws when it runs. esbuild (v1 `.ts`/`.mts`/`.cts`/`.mjs`, or `node_bundler = "esbuild"`) fails the
 * build, unless the `require` sits in a `try` block. `tolerateUnresolved` chooses the first behaviour.
 */
import { readFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import type { Plugin } from 'esbuild';

/** Options for {@link externalsPlugin}. */
export interface ExternalsOptions {
  /** Package names (or `@scope/*`) kept external: `external_node_modules`, plus the platform's specials. */
  external: readonly string[];
  /** Packages the runtime provides: external, and allowed not to resolve at all. */
  providedByRuntime: readonly string[];
  /** Keep an import nothing resolves as a bare external (it throws when it runs) instead of failing the build. */
  tolerateUnresolved: boolean;
  /** Filled with the specifiers kept external, and why, for the build log. */
  report: Map<string, ExternalReason>;
  /** Filled with every `package.json` path probed, found or not (what the build depended on, for build-memo.ts). */
  consulted?: Set<string>;
}

/** Why an import was left out of the bundle. */
export type ExternalReason = 'native' | 'configured' | 'runtime-provided' | 'unresolved';

/** Always external on Netlify (`special_cases.ts`: `EXTERNAL_MODULES`). */
export const PLATFORM_EXTERNALS = ['@prisma/client'];

/** What the Lambda runtime provides for a Node major version (`getAWSIgnoredModules`: AWS SDK v3 from Node 18). */
export function runtimeProvidedModules(nodeMajor: number): string[] {
  return nodeMajor >= 18 ? ['@aws-sdk/*'] : ['aws-sdk'];
}

// The package part of a bare specifier: `sharp`, `@img/sharp`, from `sharp/lib/x` or `@img/sharp/x`.
const packageName = /^(@[^/]+\/[^/]+|[^@/][^/]*)/;
const NATIVE_MARKERS = ['bindings', 'nan', 'node-gyp', 'node-gyp-build', 'node-pre-gyp', 'prebuild'];
const SKIP = 'sim-externals-resolving';

interface PackageJson {
  binary?: unknown;
  gypfile?: unknown;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  files?: unknown;
}

/** zip-it-and-ship-it's `isNativeModule`, rule for rule. */
export function isNativeModule(pkg: PackageJson): boolean {
  if (pkg.binary || pkg.gypfile) return true;
  if (NATIVE_MARKERS.some((marker) => pkg.dependencies?.[marker] || pkg.devDependencies?.[marker])) return true;
  return Array.isArray(pkg.files) && pkg.files.some((file) => typeof file === 'string' && !file.startsWith('!') && path.extname(file) === '.node');
}

function listed(name: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => pattern === name || (pattern.endsWith('/*') && name.startsWith(pattern.slice(0, -1))));
}

/** The esbuild plugin that applies the rules above. */
export function externalsPlugin(options: ExternalsOptions): Plugin {
  const nativeCache = new Map<string, Promise<boolean | undefined>>();
  const readNative = (packageJsonPath: string): Promise<boolean | undefined> => {
    let found = nativeCache.get(packageJsonPath);
    options.consulted?.add(packageJsonPath);
    if (!found) {
      found = readFile(packageJsonPath, 'utf8').then(
        (text) => isNativeModule(JSON.parse(text) as PackageJson),
        () => undefined,
      );
      nativeCache.set(packageJsonPath, found);
    }
    return found;
  };
  // The package directory Node would load `name` from, walking up from `resolveDir` as Node does.
  const isNative = async (name: string, resolveDir: string): Promise<boolean> => {
    let directory = resolveDir;
    for (;;) {
      if (path.basename(directory) !== 'node_modules') {
        const native = await readNative(path.join(directory, 'node_modules', name, 'package.json'));
        if (native !== undefined) return native;
      }
      const parent = path.dirname(directory);
      if (parent === directory) return false;
      directory = parent;
    }
  };
  return {
    name: 'sim-externals',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === SKIP || isBuiltin(args.path)) return undefined;
        const name = packageName.exec(args.path)?.[1];
        if (!name) return undefined;
        const resolve = async (): Promise<string | undefined> => {
          const result = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: SKIP });
          return result.errors.length === 0 && !result.external && path.isAbsolute(result.path) ? result.path : undefined;
        };
        let reason: ExternalReason | undefined;
        if (listed(name, options.providedByRuntime)) reason = 'runtime-provided';
        else if (listed(name, options.external)) reason = 'configured';
        else if (await isNative(name, args.resolveDir)) reason = 'native';
        if (reason) {
          const resolved = await resolve();
          options.report.set(args.path, reason);
          // Not installed: kept bare, so the require throws when it runs, as it would in production.
          return { path: resolved ?? args.path, external: true };
        }
        if (!options.tolerateUnresolved) return undefined;
        if ((await resolve()) !== undefined) return undefined;
        options.report.set(args.path, 'unresolved');
        return { path: args.path, external: true };
      });
    },
  };
}
