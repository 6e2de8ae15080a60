import { describe, expect, it } from 'vitest';
import type { InvocationReport } from '../../src/sim/api.ts';
import { Invocation } from '../../src/sim/invocation.ts';

function report(requestId: string): InvocationReport {
  return {
    requestId,
    functionName: 'f',
    containerId: 'f-1',
    outcome: 'ok',
    coldStart: false,
    durationMs: 1,
    billedDurationMs: 1,
    memorySizeMb: 128,
    maxMemoryUsedMb: 0,
    pendingAtFreeze: [],
  };
}

describe('Invocation', () => {
  it('the first answer wins: a late one (the function after its timeout) is dropped', async () => {
    const invocation = new Invocation({ requestId: 'r1', coldStart: true, deadlineMs: 10, method: 'POST', url: 'http://x/y', onFinished: () => undefined });
    invocation.respond({ kind: 'buffered', status: 502, headers: [], body: 'timeout' });
    invocation.respond({ kind: 'buffered', status: 200, headers: [], body: 'late' });
    expect(invocation.responded).toBe(true);
    expect(await invocation.response).toMatchObject({ status: 502, body: 'timeout' });
  });

  it('finishing before an answer rejects the caller, releases the pool before done resolves, and counts once', async () => {
    const order: string[] = [];
    const invocation = new Invocation({ requestId: 'r2', coldStart: false, deadlineMs: 10, method: 'POST', url: 'http://x/y', onFinished: () => order.push('released') });
    const rejected = invocation.response.catch((error: Error & { code?: string }) => error.code);
    invocation.finish(report('r2'), undefined, () => order.push('reported'));
    invocation.finish(report('other'));
    void invocation.done.then(() => order.push('done'));
    expect(await rejected).toBe('SIMULATOR_CLOSED');
    expect((await invocation.done).requestId).toBe('r2');
    expect(order).toEqual(['released', 'reported', 'done']);
  });

  it('streams a body chunk by chunk, and cuts it when finished early', async () => {
    const invocation = new Invocation({ requestId: 'r3', coldStart: false, deadlineMs: 10, method: 'POST', url: 'http://x/y', onFinished: () => undefined });
    invocation.respondStreaming({ status: 200, statusText: 'OK', headers: [['x-a', '1']] });
    const response = (await invocation.response) as Response;
    expect(response.headers.get('x-a')).toBe('1');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    invocation.enqueue(new TextEncoder().encode('one'));
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('one');
    invocation.finish(report('r3'), new Error('container stopped'));
    await expect(reader.read()).rejects.toThrow('container stopped');
  });
});
