import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { AtomicJsonFile } from '../../src/lib/tmp-store.ts';
import { countVisit } from '../../src/lib/visit-counter.ts';

const isNumberBox = (v: unknown): v is { n: number } =>
  typeof v === 'object' && v !== null && 'n' in v && typeof v.n === 'number';

describe('AtomicJsonFile', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tmp-store-test-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
  });

  it('reads what it wrote, creating missing directories, and leaves no temp files', async () => {
    const file = new AtomicJsonFile(join(dir, 'a', 'b', 'doc.json'), isNumberBox);
    expect(await file.read()).toEqual({ status: 'missing' });
    await file.write({ n: 1 });
    await file.write({ n: 2 });
    expect(await file.read()).toEqual({ status: 'ok', value: { n: 2 } });
    expect(await readdir(join(dir, 'a', 'b'))).toEqual(['doc.json']);
  });

  it('reports invalid JSON and the wrong shape as corrupt', async () => {
    const path = join(dir, 'doc.json');
    const file = new AtomicJsonFile(path, isNumberBox);
    await writeFile(path, '{"n":');
    expect(await file.read()).toMatchObject({ status: 'corrupt' });
    await writeFile(path, '{"n":"one"}');
    expect(await file.read()).toMatchObject({ status: 'corrupt' });
  });

  it('reports a directory in its place as unreadable, and a write replaces it', async () => {
    const path = join(dir, 'doc.json');
    await mkdir(join(path, 'nested'), { recursive: true });
    const file = new AtomicJsonFile(path, isNumberBox);
    expect(await file.read()).toMatchObject({ status: 'unreadable', message: expect.stringContaining('EISDIR') });
    await file.write({ n: 3 });
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ n: 3 });
  });

  it('never exposes a half-written document to a concurrent reader', async () => {
    const path = join(dir, 'doc.json');
    const file = new AtomicJsonFile(path, isNumberBox);
    await file.write({ n: 0 });
    const writes = Array.from({ length: 30 }, (_, i) => file.write({ n: i + 1 }));
    const reads = Array.from({ length: 30 }, () => file.read());
    const results = await Promise.all(reads);
    await Promise.all(writes);
    expect(results.every((r) => r.status === 'ok')).toBe(true);
  });

  it('propagates a write it cannot recover from instead of hiding it', async () => {
    // Root ignores permission bits, so use a path whose parent is a file: mkdir fails with ENOTDIR.
    await writeFile(join(dir, 'plain-file'), 'x');
    const file = new AtomicJsonFile(join(dir, 'plain-file', 'doc.json'), isNumberBox);
    await expect(file.write({ n: 1 })).rejects.toMatchObject({ code: expect.stringMatching(/ENOTDIR|EEXIST/) });
  });
});

describe('countVisit', () => {
  it('counts from 1 and reports a replaced corrupt file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'visit-test-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'visits.json');
    expect(await countVisit(path)).toEqual({ visits: 1 });
    expect(await countVisit(path)).toEqual({ visits: 2 });
    await writeFile(path, 'garbage');
    expect(await countVisit(path)).toEqual({ visits: 1, recovered: { problem: 'corrupt', message: expect.any(String) } });
    expect(await countVisit(path)).toEqual({ visits: 2 });
  });
});
