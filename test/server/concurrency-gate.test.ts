import { describe, expect, it } from 'vitest';
import { ConcurrencyGate } from '../../src/server/concurrency-gate.ts';
import { ServerError } from '../../src/server/errors.ts';

async function take(gate: ConcurrencyGate, name: string): Promise<() => void> {
  const slot = gate.acquire(name);
  return typeof slot === 'function' ? slot : slot;
}

describe('ConcurrencyGate', () => {
  it('admits up to the limit at once, queues in order, and throttles past the queue', async () => {
    const limited: string[] = [];
    const gate = new ConcurrencyGate({ limit: 2, maxQueued: 2, onFirstLimit: (name) => limited.push(name) });
    const a = await take(gate, 'f');
    await take(gate, 'f');
    const order: string[] = [];
    const third = Promise.resolve(gate.acquire('f')).then((release) => {
      order.push('third');
      return release;
    });
    const fourth = Promise.resolve(gate.acquire('f')).then((release) => {
      order.push('fourth');
      return release;
    });
    expect(() => gate.acquire('f')).toThrow(ServerError);
    expect(gate.stats()).toEqual({ f: { running: 2, waiting: 2 } });
    // Another function has its own lane.
    expect(typeof gate.acquire('g')).toBe('function');
    a();
    a(); // a second release of the same slot counts once
    await third;
    expect(order).toEqual(['third']);
    expect(gate.stats().f).toEqual({ running: 2, waiting: 1 });
    (await third)();
    await fourth;
    expect(order).toEqual(['third', 'fourth']);
    expect(limited).toEqual(['f']);
  });

  it('the refusal is THROTTLED', () => {
    const gate = new ConcurrencyGate({ limit: 1, maxQueued: 0 });
    gate.acquire('f');
    try {
      gate.acquire('f');
      expect.unreachable();
    } catch (error) {
      expect((error as ServerError).code).toBe('THROTTLED');
    }
  });
});
