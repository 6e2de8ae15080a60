/**
 * A simulator for one test: functions from a site (or a functions directory), a manual clock, and
 * cleanup registered with the running test, so no test can leave containers (worker threads) behind.
 */
import { onTestFinished } from 'vitest';
import type { ContainerSnapshot, FunctionInfo, InvokeOptions, PendingWork, SimulatorOptions } from '../sim/api.ts';
import { ManualClock, Simulator, type SimulatorExtraOptions } from '../sim/index.ts';
import { invokeAndSettle, type Call } from './call.ts';
import { isPath, toRequest, type CallInput } from './call-input.ts';
import { TestingError } from './errors.ts';
import { PathRouter } from './routing.ts';
import { readSiteLayout, type SiteLayout, type SiteRedirect } from './site-layout.ts';

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

/** @internal What a TestSim runs on once its site is read. */
export interface SimSetup {
  simulator: Simulator;
  functionsDir: string;
  redirects: SiteRedirect[];
}

/** The simulator a test drives. Create it with {@link startSim}. */
export class TestSim {
  readonly clock: ManualClock;
  readonly #starting: Promise<SimSetup>;
  #setup: SimSetup | undefined;

  /** @internal Use {@link startSim}. */
  constructor(clock: ManualClock, setup: SimSetup | Promise<SimSetup>) {
    this.clock = clock;
    if (setup instanceof Promise) {
      this.#starting = setup.then((ready) => (this.#setup = ready));
      // Surfaced by the first call (or ready()); not an unhandled rejection in the meantime.
      this.#starting.catch(() => undefined);
    } else {
      this.#setup = setup;
      this.#starting = Promise.resolve(setup);
    }
  }

