/**
 * The design's floor's container, as worker source (`new Worker(FLOOR_CONTAINER, { eval: true,
 * workerData: flag.buffer })`): a module-scope counter (the article's `abc`), and a freeze in
 * `Atomics.wait` after every answer. The flag is cleared before the answer is posted, so a thaw that
 * races ahead of the wait is never lost. Shared by the floor server (bench/floor-server.ts) and its
 * round trip without HTTP (bench/round-trip-probe.ts), so both measure the same container.
 */
export const FLOOR_CONTAINER = `
const { parentPort, workerData } = require('node:worker_threads');
const flag = new Int32Array(workerData);
let abc = 0;
parentPort.on('message', (id) => {
  abc += 1;
  Atomics.store(flag, 0, 0);
  parentPort.postMessage([id, JSON.stringify({ message: 'Hello, abc is ' + abc })]);
  Atomics.wait(flag, 0, 0);
});`;
