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
    // Listed with the load failure, but still invoked: each cold start reports the init error, as in production.
    expect(info?.error?.code).toBe('INIT_FAILED');
    const result = await call(sim, 'throws-at-init');
    expect(result.report.outcome).toBe('init-error');
  });

  it('that is not a URL path is refused as a Netlify deploy would refuse it: listed with the error, invocations refused', async () => {
    const { sim } = startSim({ functionsDir: BAD_CONFIG_DIR });
    const [info] = await sim.functions();
    expect(info?.error).toEqual({ code: 'CONFIG_INVALID', message: "Function bad-path has a configuration error on 'path': Must start with a '/'" });
    await expect(sim.invoke('bad-path', new Request('http://localhost/.netlify/functions/bad-path'))).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining("configuration error on 'path'"),
    });
    expect(sim.containers()).toEqual([]);
  });
});
