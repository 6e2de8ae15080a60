/**
 * npm run build:package (also run by `npm pack` through prepack): compiles the package into dist/
 * with the project's TypeScript 7 and tsconfig.build.json. dist/ is emptied first, so a file removed
 * from src/ never ships from an old build.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const dist = path.join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript-native', 'bin', 'tsc'), '-p', path.join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
});
// npm marks bin files executable on install; this makes ./dist/cli/main.js runnable straight from the checkout too.
const bin = path.join(dist, 'cli', 'main.js');
if (existsSync(bin)) chmodSync(bin, 0o755);
