#!/usr/bin/env node
// Runs before `npm start`, `npm test`, `npm run dev` and `npm run bench` (their `pre` scripts).
//
// Why: on a Node older than package.json's `engines.node`, those commands fail far from the cause:
// `.ts` files are not run at all before Node 22.18 (ERR_UNKNOWN_FILE_EXTENSION), URLPattern is missing
// from `node:url` before Node 24, type stripping prints an ExperimentalWarning before 24.3, and vitest's
// reporter crashes on Node 20 (`Map.groupBy is not a function`). This prints one line saying what is
// needed and how to get it, and exits 1.
//
// It must itself run on old Node: plain JavaScript, no TypeScript, no syntax newer than Node 12, and
// bare 'fs'/'url' (the 'node:' prefix is Node 14.18 and later).
//
//   node scripts/check-node.mjs                 exit 0 if this Node is new enough, else one line and exit 1
//   node scripts/check-node.mjs --print-minimum print the minimum version (for .ci/run)
//
// CHECK_NODE_VERSION=20.20.2 pretends to be that version (tests use it).
import { readFileSync, realpathSync } from 'fs';
import { fileURLToPath } from 'url';

/**
 * The minimum version in an `engines.node` range of the form `>=X.Y.Z`, as [X, Y, Z].
 * Only that form is accepted, so a range this check cannot read fails here and not silently.
 */
export function minimumOf(range) {
  const match = /^\s*>=\s*v?(\d+)\.(\d+)\.(\d+)\s*$/.exec(String(range));
  if (match === null) throw new Error('engines.node must be of the form ">=X.Y.Z", got ' + JSON.stringify(range));
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

/** A version string (`20.20.2` or `v20.20.2`) as [major, minor, patch]. */
export function parseVersion(version) {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(String(version));
  if (match === null) throw new Error('not a Node.js version: ' + JSON.stringify(version));
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

/** Whether `version` is at least `minimum` (both [major, minor, patch]). */
export function isAtLeast(version, minimum) {
  for (let i = 0; i < 3; i++) {
    if (version[i] !== minimum[i]) return version[i] > minimum[i];
  }
  return true;
}

/** The one line printed on a too-old Node. */
export function tooOldMessage(actual, minimum) {
  return (
    'stateful-serverless needs Node.js ' + minimum.join('.') + ' or newer, and this is Node.js ' + actual.join('.') + '. ' +
    'With nvm: `nvm install` (reads .nvmrc). Without: `npm install --prefix ~/.node24 node@24` ' +
    'then `export PATH="$HOME/.node24/node_modules/.bin:$PATH"`, and run `npm ci` again.'
  );
}

function main() {
  const manifestPath = fileURLToPath(new URL('../package.json', import.meta.url));
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  const minimum = minimumOf(manifest.engines && manifest.engines.node);
  if (process.argv.includes('--print-minimum')) {
    process.stdout.write(minimum.join('.') + '\n');
    return 0;
  }
  const actual = parseVersion(process.env.CHECK_NODE_VERSION || process.versions.node);
  if (isAtLeast(actual, minimum)) return 0;
  process.stderr.write(tooOldMessage(actual, minimum) + '\n');
  return 1;
}

// Run only as a script, not when a test imports the functions above.
if (process.argv[1] !== undefined && realpathSync(fileURLToPath(import.meta.url)) === realpathSync(process.argv[1])) {
  try {
    process.exitCode = main();
  } catch (error) {
    process.stderr.write('check-node: ' + (error && error.message ? error.message : String(error)) + '\n');
    process.exitCode = 1;
  }
}
