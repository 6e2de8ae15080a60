/**
 * npm run build:package (also run by `npm pack` through prepack): compiles the package into dist/
 * with the project's TypeScript 7 and tsconfig.build.json. dist/ is emptied first, so a file removed
 * from src/ never ships from an old build.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const dist = path.join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript-native', 'bin', 'tsc'), '-p', path.join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
});
// Files the code reads from disk beside itself (the /__sim/ page's HTML, CSS and browser script) are not
// TypeScript, so tsc does not emit them: copy them to the same place under dist/.
const assetDirs = [path.join('server', 'timeline')];
for (const dir of assetDirs) {
  for (const name of readdirSync(path.join(root, 'src', dir))) {
    if (!/\.(html|css|js)$/.test(name)) continue;
    cpSync(path.join(root, 'src', dir, name), path.join(dist, dir, name));
  }
}
// The `bin` entry: npm links node_modules/.bin/stateful-serverless to it and the shell runs it, so it
// needs a `#!` line (the source does not need one: `npm start` runs it through node). npm marks it
// executable on install; chmod makes ./dist/cli/main.js runnable from the checkout too.
const bin = path.join(dist, 'cli', 'main.js');
if (existsSync(bin)) {
  const code = readFileSync(bin, 'utf8');
  if (!code.startsWith('#!')) writeFileSync(bin, `#!/usr/bin/env node\n${code}`);
  chmodSync(bin, 0o755);
}
