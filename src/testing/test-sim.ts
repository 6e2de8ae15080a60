/**
 * A simulator for one test: functions from a site (or a functions directory), a manual clock, and
 * cleanup registered with the running test, so no test can leave containers (worker threads) behind.
 */
import { onTestFinished } from 'vitest';
import type { ContainerSnapshot, FunctionInfo, InvokeOptions, PendingWork, SimulatorOptions } from '../sim/api.ts';
import { ManualClock, Simulator, type SimulatorExtraOptions } from '../sim/index.ts';
import type { RedirectRule } from '../server/netlify-toml.ts';
import { invokeAndSettle, type Call } from './call.ts';
import { isPath, toRequest, type CallInput } from './call-input.ts';
import { TestingError } from './errors.ts';
import { PathRouter } from './routing.ts';
import { readSiteLayout } from './site-layout.ts';

/** Options for {@link startSim}: the simulator's own, plus where the functions are. */
export interface StartSimOptions extends Partial<Omit<SimulatorOptions, 'clock'>>, SimulatorExtraOptions {
  /**
   * The site's root: functions come from netlify.toml's `[functions] directory` (default
   * `netlify/functions`), and its `[[redirects]]` rewrites route calls by path. Default: the current directory.
   */
  site?: string;
  /** A functions directory to use instead of the site's. */
  functionsDir?: string;
  /** The clock. Default: a fresh {@link ManualClock}; time moves only through {@link TestSim.advance}. */
  clock?: ManualClock;
}

/** A call's target: a function name (`'hello'`), a URL path (`'/api/hello?x=1'`), or a whole `Request`. */
export type CallTarget = string | Request;

/** The simulator a test drives. Create it with {@link startSim}. */
export class TestSim {
  /** The underlying simulator, for what the harness does not wrap (`invoke`, `refresh`, ...). */
  readonly sim: Simulator;
  readonly clock: ManualClock;
  readonly functionsDir: string;
  readonly #redirects: RedirectRule[];

  /** @internal Use {@link startSim}. */
  constructor(sim: Simulator, clock: ManualClock, functionsDir: string, redirects: RedirectRule[]) {
    this.sim = sim;
    this.clock = clock;
    this.functionsDir = functionsDir;
    this.#redirects = redirects;
  }

  /**
   * Calls a function and waits until its container froze again. `target` is its name, a URL path
   * (routed like the platform: `/.netlify/functions/<name>`, `config.path`, netlify.toml rewrites) or
   * a `Request`; `input` is a `Request` or the shorthand `{ method, body, query, headers }`.
   */
  async call(target: CallTarget, input?: CallInput | Request, options?: InvokeOptions): Promise<Call> {
    const { name, request } = await this.#resolve(target, input);
    return invokeAndSettle(this.sim, name, request, options);
  }

  /**
   * `count` calls at the same moment, as a burst of clients would send them: each takes a container
   * that is idle right then, and the rest start cold ones. Resolves once every container froze.
   */
  async burst(count: number, target: CallTarget, input?: CallInput): Promise<Call[]> {
    if (!Number.isInteger(count) || count < 1) throw new TestingError('INVALID_OPTIONS', `burst needs a positive whole count, got ${count}`);
    if (target instanceof Request) throw new TestingError('INVALID_OPTIONS', 'a burst needs a name or path, not one Request (a Request body can be read only once)');
    // Resolve once first, so every call of the burst reaches the pool in the same turn.
    const { name } = await this.#resolve(target, input);
    return Promise.all(Array.from({ length: count }, () => invokeAndSettle(this.sim, name, toRequest(target, input))));
  }

  /** Moves the clock on: idle containers past the idle timeout are reaped, invocations past their limit time out. */
  advance(ms: number): void {
    this.clock.advance(ms);
  }

  /** Live containers, of one function or of all. Each carries `lastPendingAtFreeze`. */
  containers(functionName?: string): ContainerSnapshot[] {
    const all = this.sim.containers();
    return functionName === undefined ? all : all.filter((container) => container.functionName === functionName);
  }

  /** The work a live container left in flight at its last freeze. */
  pendingAtFreeze(containerId: string): PendingWork[] {
    const container = this.sim.containers().find((snapshot) => snapshot.id === containerId);
    if (!container) throw new TestingError('INVALID_OPTIONS', `no live container ${containerId} (it may have been reaped)`);
    return container.lastPendingAtFreeze;
  }

  /** Every function found, bundled (a bundle error surfaces here). */
  functions(): Promise<FunctionInfo[]> {
    return this.sim.functions();
  }

  /** Waits for calls in flight to freeze, then stops every container. Also done for you when the test ends. */
  close(): Promise<void> {
    return this.sim.close();
  }

  async #resolve(target: CallTarget, input: CallInput | Request | undefined): Promise<{ name: string; request: Request }> {
    if (target instanceof Request) return { name: await this.#route(new URL(target.url).pathname), request: target };
    const request = input instanceof Request ? input : toRequest(target, input);
    const name = isPath(target) ? await this.#route(new URL(request.url).pathname) : target;
    return { name, request };
  }

  async #route(pathname: string): Promise<string> {
    // Built per call from the simulator's current functions: cheap once bundled, and never stale after a refresh.
    return new PathRouter(await this.sim.functions(), this.#redirects).functionFor(pathname);
  }
}

/**
 * Starts a simulator for the running test and stops every container when the test finishes,
 * whatever happens. Call it inside a test (or a `beforeEach`).
 *
 * ```ts
 * const sim = startSim({ site: '.' });
 * const first = await sim.call('hello');
 * expect(first).toBeColdStart();
 * ```
 */
export function startSim(options: StartSimOptions = {}): TestSim {
  const { site, functionsDir, clock: givenClock, ...simOptions } = options;
  const layout = site !== undefined || functionsDir === undefined ? readSiteLayout(site ?? process.cwd()) : undefined;
  const dir = functionsDir ?? layout?.functionsDir;
  if (dir === undefined) throw new TestingError('INVALID_OPTIONS', 'no functions directory');
  const clock = givenClock ?? new ManualClock();
  const sim = new Simulator({ ...simOptions, functionsDir: dir, clock });
  try {
    onTestFinished(() => sim.destroy());
  } catch (error) {
    void sim.destroy();
    throw new TestingError(
      'NOT_IN_TEST',
      'startSim() registers its cleanup with the running test: call it inside a test or a beforeEach, not at the top of a file or in beforeAll',
      { cause: error },
    );
  }
  return new TestSim(sim, clock, dir, layout?.redirects ?? []);
}

/**
 * {@link TestSim.call} for a test that holds a bare `Simulator` (or a `TestSim`): `target` is a
 * function name, or a URL path routed by `/.netlify/functions/<name>` and `config.path`.
 */
export async function call(on: TestSim | Simulator, target: string, input?: CallInput | Request, options?: InvokeOptions): Promise<Call> {
  if (on instanceof TestSim) return on.call(target, input, options);
  const request = input instanceof Request ? input : toRequest(target, input);
  const name = isPath(target) ? new PathRouter(await on.functions(), []).functionFor(new URL(request.url).pathname) : target;
  return invokeAndSettle(on, name, request, options);
}
