/**
 * Five-field cron expressions, as a scheduled function's `schedule` takes them, evaluated in UTC (Netlify
 * runs schedules in UTC; netlify-cli computes `next_run` with cron-parser in `Etc/UTC`).
 *
 * Fields: minute (0-59), hour (0-23), day of month (1-31), month (1-12 or JAN-DEC), day of week (0-7 or
 * SUN-SAT, 0 and 7 both Sunday). Each field takes `*`, values, ranges `a-b`, lists `a,b` and steps `* /n`
 * or `a-b/n`. Macros: @yearly @annually @monthly @weekly @daily @midnight @hourly. When both day of month
 * and day of week are restricted, a day matching EITHER fires, as in Vixie cron.
 */

/** A parsed schedule. */
export interface CronSchedule {
  readonly expression: string;
  /** The first time (ms since epoch, whole minute) strictly after `afterMs` that the schedule fires. */
  next(afterMs: number): number;
}

/** Thrown for an expression this parser cannot read. */
export class CronSyntaxError extends Error {
  readonly code = 'CRON_INVALID';
}

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** The first name stands for this number (JAN = 1, SUN = 0). */
  namesFrom?: number;
}

const FIELDS: FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, namesFrom: 1 },
  { name: 'day of week', min: 0, max: 7, names: DAYS, namesFrom: 0 },
];

function value(text: string, spec: FieldSpec, expression: string): number {
  const upper = text.toUpperCase();
  const named = spec.names?.indexOf(upper) ?? -1;
  if (named >= 0) return named + (spec.namesFrom ?? 0);
  if (!/^\d+$/.test(text)) throw new CronSyntaxError(`"${expression}": "${text}" is not a valid ${spec.name}`);
  const number = Number(text);
  if (number < spec.min || number > spec.max) {
    throw new CronSyntaxError(`"${expression}": ${spec.name} ${number} is outside ${spec.min}-${spec.max}`);
  }
  return number;
}

function field(text: string, spec: FieldSpec, expression: string): Set<number> {
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const [range = '', stepText, extra] = part.split('/');
    if (extra !== undefined || range === '') throw new CronSyntaxError(`"${expression}": "${part}" is not a valid ${spec.name}`);
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new CronSyntaxError(`"${expression}": step "${stepText}" must be a positive integer`);
    let from: number;
    let to: number;
    if (range === '*') {
      from = spec.min;
      to = spec.max;
    } else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      from = value(a, spec, expression);
      to = value(b, spec, expression);
      if (from > to) throw new CronSyntaxError(`"${expression}": range ${range} runs backwards`);
    } else {
      from = value(range, spec, expression);
      // `5/15` means from 5 to the end in steps of 15.
      to = stepText === undefined ? from : spec.max;
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}

/** Parses `expression`. Throws {@link CronSyntaxError} with what is wrong. */
export function parseCron(expression: string): CronSchedule {
  const trimmed = expression.trim();
  const expanded = MACROS[trimmed.toLowerCase()] ?? trimmed;
  const parts = expanded.split(/\s+/);
  if (parts.length !== 5) throw new CronSyntaxError(`"${expression}": expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`);
  const [minutes, hours, days, months, weekdays] = parts.map((part, index) => field(part, FIELDS[index] as FieldSpec, expression)) as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
  ];
  if (weekdays.has(7)) weekdays.add(0);
  const dayRestricted = parts[2] !== '*' && !(parts[2] ?? '').startsWith('*/');
  const weekdayRestricted = parts[4] !== '*' && !(parts[4] ?? '').startsWith('*/');
  const dayMatches = (date: Date): boolean => {
    const dom = days.has(date.getUTCDate());
    const dow = weekdays.has(date.getUTCDay());
    if (dayRestricted && weekdayRestricted) return dom || dow;
    return dom && dow;
  };
  return {
    expression,
    next(afterMs: number): number {
      const date = new Date(Math.floor(afterMs / 60_000) * 60_000 + 60_000);
      // Five years covers every satisfiable expression (Feb 29 on a given weekday included); an
      // unsatisfiable one such as "0 0 31 2 *" ends here instead of looping forever.
      const limitMs = afterMs + 5 * 366 * 86_400_000;
      while (date.getTime() <= limitMs) {
        if (!months.has(date.getUTCMonth() + 1)) {
          date.setUTCMonth(date.getUTCMonth() + 1, 1);
          date.setUTCHours(0, 0, 0, 0);
        } else if (!dayMatches(date)) {
          date.setUTCDate(date.getUTCDate() + 1);
          date.setUTCHours(0, 0, 0, 0);
        } else if (!hours.has(date.getUTCHours())) {
          date.setUTCHours(date.getUTCHours() + 1, 0, 0, 0);
        } else if (!minutes.has(date.getUTCMinutes())) {
          date.setUTCMinutes(date.getUTCMinutes() + 1, 0, 0);
        } else {
          return date.getTime();
        }
      }
      throw new CronSyntaxError(`"${expression}" never fires`);
    },
  };
}
