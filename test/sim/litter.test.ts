import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { PRUNE_STAMP, pruneBundleCache, retainBundle } from '../../src/sim/bundle-cache.ts';
import { Simulator } from '../../src/sim/index.ts';
import { FIXTURES_DIR, startSim } from './helpers.ts';

const RUNNER = path.resolve(import.meta.dirname, 'fixtures/run-simulator.ts');

describe('no litter', () => {
  it("removes a killed simulator's container directories at the next start", async () => {
    const child = spawn(process.execPath, [RUNNER, FIXTURES_DIR], { stdio: ['ignore', 'pipe', 'inherit'] });
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let output = '';
    child.stdout.setEncoding('utf8');
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: string) => {
        output += chunk;
        if (output.includes('\n')) resolve(output.split('\n')[0] ?? '');
      });
      child.once('exit', (code) => reject(new Error(`the simulator process exited early (${code})`)));
    });
    const { tmpRoot, containerTmp } = JSON.parse(line) as { tmpRoot: string; containerTmp: string };
    expect(path.basename(tmpRoot)).toMatch(new RegExp(`^sim-containers-${child.pid}-`));
    expect(existsSync(containerTmp)).toBe(true);

    child.kill('SIGKILL'); // no close(), no exit handlers
    await once(child, 'exit');
    expect(existsSync(tmpRoot)).toBe(true); // the litter a killed run leaves

    const next = new Simulator({ functionsDir: FIXTURES_DIR });
    onTestFinished(() => next.destroy());
    expect(existsSync(tmpRoot)).toBe(false);
    expect(existsSync(next.tmpRoot)).toBe(true); // its own, of a live process, stays
  });

  it('close() removes the containers\' directories', async () => {
    const { sim } = startSim();
    const result = await sim.invoke('echo-v1', new Request('http://localhost/.netlify/functions/echo-v1'));
    await result.done;
    expect(existsSync(sim.tmpRoot)).toBe(true);
    await sim.close();
    expect(existsSync(sim.tmpRoot)).toBe(false);
  });
});

describe('the bundle cache', () => {
  /** A cache with deploy directories (`<name>-<hash>/<name>.mjs`) and loose files, each last used `ageMs` ago. */
  async function cacheWith(entries: Array<{ name: string; ageMs: number; bytes?: number }>): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bundle-cache-test-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const nowMs = Date.now();
    for (const entry of entries) {
      const used = new Date(nowMs - entry.ageMs);
      const loose = entry.name.includes('.');
      const file = loose ? path.join(dir, entry.name) : path.join(dir, entry.name, 'functions', 'f.mjs');
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, 'x'.repeat(entry.bytes ?? 10));
      await utimes(file, used, used);
      if (!loose) {
        await utimes(path.dirname(file), used, used);
        await utimes(path.join(dir, entry.name), used, used);
      }
    }
    return dir;
  }

  const names = (files: string[]): string[] => files.map((file) => path.basename(file)).sort();

  it('keeps the most recently used entries within the limit and removes the rest, directories and files alike', async () => {
    const dir = await cacheWith([
      { name: 'a-1', ageMs: 5_000 },
      { name: 'b-1', ageMs: 1_000 },
      { name: 'runtime-1.mjs', ageMs: 3_000 },
      { name: 'd-1', ageMs: 4_000 },
      { name: 'notes.txt', ageMs: 9_000 },
    ]);
    const removed = await pruneBundleCache(dir, { maxEntries: 2, maxBytes: Number.POSITIVE_INFINITY, minAgeMs: 0 });
    expect(names(removed)).toEqual(['a-1', 'd-1']);
    expect((await readdir(dir)).sort()).toEqual(['b-1', 'notes.txt', 'runtime-1.mjs']);
  });

  it('bounds bytes too, and never removes a bundle a live container uses or one used recently', async () => {
    const dir = await cacheWith([
      { name: 'new-1', ageMs: 1_000, bytes: 600 },
      { name: 'recent-1', ageMs: 30_000, bytes: 600 },
      { name: 'live-1', ageMs: 90_000, bytes: 600 },
      { name: 'old-1', ageMs: 120_000, bytes: 600 },
    ]);
    const release = retainBundle(path.join(dir, 'live-1', 'functions', 'f.mjs'));
    const limits = { maxEntries: 100, maxBytes: 1000, minAgeMs: 60_000 };
    expect(names(await pruneBundleCache(dir, limits))).toEqual(['old-1']);
    release();
    expect(names(await pruneBundleCache(dir, limits))).toEqual(['live-1']);
    expect((await readdir(dir)).sort()).toEqual(['new-1', 'recent-1']);
  });

  it('is pruned at most once a minute per cache, by whichever process comes first', async () => {
    // Over the default limits (200 entries) with entries older than the default minimum age (an hour).
    const dir = await cacheWith(Array.from({ length: 202 }, (_, i) => ({ name: `old-${i}.mjs`, ageMs: 2 * 3_600_000 + i * 1_000 })));
    const used = path.join(dir, 'old-0.mjs');
    // Each fresh import of bundle-cache.ts stands for another process that has not pruned yet.
    const freshProcess = async (): Promise<typeof import('../../src/sim/bundle-cache.ts')> => {
      vi.resetModules();
      return import('../../src/sim/bundle-cache.ts');
    };
    const stamp = path.join(dir, PRUNE_STAMP);
    await writeFile(stamp, '');
    await (await freshProcess()).noteBundleUse(dir, used);
    expect((await readdir(dir)).length).toBe(203); // another process pruned within the minute: no prune

    const twoMinutesAgo = new Date(Date.now() - 120_000);
    await utimes(stamp, twoMinutesAgo, twoMinutesAgo);
    await (await freshProcess()).noteBundleUse(dir, used);
    // The two least recently used went; the stamp stays (not an entry) and says a prune just started.
    expect((await readdir(dir)).filter((name) => name !== PRUNE_STAMP)).toHaveLength(200);
    expect(existsSync(path.join(dir, 'old-201.mjs'))).toBe(false);
    expect(existsSync(path.join(dir, 'old-200.mjs'))).toBe(false);
    // One entry over the limit again, from a third process within the minute: left for the next prune.
    const threeHoursAgo = new Date(Date.now() - 3 * 3_600_000);
    await writeFile(path.join(dir, 'older.mjs'), 'x');
    await utimes(path.join(dir, 'older.mjs'), threeHoursAgo, threeHoursAgo);
    await (await freshProcess()).noteBundleUse(dir, used);
    expect(existsSync(path.join(dir, 'older.mjs'))).toBe(true);
  });
});
