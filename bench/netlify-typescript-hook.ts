/**
 * Preloaded into netlify-cli (`node --import bench/netlify-typescript-hook.ts …/netlify …`) so that
 * `netlify functions:serve` starts in this checkout.
 *
 * Why: the project's devDependency `typescript@7` (the native compiler) is hoisted to
 * node_modules/typescript, and has no JavaScript API. netlify-cli's dependency scanner (precinct →
 * @typescript-eslint/typescript-estree → ts-api-utils) requires `typescript` from the hoisted
 * node_modules/ts-api-utils, gets TypeScript 7, and crashes at load with
 * "Cannot read properties of undefined (reading 'Intrinsic')". precinct ships its own TypeScript 5 next to
 * it; this hook points ts-api-utils at that copy. It changes nothing when no such copy exists.
 */
import { existsSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const typescript5 = join(projectRoot, 'node_modules', 'precinct', 'node_modules', 'typescript', 'lib', 'typescript.js');

if (existsSync(typescript5)) {
  const typescript5Url = pathToFileURL(typescript5).href;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      if (specifier === 'typescript' && context.parentURL?.includes('/node_modules/ts-api-utils/')) {
        return { url: typescript5Url, format: 'commonjs', shortCircuit: true };
      }
      return nextResolve(specifier, context);
    },
  });
}
