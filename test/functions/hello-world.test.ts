import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { HandlerContext, HandlerEvent, HandlerResponse } from '@netlify/functions';

type HelloModule = typeof import('../../functions/hello-world.ts');

/** A fresh module instance stands in for a cold container: module scope runs again. */
async function coldStart(): Promise<HelloModule> {
  vi.resetModules();
  return import('../../functions/hello-world.ts');
}

async function call(mod: HelloModule): Promise<HandlerResponse> {
  const res = await mod.handler({} as HandlerEvent, {} as HandlerContext);
  if (!res) throw new Error('handler returned nothing');
  return res;
}

describe('hello-world', () => {
  let mod: HelloModule;
  beforeEach(async () => {
    mod = await coldStart();
  });

  it('counts 1, 2, 3 across warm invocations, as in the article', async () => {
    const bodies = [];
    for (let i = 0; i < 3; i++) bodies.push((await call(mod)).body);
    expect(bodies).toEqual([
      '{"message":"Hello, abc is 1"}',
      '{"message":"Hello, abc is 2"}',
      '{"message":"Hello, abc is 3"}',
    ]);
  });

  it('starts again at 1 in a cold container', async () => {
    await call(mod);
    await call(mod);
    const cold = await coldStart();
    expect(JSON.parse((await call(cold)).body ?? '')).toEqual({ message: 'Hello, abc is 1' });
  });
});