  /** Resolves with the underlying simulator once the site has been read (a bad netlify.toml rejects here). */
  async ready(): Promise<Simulator> {
    return (await this.#starting).simulator;
  }

  /** The underlying simulator, for what the harness does not wrap (`invoke`, `refresh`, ...). On a site, after {@link ready}. */
  get sim(): Simulator {
    return this.#ready().simulator;
  }

  /** The functions directory in use. On a site, after {@link ready}. */
  get functionsDir(): string {
    return this.#ready().functionsDir;
  }

  /**
   * Calls a function and waits until its container froze again. `target` is its name, a URL path
   * (routed like the platform: `/.netlify/functions/<name>`, `config.path`, netlify.toml rewrites) or
   * a `Request`; `input` is a `Request` or the shorthand `{ method, body, query, headers }`.
   */
  async call(target: CallTarget, input?: CallInput | Request, options?: InvokeOptions): Promise<Call> {
    const setup = await this.#starting;
    const resolved = await resolveCall(setup, target, input, options);
    return invokeAndSettle(setup.simulator, resolved.name, resolved.request, resolved.options);
  }

  /**
   * `count` calls at the same moment, as a burst of clients would send them: each takes a container
   * that is idle right then, and the rest start cold ones. Resolves once every container froze.
   */
  async burst(count: number, target: CallTarget, input?: CallInput): Promise<Call[]> {
    if (!Number.isInteger(count) || count < 1) throw new TestingError('INVALID_OPTIONS', `burst needs a positive whole count, got ${count}`);
    if (target instanceof Request) throw new TestingError('INVALID_OPTIONS', 'a burst needs a name or path, not one Request (a Request body can be read only once)');
    const setup = await this.#starting;
    // Resolve (and bundle) once first, so every call of the burst reaches the pool in the same turn.
    const { name, options } = await resolveCall(setup, target, input);
    return Promise.all(Array.from({ length: count }, () => invokeAndSettle(setup.simulator, name, toRequest(target, input), options)));
  }

  /**
   * Moves the clock on: idle containers past the idle timeout are reaped, invocations past their limit
   * time out, and timers that came due inside busy containers fire. Resolves once they have (the
   * clock's `settled()`); the reaping itself has happened when this returns.
   */
  async advance(ms: number): Promise<void> {
    this.clock.advance(ms);
    await this.clock.settled();
  }

  /** Live containers, of one function or of all. Each carries `lastPendingAtFreeze`. */
  containers(functionName?: string): ContainerSnapshot[] {
    // Before a site's simulator started, no container can exist.
    const all = this.#setup?.simulator.containers() ?? [];
    return functionName === undefined ? all : all.filter((container) => container.functionName === functionName);
  }

  /** The work a live container left in flight at its last freeze. */
  pendingAtFreeze(containerId: string): PendingWork[] {
    const container = this.containers().find((snapshot) => snapshot.id === containerId);
    if (!container) throw new TestingError('INVALID_OPTIONS', `no live container ${containerId} (it may have been reaped)`);
    return container.lastPendingAtFreeze;
  }

  /** Every function found, bundled (a bundle error surfaces here). */
  async functions(): Promise<FunctionInfo[]> {
    return (await this.#starting).simulator.functions();
  }

  /** Waits for calls in flight to freeze, then stops every container. Also done for you when the test ends. */
  async close(): Promise<void> {
    await (await this.#starting).simulator.close();
  }

  /** @internal Stops everything at once; what the end of the test does. */
  async destroy(): Promise<void> {
    const setup = await this.#starting.catch(() => undefined);
    await setup?.simulator.destroy();
  }

  #ready(): SimSetup {
    if (!this.#setup) throw new TestingError('NOT_READY', 'the simulator starts once the site is read: await sim.ready() (or make a call) first');
    return this.#setup;
  }
}

/** A call resolved: the function, the request, and the invoke options (with `context.params` from routing). */
interface ResolvedCall {
  name: string;
  request: Request;
  options: InvokeOptions;
}

async function resolveCall(setup: SimSetup, target: CallTarget, input: CallInput | Request | undefined, options: InvokeOptions = {}): Promise<ResolvedCall> {
  if (target instanceof Request) {
    if (input !== undefined) throw new TestingError('INVALID_OPTIONS', 'a call to a Request takes no second argument: the Request already says everything');
    return { ...(await route(setup, target, options)), request: target };
  }
  const request = input instanceof Request ? input : toRequest(target, input);
  if (!isPath(target)) return { name: target, request, options };
  return { ...(await route(setup, request, options)), request };
}

async function route(setup: SimSetup, request: Request, options: InvokeOptions): Promise<{ name: string; options: InvokeOptions }> {
  // Built per call from the simulator's current functions: cheap once bundled, and never stale after a refresh.
  const router = new PathRouter(await setup.simulator.functions(), setup.redirects);
  const { name, params } = router.route(new URL(request.url).pathname, request.method);
  return { name, options: params ? { ...options, context: { ...options.context, params: { ...params, ...options.context?.params } } } : options };
}

/**
 * Starts a simulator for the running test and stops every container when the test finishes,
 * whatever happens. Call it inside a test (or a `beforeEach`). With `site` (the default) the site is
 * read in the background: the first call waits for it.
 *
 * ```ts
 * const sim = startSim();
 * const first = await sim.call('hello');
 * expect(first).toBeColdStart();
 * ```
 */
export function startSim(options: StartSimOptions = {}): TestSim {
  const { site, functionsDir, clock: givenClock, ...simOptions } = options;
  const clock = givenClock ?? new ManualClock();
  const create = (dir: string, layout?: SiteLayout): SimSetup => ({
    // The test's own options win over the site's, its `env` on top of the site's variables.
    simulator: new Simulator({ ...layout?.simulator, ...simOptions, env: { ...layout?.simulator.env, ...simOptions.env }, functionsDir: dir, clock }),
    functionsDir: dir,
    redirects: layout?.redirects ?? [],
  });
  const setup =
    functionsDir !== undefined && site === undefined
      ? create(functionsDir)
      : readSiteLayout(site ?? process.cwd()).then((layout) => create(functionsDir ?? layout.functionsDir, layout));
  const sim = new TestSim(clock, setup);
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
  return sim;
}

/**
 * {@link TestSim.call} for a test that holds a bare `Simulator` (or a `TestSim`): `target` is a
 * function name, or a URL path routed by `/.netlify/functions/<name>` and `config.path`.
 */
export async function call(on: TestSim | Simulator, target: string, input?: CallInput | Request, options?: InvokeOptions): Promise<Call> {
  if (on instanceof TestSim) return on.call(target, input, options);
  const resolved = await resolveCall({ simulator: on, functionsDir: '', redirects: [] }, target, input, options);
  return invokeAndSettle(on, resolved.name, resolved.request, resolved.options);
}
