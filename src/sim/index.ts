/**
 * The container simulator's only public door. Everything else in `src/sim` is internal.
 *
 * ```ts
 * const sim = new Simulator({ functionsDir: 'functions', clock: new ManualClock() });
 * const { response, done } = await sim.invoke('hello-world', new Request('http://localhost/.netlify/functions/hello-world'));
 * console.log(await response.json(), (await done).coldStart);
 * await sim.close();
 * ```
 */
export type * from './api.ts';
export { Simulator, type SimulatorExtraOptions } from './simulator.ts';
export { ManualClock, systemClock } from './clock.ts';
export { SimError } from './errors.ts';
export { headerList } from './header-list.ts';
export { reservedEnvNames } from './lambda-env.ts';
export { DEFAULT_EVENT_HISTORY_LIMIT, roundMs, type ContainerEndReason, type SimEvent, type SimEventBody, type SimEventListener, type SimEventSource, type SimEventType } from './events.ts';
