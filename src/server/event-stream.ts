/**
 * `GET /__sim/events`: the simulator's events (src/sim/events.ts) as Server-Sent Events, for the
 * timeline page, tools and tests. A connection first gets a `hello` event (the history bound and how
 * many events were dropped), then the history since the server started, oldest first, then a `live`
 * event, then every new event as it happens. Each simulator event is one SSE message whose `id` is the
 * event's `seq` and whose `data` is the event as JSON; a client that reconnects with `Last-Event-ID`
 * (EventSource does this itself) gets only what it missed. Documented in docs/timeline.md.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimEvent, SimEventSource } from '../sim/index.ts';

/** The first message of every stream. */
export interface EventStreamHello {
  /** New at every server start (and simulator replacement): sequence numbers start again at 1 when it changes. */
  serverId: string;
  /** How many events the server keeps as history. */
  historyLimit: number;
  /** How many events were dropped from the front of the history since the server started. */
  dropped: number;
  /** The simulator clock's time as the stream opened. */
  nowMs: number;
}

/**
 * A comment line every 15 s keeps an idle stream from being closed by a proxy or a client's idle
 * timeout; it is real time, not the simulator's clock, because it is about the TCP connection.
 */
const KEEPALIVE_MS = 15_000;

/** Serves the event stream and ends every open stream when the server closes. */
export class EventStream {
  #source: SimEventSource;
  #now: () => number;
  #open = new Set<ServerResponse>();
  #serverId = randomUUID();

  constructor(source: SimEventSource, now: () => number) {
    this.#source = source;
    this.#now = now;
  }

  /** How many streams are open. */
  get openStreams(): number {
    return this.#open.size;
  }

  /** Answers one `GET /__sim/events`; the response stays open until the client or the server closes it. */
  serve(req: IncomingMessage, res: ServerResponse): void {
    const after = Number(req.headers['last-event-id'] ?? 0);
    const history = this.#source.history();
    const newest = history.at(-1)?.seq ?? 0;
    // An id beyond the newest event comes from before a restart (sequence numbers started again): all of it is new.
    const lastSeen = Number.isInteger(after) && after > 0 && after <= newest ? after : 0;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      // Nginx-style proxies buffer responses unless told not to; a stream must not be buffered.
      'x-accel-buffering': 'no',
    });
    this.#open.add(res);
    // Subscribe before reading the history, so nothing emitted in between is missed; events already
    // sent as history are skipped by seq.
    let sentSeq = lastSeen;
    const queue: SimEvent[] = [];
    let replaying = true;
    const unsubscribe = this.#source.subscribe((event) => {
      if (replaying) queue.push(event);
      else sentSeq = write(res, event, sentSeq);
    });
    const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
    keepalive.unref();
    const cleanup = (): void => {
      unsubscribe();
      clearInterval(keepalive);
      this.#open.delete(res);
    };
    res.on('close', cleanup);
    const hello: EventStreamHello = { serverId: this.#serverId, historyLimit: this.#source.historyLimit, dropped: this.#source.dropped, nowMs: this.#now() };
    let text = `retry: 1000\nevent: hello\ndata: ${JSON.stringify(hello)}\n\n`;
    for (const event of history) {
      if (event.seq <= sentSeq) continue;
      text += message(event);
      sentSeq = event.seq;
    }
    for (const event of queue) {
      if (event.seq <= sentSeq) continue;
      text += message(event);
      sentSeq = event.seq;
    }
    replaying = false;
    text += `event: live\ndata: ${JSON.stringify({ seq: sentSeq })}\n\n`;
    res.write(text);
  }

  /**
   * Streams another simulator's events (the server replaced its simulator after a config change). Its
   * sequence numbers start again, so it gets a new `serverId` and open streams end: clients reconnect
   * (EventSource does so by itself) and start over from the new history.
   */
  replaceSource(source: SimEventSource): void {
    this.#source = source;
    this.#serverId = randomUUID();
    this.closeAll();
  }

  /** Ends every open stream (the server is closing: a stream would otherwise keep it open forever). */
  closeAll(): void {
    for (const res of this.#open) res.end();
    this.#open.clear();
  }
}

function message(event: SimEvent): string {
  return `id: ${event.seq}\ndata: ${JSON.stringify(event)}\n\n`;
}

function write(res: ServerResponse, event: SimEvent, sentSeq: number): number {
  if (event.seq <= sentSeq || res.destroyed) return sentSeq;
  res.write(message(event));
  return event.seq;
}
