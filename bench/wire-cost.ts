/**
 * What it costs to hand one invocation to a container and take its freeze back, by message shape:
 * `node bench/wire-cost.ts`. Posts each message on a MessageChannel and receives it on the same thread
 * (`receiveMessageOnPort`), so the figure is structured cloning alone (serialize and deserialize), no
 * thread wake-up. Compares the shapes the simulator used before (a v1 event object; a freeze object
 * with the final message nested in it) with the flat arrays it sends now (src/sim/invoke-wire.ts,
 * src/sim/freeze-wire.ts). Not part of `npm run bench`: a supporting figure for docs/benchmarks.md.
 */
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { encodeFrozen } from '../src/sim/freeze-wire.ts';
import { toV1Event } from '../src/sim/http-mapping.ts';
import { encodeInvocation } from '../src/sim/invoke-wire.ts';

const request = {
  method: 'GET',
  url: 'http://127.0.0.1:8888/.netlify/functions/hello-world',
  headers: [
    ['accept', '*/*'],
    ['connection', 'keep-alive'],
    ['host', '127.0.0.1:8888'],
    ['user-agent', 'autocannon'],
  ] as Array<[string, string]>,
  body: null,
};
const nowMs = Date.now();
const geoHeader = Buffer.from(JSON.stringify({ city: 'San Francisco', country: { code: 'US', name: 'United States' } })).toString('base64');
const eventMessage = {
  type: 'invoke',
  requestId: 'r12345',
  nowMs,
  deadlineMs: nowMs + 30_000,
  clientIp: '127.0.0.1',
  event: toV1Event(request, '127.0.0.1', { requestId: 'r12345', geoHeader, siteId: 'local-site', accountId: 'local' }),
};
const wire = encodeInvocation(request, { requestId: 'r12345', nowMs, deadlineMs: nowMs + 30_000, clientIp: '127.0.0.1', geoHeader, siteId: 'local-site' });
const frozen = {
  type: 'frozen' as const,
  requestId: 'r12345',
  durationMs: 0.12,
  maxMemoryUsedMb: 5,
  pendingAtFreeze: [],
  final: { type: 'v1-response' as const, requestId: 'r12345', result: { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"message":"Hello, abc is 1"}' } },
};

const { port1, port2 } = new MessageChannel();
function nsPerRoundTrip(message: unknown, count = 200_000): number {
  for (let i = 0; i < 20_000; i++) {
    port1.postMessage(message);
    receiveMessageOnPort(port2);
  }
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    port1.postMessage(message);
    receiveMessageOnPort(port2);
  }
  return Number(process.hrtime.bigint() - started) / count;
}

const rows: Array<[string, number]> = [
  ['invocation: v1 event object (before)', nsPerRoundTrip(eventMessage)],
  ['invocation: flat array, headers joined (now)', nsPerRoundTrip(wire)],
  ['freeze: object with the final message nested (before)', nsPerRoundTrip(frozen)],
  ['freeze: flat array (now)', nsPerRoundTrip(encodeFrozen(frozen))],
];
port1.close();
for (const [label, ns] of rows) process.stdout.write(`${label.padEnd(56)} ${(ns / 1000).toFixed(2)} µs to post and receive\n`);
