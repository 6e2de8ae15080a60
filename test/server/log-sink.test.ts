import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { BatchedLog, FLUSH_DELAY_MS } from '../../src/server/log-sink.ts';

/** Both streams write into one timeline, so the order across stdout and stderr is visible. */
function recorder(): { timeline: Array<[string, string]>; out: { write(text: string): void }; err: { write(text: string): void } } {
  const timeline: Array<[string, string]> = [];
  return {
    timeline,
    out: { write: (text) => void timeline.push(['out', text]) },
    err: { write: (text) => void timeline.push(['err', text]) },
  };
}

/** A scheduler the test runs by hand: the flush happens exactly when the test says the turn is over. */
function manualSchedule(): { schedule: (flush: () => void) => void; runAll: () => void; count: () => number } {
  const queued: Array<() => void> = [];
  return {
    schedule: (flush) => void queued.push(flush),
    runAll: () => {
      for (const flush of queued.splice(0)) flush();
    },
    count: () => queued.length,
  };
}

describe('batched log output (npm start)', () => {
  it('writes nothing until the turn is over, then one write per run of same-stream lines, in order', () => {
    const streams = recorder();
    const turn = manualSchedule();
    const log = new BatchedLog({ out: streams.out, err: streams.err, warnPrefix: 'WARN ', schedule: turn.schedule });
    log.info('START RequestId: r1');
    log.info('END RequestId: r1');
    log.info('REPORT RequestId: r1');
    log.warn('container c1 froze with 1 pending request');
    log.info('START RequestId: r2');
    expect(streams.timeline).toEqual([]);
    expect(turn.count()).toBe(1);
    turn.runAll();
    expect(streams.timeline).toEqual([
      ['out', 'START RequestId: r1\nEND RequestId: r1\nREPORT RequestId: r1\n'],
      ['err', 'WARN container c1 froze with 1 pending request\n'],
      ['out', 'START RequestId: r2\n'],
    ]);
  });

  it('flush() writes what is queued at once, and the scheduled flush then has nothing left to repeat', () => {
    const streams = recorder();
    const turn = manualSchedule();
    const log = new BatchedLog({ out: streams.out, err: streams.err, schedule: turn.schedule });
    log.info('SIGTERM: draining in-flight requests');
    log.flush();
    expect(streams.timeline).toEqual([['out', 'SIGTERM: draining in-flight requests\n']]);
    turn.runAll();
    expect(streams.timeline).toHaveLength(1);
    log.info('stopped');
    turn.runAll();
    expect(streams.timeline).toEqual([
      ['out', 'SIGTERM: draining in-flight requests\n'],
      ['out', 'stopped\n'],
    ]);
  });

  it('by default writes a batch FLUSH_DELAY_MS after its first line, and a line queued later starts a new batch', () => {
    vi.useFakeTimers();
    onTestFinished(() => void vi.useRealTimers());
    const streams = recorder();
    const log = new BatchedLog({ out: streams.out, err: streams.err });
    log.info('START RequestId: r1');
    vi.advanceTimersByTime(FLUSH_DELAY_MS - 1);
    log.info('END RequestId: r1');
    expect(streams.timeline).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(streams.timeline).toEqual([['out', 'START RequestId: r1\nEND RequestId: r1\n']]);
    log.info('REPORT RequestId: r1');
    vi.advanceTimersByTime(FLUSH_DELAY_MS - 1);
    expect(streams.timeline).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(streams.timeline).toEqual([
      ['out', 'START RequestId: r1\nEND RequestId: r1\n'],
      ['out', 'REPORT RequestId: r1\n'],
    ]);
  });
});
