/**
 * `GET /__sim/events` against the real `npm start` stack: the Server-Sent Events stream replays the
 * history, then goes live, and tells the same story as the log (request ids, containers, cold or warm,
 * statuses, outcomes, pending work).
 */
import { describe, expect, it, onTestFailed, onTestFinished } from 'vitest';
import type { SimEvent } from '../../src/sim/index.ts';
import { startTestServer } from './helpers.ts';

interface SseMessage {
  event: string;
  id?: string;
  data: string;
}

/** Reads a text/event-stream response message by message; the test awaits messages, never sleeps. */
class SseReader {
  readonly messages: SseMessage[] = [];
  #waiters: Array<{ test: (m: SseMessage) => boolean; resolve: (m: SseMessage) => void }> = [];
  #ended: Promise<void>;

  constructor(body: ReadableStream<Uint8Array>) {
    this.#ended = this.#read(body);
  }

  get ended(): Promise<void> {
    return this.#ended;
  }

  async #read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of body) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const message: SseMessage = { event: 'message', data: '' };
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'event') message.event = value;
          else if (field === 'id') message.id = value;
          else if (field === 'data') data.push(value);
        }
        if (data.length === 0 && message.event === 'message') continue;
        message.data = data.join('\n');
        this.messages.push(message);
        this.#waiters = this.#waiters.filter((waiter) => {
          if (!waiter.test(message)) return true;
          waiter.resolve(message);
          return false;
        });
      }
    }
  }

  waitFor(test: (m: SseMessage) => boolean): Promise<SseMessage> {
    const seen = this.messages.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.#waiters.push({ test, resolve }));
  }

  events(): SimEvent[] {
    return this.messages.filter((m) => m.event === 'message').map((m) => JSON.parse(m.data) as SimEvent);
  }
}

async function openStream(url: string, headers: Record<string, string> = {}): Promise<{ res: Response; reader: SseReader }> {
  const controller = new AbortController();
  const res = await fetch(`${url}/__sim/events`, { headers, signal: controller.signal });
  onTestFinished(() => controller.abort());
  if (!res.body) throw new Error('no body');
  const reader = new SseReader(res.body);
  reader.ended.catch(() => undefined);
  return { res, reader };
}

async function post(url: string, payload: unknown): Promise<string> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
  await res.text();
  return res.headers.get('x-nf-request-id') ?? '';
}

