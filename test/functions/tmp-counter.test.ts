import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { invokeV1 } from '../fixtures/invoke.ts';

type TmpCounterModule = typeof import('../../functions/tmp-counter.ts');

async function coldStart(): Promise<TmpCounterModule> {
  vi.resetModules();
  return import('../../functions/tmp-counter.ts');
}

describe('tmp-counter', () => {
  let containerTmp: string;
  let counterFile: string;
  beforeEach(async () => {
    // A private TMPDIR per test stands in for a container's own /tmp; os.tmpdir() reads it per call.
    containerTmp = await mkdtemp(join(tmpdir(), 'tmp-counter-test-'));
    onTestFinished(() => rm(containerTmp, { recursive: true, force: true }));
    vi.stubEnv('TMPDIR', containerTmp);
    counterFile = join(containerTmp, 'stateful-serverless', 'tmp-counter.json');
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('counts 1, 2, 3 in one container, in a file under os.tmpdir()', async () => {
    const mod = await coldStart();
    const bodies = [];
    for (let i = 0; i < 3; i++) bodies.push(JSON.parse((await invokeV1(mod.handler)).body) as { visits: number; containerId: string });
    expect(bodies.map((b) => b.visits)).toEqual([1, 2, 3]);
    expect(new Set(bodies.map((b) => b.containerId)).size).toBe(1);
    expect(JSON.parse(await readFile(counterFile, 'utf8'))).toEqual({ visits: 3 });
    // Atomic writes leave no temp files behind.
    expect(await readdir(join(containerTmp, 'stateful-serverless'))).toEqual(['tmp-counter.json']);
  });

  it('keeps counting after a restart of the same container (its /tmp survives), under a new container id', async () => {
    const before = JSON.parse((await invokeV1((await coldStart()).handler)).body) as { visits: number; containerId: string };
    const after = JSON.parse((await invokeV1((await coldStart()).handler)).body) as { visits: number; containerId: string };
    expect(after.visits).toBe(2);
    expect(after.containerId).not.toBe(before.containerId);
  });

  it('replaces a corrupt file and reports it, instead of crashing', async () => {
    await mkdir(join(containerTmp, 'stateful-serverless'), { recursive: true });
    await writeFile(counterFile, '{"visits": 4');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const res = await invokeV1((await coldStart()).handler);
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ visits: 1 });
    expect(res.headers).toMatchObject({ 'x-tmp-counter-recovered': 'corrupt' });
    expect(warn).toHaveBeenCalledOnce();
    expect(JSON.parse(await readFile(counterFile, 'utf8'))).toEqual({ visits: 1 });
  });

  it('replaces a file of the wrong shape (negative count) as corrupt', async () => {
    await mkdir(join(containerTmp, 'stateful-serverless'), { recursive: true });
    await writeFile(counterFile, '{"visits": -3}');
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const res = await invokeV1((await coldStart()).handler);
    expect(JSON.parse(res.body)).toMatchObject({ visits: 1 });
    expect(res.headers).toMatchObject({ 'x-tmp-counter-recovered': 'corrupt' });
  });

  it('replaces an unreadable counter (a directory where the file should be) and reports it', async () => {
    await mkdir(join(counterFile, 'junk'), { recursive: true });
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const mod = await coldStart();
    const res = await invokeV1(mod.handler);
    expect(res.statusCode).toBe(200);
    expect(res.headers).toMatchObject({ 'x-tmp-counter-recovered': 'unreadable' });
    expect(JSON.parse((await invokeV1(mod.handler)).body)).toMatchObject({ visits: 2 });
  });
});
