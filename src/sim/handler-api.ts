/**
 * Decides, from a function's source, whether it is a v1 (Lambda-style `handler`) or a v2 (`export
 * default (req, context)`) function, and which module format it is written in. This is the decision
 * Netlify's bundler makes at deploy time, statically, before any code runs:
 *
 * - netlify/build, packages/zip-it-and-ship-it/src/runtimes/node/in_source_config/index.ts
 *   (`parseSource`): `const isV2API = handlerExports.length === 0 && hasDefaultExport`, then
 *   `runtimeAPIVersion: isV2API ? 2 : 1`.
 * - .../node/parser/exports.ts (`traverseNodes`): a handler export is an ESM named export `handler`
 *   or a CommonJS `exports.handler =` / `module.exports.handler =`; a default export is ESM
 *   `export default` / `export { x as default }` or CommonJS `exports.default =`; and the input is ESM
 *   when the file has any `import` or `export` declaration, CommonJS otherwise (`inputModuleFormat`).
 *
 * So a CommonJS `exports.handler = ...` file is v1 even though bundling it to ESM would give it a
 * `default` export, and `export default { handler }` is v2 (and fails at request time in production,
 * as it does here: a v2 default export must be a function or an object with `fetch`).
 *
 * The simulator reads the same facts with esbuild (which reports each input's module format) and, for
 * CommonJS, with cjs-module-lexer (the static export detector Node itself uses when ESM imports CJS).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { build, transform } from 'esbuild';
import { init, parse } from 'cjs-module-lexer';
import type { HandlerApi } from './api.ts';

/** The module syntax a function's entry file is written in. */
export type ModuleFormat = 'esm' | 'cjs';

/** What the static read found. */
export interface SourceShape {
  format: ModuleFormat;
  /** For CommonJS sources, the names the module assigns on `exports` (ESM exports come from the bundle's metafile). */
  cjsExports: string[];
}

let lexerReady: Promise<void> | undefined;

const TS_EXTENSIONS = new Set(['.ts', '.mts', '.cts']);

/**
 * Reads the entry file's module format (and, for CommonJS, its export names) without bundling or
 * evaluating it. TypeScript is stripped first, so `.ts`/`.cts` files written in CommonJS style are
 * read like `.js` ones.
 */
export async function readSourceShape(entry: string): Promise<SourceShape> {
  const contents = await readFile(entry, 'utf8');
  const loader = TS_EXTENSIONS.has(path.extname(entry)) ? 'ts' : 'js';
  // Through stdin, so esbuild decides the format from the syntax alone: given the file, it would take a
  // `.js` file in a `"type": "module"` package for ESM even when it assigns `exports.handler`, while
  // Netlify's bundler looks at the syntax (and serves such a file as CommonJS). esbuild reports a
  // module's format only when bundling; every import stays external, so nothing else is read.
  const result = await build({
    stdin: { contents, loader, sourcefile: path.basename(entry) },
    bundle: true,
    external: ['*'],
    write: false,
    metafile: true,
    platform: 'node',
    logLevel: 'silent',
  });
  const input = Object.values(result.metafile.inputs)[0];
  // esbuild reports `esm` for a file with import/export syntax, `cjs` for one using require/module/exports,
  // and nothing for a file with neither (no exports at all: loading it reports the missing handler).
  if (input?.format !== 'cjs') return { format: 'esm', cjsExports: [] };
  // TypeScript stripped, module syntax untouched: what the lexer reads.
  const code = loader === 'ts' ? (await transform(contents, { loader })).code : contents;
  lexerReady ??= init();
  await lexerReady;
  return { format: 'cjs', cjsExports: parse(code).exports };
}

/** Netlify's rule: v2 when there is a default export and no `handler` export (see the file comment). */
export function handlerApiOf(exportNames: readonly string[]): HandlerApi {
  return exportNames.includes('default') && !exportNames.includes('handler') ? 'v2' : 'v1';
}