describe('GET /__sim/events', () => {
  it('replays the history, then streams live, and tells the same story as the log', async () => {
    const { url, log, clock } = await startTestServer({ simulator: { idleTimeoutMs: 60_000 } });
    onTestFailed(() => console.log(log.lines.join('\n')));
    // Before anyone listens: history.
    const first = await post(`${url}/api/send-data-unawaited`, { n: 1 });
    await log.waitFor(new RegExp(`^REPORT RequestId: ${first}\\t`));

    const { res, reader } = await openStream(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const live = await reader.waitFor((m) => m.event === 'live');
    const [hello] = reader.messages;
    expect(hello?.event).toBe('hello');
    expect(JSON.parse(hello?.data ?? '{}')).toEqual({ serverId: expect.stringMatching(/^[0-9a-f-]{36}$/), historyLimit: 10_000, dropped: 0, nowMs: clock.now() });
    const replayed = reader.events();
    // r1's delivery is frozen in its container: collect has not been called yet.
    expect(replayed.map((event) => [event.functionName, event.type])).toEqual(
      ['container-spawned', 'invocation-start', 'init-done', 'response', 'frozen'].map((type) => ['send-data-unawaited', type]),
    );
    expect(JSON.parse(live.data)).toEqual({ seq: replayed.at(-1)?.seq });
    // Every message's id is its event's seq, in order.
    expect(reader.messages.filter((m) => m.event === 'message').map((m) => Number(m.id))).toEqual(replayed.map((event) => event.seq));

    // Live: the second call thaws the container.
    const second = await post(`${url}/api/send-data-unawaited`, { n: 2 });
    await log.waitFor(new RegExp(`^REPORT RequestId: ${second}\\t`));
    await reader.waitFor((m) => m.data.includes('"type":"frozen"') && m.data.includes(`"requestId":"${second}"`));
    clock.advance(60_000);
    await reader.waitFor((m) => m.data.includes('"reason":"reaped"') && m.data.includes('send-data-unawaited'));

    const events = reader.events();
    // The same story as the log. START lines: request id, container, cold or warm.
    const starts = log.matching(/^START /).map((line) => {
      const match = /^START RequestId: (\S+) .* Container: (\S+)( \(cold\))?$/.exec(line);
      return [match?.[1], match?.[2], match?.[3] !== undefined];
    });
    expect(events.filter((e) => e.type === 'invocation-start').map((e) => [e.requestId, e.containerId, e.coldStart])).toEqual(starts);
    // Access lines: status per request id.
    const statuses = log.matching(/^POST \/api\/send-data-unawaited /).map((line) => {
      const [, , status, , , requestId] = line.split(' ');
      return [requestId, Number(status)];
    });
    const responses = new Map(events.filter((e) => e.type === 'response').map((e) => [e.requestId, e.status]));
    expect(statuses.map(([requestId]) => [requestId, responses.get(String(requestId))])).toEqual(statuses);
    // REPORT lines: one freeze per report, same container, outcome ok (REPORT has no Status field).
    const reports = log.matching(/^REPORT /).map((line) => [/RequestId: (\S+)/.exec(line)?.[1], /Container: (\S+)/.exec(line)?.[1], /Status: (\S+)/.exec(line)?.[1] ?? 'ok']);
    expect(events.filter((e) => e.type === 'frozen').map((e) => [e.requestId, e.containerId, e.outcome])).toEqual(reports);
    // Pending-work warnings: the same container, the same requests left in flight, started by the same
    // requests (the warning names them in order of appearance, as the event lists them).
    const warnings = log.matching(/froze with/).map((line) => {
      const match = /^WARN container (\S+) froze with (.*) from requests? ([^;]+);/.exec(line);
      return { containerId: match?.[1], described: match?.[2] ?? '', origins: match?.[3] };
    });
    const pendingFreezes = events.flatMap((e) => (e.type === 'frozen' && e.pendingAtFreeze.length > 0 ? [e] : []));
    expect(pendingFreezes.map((e) => [e.containerId, [...new Set(e.pendingAtFreeze.map((w) => w.requestId))].join(', ')])).toEqual(
      warnings.map((w) => [w.containerId, w.origins]),
    );
    pendingFreezes.forEach((e, i) => {
      for (const work of e.pendingAtFreeze.filter((w) => w.kind === 'http-request')) expect(warnings[i]?.described).toContain(`${work.method} ${work.url}`);
    });
    expect(pendingFreezes.map((e) => e.requestId)).toEqual([first, second]);
    // And what the log cannot say: the first request's work finished inside the second invocation.
    expect(events.find((e) => e.type === 'carried-over-finished')).toMatchObject({ requestId: second, finished: [{ requestId: first }] });
    const reaped = events.find((e) => e.type === 'container-ended' && e.functionName === 'send-data-unawaited');
    expect(reaped).toMatchObject({ reason: 'reaped' });
    // The second delivery never ran: it was still frozen in the container when it was reaped.
    expect(reaped?.type === 'container-ended' && reaped.lostWork.filter((w) => w.kind === 'http-request')).toEqual([expect.objectContaining({ requestId: second })]);
  });

  it('resumes after Last-Event-ID with only what the client missed', async () => {
    const { url, log } = await startTestServer();
    await fetch(`${url}/api/hello-world`);
    await log.waitFor(/^REPORT RequestId: r1\t/);
    const { reader: all } = await openStream(url);
    await all.waitFor((m) => m.event === 'live');
    const seqs = all.events().map((event) => event.seq);
    expect(seqs.length).toBeGreaterThan(2);
    const { reader: resumed } = await openStream(url, { 'last-event-id': String(seqs[1]) });
    await resumed.waitFor((m) => m.event === 'live');
    expect(resumed.events().map((event) => event.seq)).toEqual(seqs.slice(2));
    // An id from before a restart (beyond the newest event) gets the whole history again.
    const { reader: restarted } = await openStream(url, { 'last-event-id': '999999' });
    await restarted.waitFor((m) => m.event === 'live');
    expect(restarted.events().map((event) => event.seq)).toEqual(seqs);
  });

  it('answers other methods with 405, and ends open streams when the server closes', async () => {
    const { url, running } = await startTestServer();
    const wrong = await fetch(`${url}/__sim/events`, { method: 'POST' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, HEAD');
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('METHOD_NOT_ALLOWED');
    const { reader } = await openStream(url);
    await reader.waitFor((m) => m.event === 'live');
    // close() drains: an open stream must not hold it forever.
    await running.close();
    await reader.ended;
  });
});
