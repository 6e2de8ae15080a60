import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { listZipEntries, ownBytes } from '../src/dev/zip-entries.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..');
/** The seed's rule for a function's own JS. */
const LIMIT_BYTES = 1_000_000;

// `netlify build --offline` in a copy of the project, so the build never touches the working tree.
// node_modules is hard-linked (instant, and v2 functions, which Netlify packs with nft, then include real
// dependency files); where that is impossible (another filesystem) it is symlinked, and v2 zips then hold
// a link instead of their dependencies, so their size check is skipped.
describe('packaging: netlify build --offline', () => {
  let dir: string;
  let hardLinked = true;
  let buildLog = '';
  const functionNames: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'packaging-'));
    for (const entry of ['functions', 'src', 'public', 'netlify.toml', 'package.json', 'tsconfig.json']) {
      await cp(join(ROOT, entry), join(dir, entry), { recursive: true });
    }
    try {
      await run('cp', ['-al', join(ROOT, 'node_modules'), join(dir, 'node_modules')]);
    } catch {
      hardLinked = false;
      await rm(join(dir, 'node_modules'), { recursive: true, force: true });
      await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    }
    for (const file of await readdir(join(ROOT, 'functions'))) {
      if (['.ts', '.mts', '.js', '.mjs'].includes(extname(file))) functionNames.push(basename(file, extname(file)));
    }
    const result = await run(process.execPath, [join(ROOT, 'node_modules', 'netlify-cli', 'bin', 'run.js'), 'build', '--offline'], {
      cwd: dir,
      env: { ...process.env, NETLIFY_SITE_ID: '', NODE_OPTIONS: '' },
      maxBuffer: 16 * 1024 * 1024,
    });
    buildLog = result.stdout + result.stderr;
    return async () => {
      await rm(dir, { recursive: true, force: true });
    };
  }, 180_000);

  it('writes one zip per function, and a manifest naming each', async () => {
    const out = join(dir, '.netlify', 'functions');
    const zips = (await readdir(out)).filter((f) => f.endsWith('.zip')).sort();
    expect(zips, buildLog).toEqual(functionNames.map((n) => `${n}.zip`).sort());
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as { functions: { name: string }[] };
    expect(manifest.functions.map((f) => f.name).sort()).toEqual([...functionNames].sort());
  });

  it("keeps every function's own code under 1 MB", async () => {
    const out = join(dir, '.netlify', 'functions');
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as { functions: { name: string; bundler: string }[] };
    for (const { name, bundler } of manifest.functions) {
      if (!hardLinked && bundler === 'nft') continue;
      const entries = listZipEntries(await readFile(join(out, `${name}.zip`)));
      const bytes = ownBytes(entries);
      expect({ name, under1Mb: bytes < LIMIT_BYTES, bytes }).toEqual({ name, under1Mb: true, bytes });
      // It really is the function: the zip holds a file named after it.
      expect(entries.some((e) => e.name.includes(name))).toBe(true);
    }
  });
});
