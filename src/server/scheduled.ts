/**
 * Scheduled functions (`config.schedule`, the `schedule()` wrapper, or netlify.toml `schedule`).
 *
 * On Netlify only the platform's scheduler ("Netlify Clockwork") invokes them: a POST whose JSON body is
 * `{"next_run": "<ISO time of the following run>"}`. Called over HTTP, netlify dev (netlify-cli
 * `src/lib/functions/server.ts` and `scheduled.ts`) runs the function the same way (POST, that body,
 * `user-agent: Netlify Clockwork`, `x-nf-event: schedule`) and answers not with the function's response
 * but with a note: "You performed an HTTP request to <path>, which is a scheduled function. You can do
 * this to test your functions locally, but it won't work in production.", plus the error if it failed
 * (status 500) and a word on anything the function returned besides `statusCode`. A request that already
 * carries `user-agent: Netlify Clockwork` is what `netlify functions:invoke <name>` sends: the note is left
 * out. This server does the same, so `netlify functions:invoke --port <port> <name>` works against it.
 */
import type { BufferedRequest, InvocationReport } from '../sim/api.ts';
import { parseCron, type CronSchedule } from '../sim/cron.ts';
import type { Clock, SimLogger } from '../sim/api.ts';

/** The platform scheduler's user agent (netlify-cli `CLOCKWORK_USERAGENT`). */
export const CLOCKWORK_USER_AGENT = 'Netlify Clockwork';

/** The request a scheduled run receives: `request`'s URL and headers, as a Clockwork POST with `next_run`. */
export function scheduledRequest(request: BufferedRequest, nextRunMs: number): BufferedRequest {
  const headers = request.headers.filter(([name]) => name !== 'user-agent' && name !== 'content-length' && name !== 'content-type' && name !== 'x-nf-event');
  headers.push(['content-type', 'application/json'], ['user-agent', CLOCKWORK_USER_AGENT], ['x-nf-event', 'schedule']);
  headers.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { method: 'POST', url: request.url, headers, body: new TextEncoder().encode(JSON.stringify({ next_run: new Date(nextRunMs).toISOString() })) };
}

/** What the server answers after a scheduled run it was asked for over HTTP. */
export interface ScheduledAnswer {
  status: number;
  contentType: string;
  body: string;
}

/**
 * netlify dev's answer (`buildHelpResponse`): plain text, 200, or 500 when the run failed. `status` is the
 * status the function answered with.
 */
export function scheduledAnswer(input: { path: string; userAgent: string | undefined; report: InvocationReport; status: number }): ScheduledAnswer {
  const paragraphs: string[] = [];
  if (input.userAgent !== CLOCKWORK_USER_AGENT) {
    paragraphs.push(
      `You performed an HTTP request to \`${input.path}\`, which is a scheduled function.\nYou can do this to test your functions locally, but it won't work in production.`,
    );
  }
  const failed = input.report.outcome !== 'ok';
  if (failed) {
    paragraphs.push(`There was an error during execution of your scheduled function:\n\n\`\`\`\n${input.report.errorMessage ?? input.report.outcome}\n\`\`\``);
  } else if (input.status >= 500) {
    paragraphs.push(
      `Your function returned a status code of \`${input.status}\`.\nAt the moment, Netlify does nothing about that. In the future, there might be a retry mechanism based on this.`,
    );
  }
  return { status: failed ? 500 : 200, contentType: 'text/plain; charset=utf-8', body: paragraphs.map((text) => `${text}\n\n`).join('') };
}

/** The next time `schedule` fires after `afterMs`, or undefined when it cannot be read. */
export function nextRun(schedule: string, afterMs: number): number | undefined {
  try {
    return parseCron(schedule).next(afterMs);
  } catch {
    return undefined;
  }
}

/**
 * `--run-schedules`: fires every scheduled function on the simulator's clock, as Netlify's scheduler
 * would, which netlify dev never does. Each run is a Clockwork POST with `next_run` (see above).
 */
export class ScheduleRunner {
  readonly #clock: Clock;
  readonly #run: (name: string, nextRunMs: number) => Promise<void>;
  readonly #logger: SimLogger | undefined;
  #timers = new Map<string, { expression: string; cancel: () => void }>();
  #closed = false;

  constructor(options: { clock: Clock; run: (name: string, nextRunMs: number) => Promise<void>; logger?: SimLogger | undefined }) {
    this.#clock = options.clock;
    this.#run = options.run;
    this.#logger = options.logger;
  }

  /** Arms a timer per scheduled function; keeps running ones whose schedule is unchanged, cancels the rest. */
  update(functions: ReadonlyArray<{ name: string; config?: { schedule?: string } | undefined }>): void {
    if (this.#closed) return;
    const wanted = new Map<string, string>();
    for (const info of functions) if (info.config?.schedule !== undefined) wanted.set(info.name, info.config.schedule);
    for (const [name, timer] of this.#timers) {
      if (wanted.get(name) === timer.expression) continue;
      timer.cancel();
      this.#timers.delete(name);
    }
    for (const [name, expression] of wanted) {
      if (this.#timers.has(name)) continue;
      let schedule: CronSchedule;
      try {
        schedule = parseCron(expression);
      } catch (error) {
        this.#logger?.warn(`[${name}] schedule not run: ${error instanceof Error ? error.message : String(error)}`);
        continue;
      }
      this.#arm(name, schedule);
    }
  }

  /** The functions with an armed schedule, and when each fires next (ms since epoch). */
  get armed(): string[] {
    return [...this.#timers.keys()].sort();
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#timers.values()) timer.cancel();
    this.#timers.clear();
  }

  #arm(name: string, schedule: CronSchedule): void {
    const nowMs = this.#clock.now();
    const dueMs = schedule.next(nowMs);
    const cancel = this.#clock.setTimer(dueMs - nowMs, () => {
      if (this.#closed) return;
      this.#timers.delete(name);
      // The following run is armed first, so a long run never delays the schedule.
      this.#arm(name, schedule);
      this.#logger?.info(`[${name}] scheduled run (${schedule.expression})`);
      this.#run(name, schedule.next(dueMs)).catch((error: unknown) =>
        this.#logger?.warn(`[${name}] scheduled run failed: ${error instanceof Error ? error.message : String(error)}`),
      );
    });
    this.#timers.set(name, { expression: schedule.expression, cancel });
  }
}
