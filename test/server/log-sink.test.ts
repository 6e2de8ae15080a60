import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { BatchedLog, FLUSH_DELAY_MS, type LogStream } from '../../src/server/log-sink.ts';

/** Both streams write into one timeline, so the order across stdout and stderr is visible. */
function recorder(): { timeline: Array<[string, string]>; out: LogStream; err: LogStream } {
  const timeline: Array<[string, string]> = [];
  const decoder = new TextDecoder();
  return {
    timeline,
    out: { write: (chunk) => void timeline.push(['out', decoder.decode(chunk)]) },
    err: { write: (chunk) => void timeline.push(['err', decoder.decode(chunk)]) },
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

  it('keeps every byte of long batches, long lines and non-ASCII text, and never changes a chunk once written', () => {
    const chunks: Uint8Array[] = [];
    const sink: LogStream = { write: (chunk) => void chunks.push(chunk) };
    const turn = manualSchedule();
    const log = new BatchedLog({ out: sink, err: sink, schedule: turn.schedule });
    const lines = Array.from({ length: 3000 }, (_, i) => `REPORT RequestId: r${i} Duration: 0.${i} ms — ${'é'.repeat(i % 7)}`);
    const long = `GET /${'x'.repeat(200_000)} 200`;
    for (const line of lines.slice(0, 1500)) log.info(line);
    log.info(long);
    for (const line of lines.slice(1500)) log.info(line);
    turn.runAll();
    const firstBatch = chunks.map((chunk) => Buffer.from(chunk).toString('utf8')).join('');
    expect(firstBatch).toBe([...lines.slice(0, 1500), long, ...lines.slice(1500)].map((line) => `${line}\n`).join(''));
    const copies = chunks.map((chunk) => Uint8Array.from(chunk));
    // A second batch (its lines are longer than the first's) must not write into the first one's bytes.
    for (const line of lines) log.info(`${line} again`);
    turn.runAll();
    expect(chunks.slice(0, copies.length).map((chunk) => Uint8Array.from(chunk))).toEqual(copies);
    expect(chunks.slice(copies.length).map((chunk) => Buffer.from(chunk).toString('utf8')).join('')).toBe(lines.map((line) => `${line} again\n`).join(''));
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
