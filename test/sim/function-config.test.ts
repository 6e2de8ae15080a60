import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { call, startSim } from './helpers.ts';

const CONFIG_DIR = path.resolve(import.meta.dirname, 'fixtures/config-functions');
const BAD_CONFIG_DIR = path.resolve(import.meta.dirname, 'fixtures/bad-config-functions');

describe("a v2 function's config.path", () => {
  it('is reported by functions(), so the local server can route it', async () => {
    const { sim } = startSim({ functionsDir: CONFIG_DIR });
    const byName = new Map((await sim.functions()).map((info) => [info.name, info]));
    expect(byName.get('routed')?.configPath).toEqual(['/hello', '/hello/:name']);
    expect(byName.get('plain')?.configPath).toBeUndefined();
  });

  it("is read without touching a real container: the first invocation still starts cold with fresh module state", async () => {
    const { sim } = startSim({ functionsDir: CONFIG_DIR });
    await sim.functions();
    expect(sim.containers()).toEqual([]);
    const first = await call(sim, 'routed');
    expect(first.report.coldStart).toBe(true);
    expect(JSON.parse(first.text)).toEqual({ invocations: 1 });
  });

  it('of a module that throws at init is left unset, and invoking it reports the init error', async () => {
    const { sim } = startSim({ functionsDir: CONFIG_DIR });
    const info = (await sim.functions()).find((f) => f.name === 'throws-at-init');
    expect(info?.configPath).toBeUndefined();
    const result = await call(sim, 'throws-at-init');
    expect(result.report.outcome).toBe('init-error');
  });

  it('that is not a URL path fails bundling with a clear error, as a Netlify deploy would', async () => {
    const { sim } = startSim({ functionsDir: BAD_CONFIG_DIR });
    await expect(sim.functions()).rejects.toMatchObject({
      code: 'BUNDLE_FAILED',
      message: expect.stringContaining('config.path must be a string or an array of strings starting with "/"'),
    });
  });
});
