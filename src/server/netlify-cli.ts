/**
 * Runs netlify-cli in this process, offline, with one resolution fix.
 *
 * Usage: `node src/server/netlify-cli.ts <netlify args…>` (the `dev` npm script passes `dev --offline`).
 *
 * Why a launcher instead of calling `netlify` directly: netlify-cli bundles functions through
 * zip-it-and-ship-it, which loads `@typescript-eslint/typescript-estree`, which loads `ts-api-utils`.
 * `ts-api-utils` declares `typescript` as a peer dependency, so npm hoists it next to this project's own
 * `typescript@7` (the native compiler), whose JS API no longer exports `TypeFlags`. Loading it then throws
 * "Cannot read properties of undefined (reading 'Intrinsic')" and netlify dev / functions:serve exit.
 * The hook below hands `ts-api-utils` the TypeScript 5 copy that typescript-estree itself resolves, and
 * leaves every other `typescript` import alone. If that copy cannot be found (a future netlify-cli),
 * the hook is not installed and netlify-cli runs unchanged.
 */
import { createRequire, registerHooks } from 'node:module';
import { pathToFileURL } from 'node:url';

const projectRequire = createRequire(new URL('../../package.json', import.meta.url));

/** Follows netlify-cli's own dependency chain to the `typescript` that typescript-estree resolves. */
function findTypeScriptForEstree(): string | undefined {
  try {
    const zisi = createRequire(projectRequire.resolve('@netlify/zip-it-and-ship-it'));
    const precinct = createRequire(zisi.resolve('precinct'));
    const estree = createRequire(precinct.resolve('@typescript-eslint/typescript-estree'));
    return estree.resolve('typescript');
  } catch {
    return undefined;
  }
}

const typeScriptForEstree = findTypeScriptForEstree();
if (typeScriptForEstree !== undefined) {
  const typeScriptUrl = pathToFileURL(typeScriptForEstree).href;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      if (specifier === 'typescript' && context.parentURL?.includes('/node_modules/ts-api-utils/')) {
        return { url: typeScriptUrl, format: 'commonjs', shortCircuit: true };
      }
      return nextResolve(specifier, context);
    },
  });
}

// netlify-cli reads its command line from process.argv: make it look as if `netlify <args>` was run.
const cliEntry = projectRequire.resolve('netlify-cli/bin/run.js');
process.argv = [process.argv[0] ?? process.execPath, cliEntry, ...process.argv.slice(2)];
await import(pathToFileURL(cliEntry).href);
