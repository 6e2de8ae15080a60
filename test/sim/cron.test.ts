import { describe, expect, it } from 'vitest';
import { CronSyntaxError, parseCron } from '../../src/sim/cron.ts';

const at = (iso: string): number => Date.parse(iso);
const next = (expression: string, afterIso: string): string => new Date(parseCron(expression).next(at(afterIso))).toISOString();

describe('cron schedules', () => {
  it('fires at the next matching minute, strictly after the given time, in UTC', () => {
    expect(next('* * * * *', '2026-01-01T00:00:00Z')).toBe('2026-01-01T00:01:00.000Z');
    expect(next('* * * * *', '2026-01-01T00:00:30Z')).toBe('2026-01-01T00:01:00.000Z');
    expect(next('0 3 * * *', '2026-01-01T03:00:00Z')).toBe('2026-01-02T03:00:00.000Z');
    expect(next('30 14 * * *', '2026-01-01T14:29:59Z')).toBe('2026-01-01T14:30:00.000Z');
  });

  it('reads lists, ranges, steps and names', () => {
    expect(next('*/15 * * * *', '2026-01-01T00:16:00Z')).toBe('2026-01-01T00:30:00.000Z');
    expect(next('5/20 * * * *', '2026-01-01T00:26:00Z')).toBe('2026-01-01T00:45:00.000Z');
    expect(next('0 9-17/4 * * *', '2026-01-01T10:00:00Z')).toBe('2026-01-01T13:00:00.000Z');
    expect(next('0 0 1,15 * *', '2026-01-02T00:00:00Z')).toBe('2026-01-15T00:00:00.000Z');
    expect(next('0 0 1 mar *', '2026-01-01T00:00:00Z')).toBe('2026-03-01T00:00:00.000Z');
    // 2026-01-01 is a Thursday.
    expect(next('0 12 * * MON-FRI', '2026-01-02T12:00:00Z')).toBe('2026-01-05T12:00:00.000Z');
    expect(next('0 0 * * 7', '2026-01-01T00:00:00Z')).toBe('2026-01-04T00:00:00.000Z');
  });

  it('takes the macros Netlify documents', () => {
    expect(next('@hourly', '2026-01-01T00:00:00Z')).toBe('2026-01-01T01:00:00.000Z');
    expect(next('@daily', '2026-01-01T00:00:00Z')).toBe('2026-01-02T00:00:00.000Z');
    expect(next('@weekly', '2026-01-01T00:00:00Z')).toBe('2026-01-04T00:00:00.000Z');
    expect(next('@monthly', '2026-01-01T00:00:00Z')).toBe('2026-02-01T00:00:00.000Z');
    expect(next('@yearly', '2026-01-01T00:00:00Z')).toBe('2027-01-01T00:00:00.000Z');
  });

  it('fires on either day when day of month and day of week are both restricted, as cron does', () => {
    // The 13th, or any Friday: Friday 2026-01-02 comes first.
    expect(next('0 0 13 * FRI', '2026-01-01T00:00:00Z')).toBe('2026-01-02T00:00:00.000Z');
    expect(next('0 0 29 2 *', '2026-01-01T00:00:00Z')).toBe('2028-02-29T00:00:00.000Z');
  });

  it('refuses what it cannot read, saying why', () => {
    expect(() => parseCron('* * * *')).toThrow(CronSyntaxError);
    expect(() => parseCron('* * * *')).toThrow('expected 5 fields');
    expect(() => parseCron('60 * * * *')).toThrow('minute 60 is outside 0-59');
    expect(() => parseCron('* * * JANUARY *')).toThrow('"JANUARY" is not a valid month');
    expect(() => parseCron('*/0 * * * *')).toThrow('step "0" must be a positive integer');
    expect(() => parseCron('5-1 * * * *')).toThrow('runs backwards');
    expect(() => parseCron('0 0 31 2 *').next(at('2026-01-01T00:00:00Z'))).toThrow('never fires');
  });
});

describe("the schedule() helper's cron, read from a v1 source", async () => {
  const { scheduleFromSource } = await import('../../src/sim/schedule-helper.ts');

  it('finds a literal cron or a const bound to one, with import or require', () => {
    expect(scheduleFromSource(`import { schedule } from '@netlify/functions';\nexport const handler = schedule('@hourly', async () => ({ statusCode: 200 }));`)).toEqual({ kind: 'cron', schedule: '@hourly' });
    expect(scheduleFromSource(`const { schedule } = require("@netlify/functions");\nconst CRON = "*/5 * * * *";\nmodule.exports.handler = schedule(CRON, async () => ({ statusCode: 200 }));`)).toEqual({ kind: 'cron', schedule: '*/5 * * * *' });
  });

  it('tells a helper without a literal cron from a function that does not use it', () => {
    expect(scheduleFromSource(`import { schedule } from '@netlify/functions';\nimport { cron } from './cron.js';\nexport const handler = schedule(cron(), async () => ({}));`)).toEqual({ kind: 'not-literal' });
    expect(scheduleFromSource(`export const handler = async () => schedule('x');`)).toEqual({ kind: 'none' });
  });
});
