/**
 * The process-wide memo of esbuild results (src/sim/build-memo.ts): a result is reused only while every
 * file it was built from, their directories, the config files above them and what the build consulted
 * look the same. Driven on real files; the build is a counter, so a reuse is seen, not timed.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { memoizedBuild, type MemoBuild } from '../../src/sim/build-memo.ts';

/** A clock a minute ahead of the files' times: the files the test just wrote count as settled. */
const settled = (): number => Date.now() + 60_000;

async function tree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'build-memo-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  for (const [relative, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, relative)), { recursive: true });
    await writeFile(path.join(dir, relative), text);
  }
  return dir;
}

/** A build that counts its runs and depends on `inputs` (and `consulted`). */
function counted(inputs: string[], extra: Partial<MemoBuild<number>> = {}): { build: () => Promise<MemoBuild<number>>; runs: () => number } {
  let runs = 0;
  return {
    build: async () => {
      runs += 1;
      return { value: runs, inputs, ...extra };
    },
    runs: () => runs,
  };
}

describe('memoizedBuild', () => {
  it('reuses the result while nothing it depended on changed', async () => {
    const dir = await tree({ 'functions/a.mjs': 'export default 1;\n', 'lib/util.mjs': 'export const u = 1;\n' });
    const { build, runs } = counted([path.join(dir, 'functions/a.mjs'), path.join(dir, 'lib/util.mjs')]);
    const key = randomUUID();
    expect(await memoizedBuild(key, build, settled)).toBe(1);
    expect(await memoizedBuild(key, build, settled)).toBe(1);
    expect(runs()).toBe(1);
    // Another key (other options, another working directory) is another build.
    expect(await memoizedBuild(randomUUID(), build, settled)).toBe(2);
  });

  it('builds again after an input is edited, even to the same size with its modification time put back', async () => {
    const dir = await tree({ 'a.mjs': 'export default 1;\n' });
    const file = path.join(dir, 'a.mjs');
    const { build, runs } = counted([file]);
    // A whole-second modification time, so putting it back restores it to the nanosecond.
    const wholeSecond = new Date(Math.floor(Date.now() / 1000) * 1000 - 10_000);
    await utimes(file, wholeSecond, wholeSecond);
    const key = randomUUID();
    await memoizedBuild(key, build, settled);
    const before = await stat(file, { bigint: true });
    await writeFile(file, 'export default 2;\n');
    await utimes(file, wholeSecond, wholeSecond);
    const after = await stat(file, { bigint: true });
    expect([after.ino, after.size, after.mtimeNs]).toEqual([before.ino, before.size, before.mtimeNs]);
    expect(await memoizedBuild(key, build, settled)).toBe(2);
    expect(await memoizedBuild(key, build, settled)).toBe(2);
    expect(runs()).toBe(2);
  });

  it('builds again when an input is replaced by a rename (how editors save)', async () => {
    const dir = await tree({ 'a.mjs': 'export default 1;\n', 'a.mjs.new': 'export default 1;\n' });
    const file = path.join(dir, 'a.mjs');
    const { build } = counted([file]);
    const key = randomUUID();
    await memoizedBuild(key, build, settled);
    await rename(path.join(dir, 'a.mjs.new'), file);
    expect(await memoizedBuild(key, build, settled)).toBe(2);
  });

  it('builds again when a file appears next to an input (it may now be what an import resolves to)', async () => {
    const dir = await tree({ 'functions/a.mjs': "import './util';\n", 'functions/util.js': '' });
    const { build } = counted([path.join(dir, 'functions/a.mjs'), path.join(dir, 'functions/util.js')]);
    const key = randomUUID();
    await memoizedBuild(key, build, settled);
    await writeFile(path.join(dir, 'functions/util.ts'), '');
    expect(await memoizedBuild(key, build, settled)).toBe(2);
  });

  it('builds again when a package.json or tsconfig.json above an input appears or changes', async () => {
    const dir = await tree({ 'site/functions/a.mjs': '', 'site/package.json': '{}' });
    const { build } = counted([path.join(dir, 'site/functions/a.mjs')]);
    const key = randomUUID();
    await memoizedBuild(key, build, settled);
    await writeFile(path.join(dir, 'site/package.json'), '{"type":"module"}');
    expect(await memoizedBuild(key, build, settled)).toBe(2);
    await writeFile(path.join(dir, 'tsconfig.json'), '{}');
    expect(await memoizedBuild(key, build, settled)).toBe(3);
    expect(await memoizedBuild(key, build, settled)).toBe(3);
  });

  it('builds again when a path the build consulted and did not find appears (a package installed nearer)', async () => {
    const dir = await tree({ 'site/functions/a.mjs': "import 'dep';\n", 'node_modules/dep/package.json': '{}', 'node_modules/dep/index.js': '' });
    const nearer = path.join(dir, 'site/node_modules/dep/package.json');
    const { build } = counted([path.join(dir, 'site/functions/a.mjs'), path.join(dir, 'node_modules/dep/index.js')], { consulted: [nearer, path.join(dir, 'node_modules/dep/package.json')] });
    const key = randomUUID();
    await memoizedBuild(key, build, settled);
    await mkdir(path.dirname(nearer), { recursive: true });
    await writeFile(nearer, '{}');
    expect(await memoizedBuild(key, build, settled)).toBe(2);
  });

  it('builds again when an input is gone', async () => {
    const dir = await tree({ 'a.mjs': '', 'b.mjs': '' });
    const { build } = counted([path.join(dir, 'a.mjs'), path.join(dir, 'b.mjs')]);
    const key = randomUUID();
    await memoizedBuild(key, build, settled);
    await rm(path.join(dir, 'b.mjs'));
    expect(await memoizedBuild(key, build, settled)).toBe(2);
  });

  it('does not remember a build whose files changed just before it started (esbuild may have read them mid-save)', async () => {
    const dir = await tree({ 'a.mjs': '' });
    const { build, runs } = counted([path.join(dir, 'a.mjs')]);
    const key = randomUUID();
    // The real clock: the file was written a moment ago.
    await memoizedBuild(key, build);
    await memoizedBuild(key, build);
    expect(runs()).toBe(2);
  });

  it('does not remember a build that says so, nor one that failed', async () => {
    const dir = await tree({ 'a.mjs': '' });
    const { build, runs } = counted([path.join(dir, 'a.mjs')], { memoize: false });
    const key = randomUUID();
    await memoizedBuild(key, build, settled);
    await memoizedBuild(key, build, settled);
    expect(runs()).toBe(2);

    const failing = randomUUID();
    let attempts = 0;
    const flaky = async (): Promise<MemoBuild<string>> => {
      attempts += 1;
      if (attempts === 1) throw new Error('syntax error');
      return { value: 'fixed', inputs: [path.join(dir, 'a.mjs')] };
    };
    await expect(memoizedBuild(failing, flaky, settled)).rejects.toThrow('syntax error');
    expect(await memoizedBuild(failing, flaky, settled)).toBe('fixed');
  });

  it('shares one build between callers that ask at the same time', async () => {
    const dir = await tree({ 'a.mjs': '' });
    const { build, runs } = counted([path.join(dir, 'a.mjs')]);
    const key = randomUUID();
    // The first caller's build is in flight when the second asks: the second waits for it.
    const [first, second] = await Promise.all([memoizedBuild(key, build, settled), memoizedBuild(key, build, settled)]);
    expect([first, second, runs()]).toEqual([1, 1, 1]);
  });
});
