/**
 * The cron expression of a v1 function wrapped in `@netlify/functions`' `schedule()` helper.
 *
 * The helper itself does nothing at run time (`schedule = (cron, handler) => handler`); Netlify finds the
 * schedule statically when it deploys (zip-it-and-ship-it `in_source_config/index.ts`: an exported call of
 * the `schedule` imported from `@netlify/functions`, whose first argument is a string literal or a constant
 * bound to one, `properties/schedule.ts`). A cron that is not a literal in the file fails that deploy:
 * "Unable to find cron expression for scheduled function".
 *
 * This reads the same facts from the source text, without a parser: an import or require of
 * `@netlify/functions` that names `schedule`, and a `schedule(` call whose first argument is a string
 * literal or a `const` initialised with one.
 */

const IMPORTS_SCHEDULE =
  /(?:import\s*\{[^}]*\bschedule\b[^}]*\}\s*from\s*|(?:const|let|var)\s*\{[^}]*\bschedule\b[^}]*\}\s*=\s*require\s*\(\s*)['"]@netlify\/functions['"]/;
const LITERAL = /^\s*(['"`])([^'"`\n]+)\1/;

/** What a v1 source says about `schedule()`: the cron, a call whose cron is not a literal, or nothing. */
export type ScheduleHelperUse = { kind: 'none' } | { kind: 'cron'; schedule: string } | { kind: 'not-literal' };

/** Finds `schedule("<cron>", handler)` in a v1 function's source text. */
export function scheduleFromSource(source: string): ScheduleHelperUse {
  if (!IMPORTS_SCHEDULE.test(source)) return { kind: 'none' };
  const call = /\bschedule\s*\(/g;
  let match: RegExpExecArray | null;
  while ((match = call.exec(source)) !== null) {
    const rest = source.slice(match.index + match[0].length);
    const literal = LITERAL.exec(rest);
    if (literal?.[2] !== undefined) return { kind: 'cron', schedule: literal[2] };
    const identifier = /^\s*([A-Za-z_$][\w$]*)\s*,/.exec(rest)?.[1];
    if (identifier !== undefined) {
      const bound = new RegExp(`\\bconst\\s+${identifier}\\s*=\\s*(['"\`])([^'"\`\\n]+)\\1`).exec(source);
      if (bound?.[2] !== undefined) return { kind: 'cron', schedule: bound[2] };
    }
  }
  return { kind: 'not-literal' };
}
