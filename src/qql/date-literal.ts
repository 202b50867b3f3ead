/**
 * Date values in QQL. A date literal stands for a span of time as long as its precision, as a
 * half-open interval of epoch milliseconds [start, end):
 *
 *   2024-05            the whole month (UTC)
 *   2024-05-01         the whole day (UTC)
 *   2024-05-01T10:00   that minute; with :ss that second; with .fff that millisecond
 *                      (a trailing Z or ±hh:mm offset is honoured; none means UTC)
 *   1714557600000      that millisecond (epoch milliseconds, as the PM API sends dates)
 *   now, now-30d       that millisecond, relative to the `now` the query is compiled with;
 *                      units s m h d w (fixed lengths) and M y (calendar months and years, UTC)
 *
 * Comparing with a span: `=` / `:` means inside it; `>` after it; `>=` from its start; `<` before
 * it; `<=` up to its end. So `publishedDate<=2024-05-01` includes all of May 1st and
 * `publishedDate:[2024-05-01..2024-05-31]` all of May. Years are limited to 0000–9999.
 */

import type { QqlNode } from './ast.js';

export interface QqlDateSpan {
  /** First millisecond inside the span. */
  start: number;
  /** First millisecond after the span. */
  end: number;
}


const MONTH = /^(\d{4})-(\d{2})$/;
const DAY_OR_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?$/;
const EPOCH_MS = /^-?\d{1,16}$/;
const RELATIVE = /^now(?:([+-])(\d{1,6})([smhdwMy]))?$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Date.UTC with full years (Date.UTC treats 0–99 as 1900–1999). */
function utc(year: number, month: number, day = 1, hour = 0, minute = 0, second = 0, ms = 0): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month, day);
  date.setUTCHours(hour, minute, second, ms);
  return date.getTime();
}

/** Earliest and latest milliseconds a date can have (0000-01-01 to 9999-12-31, UTC). */
export const QQL_MIN_DATE_MS = utc(0, 0);
export const QQL_MAX_DATE_MS = utc(9999, 11, 31, 23, 59, 59, 999);

function inRange(span: QqlDateSpan): QqlDateSpan | undefined {
  return span.start >= QQL_MIN_DATE_MS && span.start <= QQL_MAX_DATE_MS ? span : undefined;
}

function parseCalendar(text: string): QqlDateSpan | undefined {
  const month = MONTH.exec(text);
  if (month) {
    const year = Number(month[1]);
    const m = Number(month[2]);
    if (m < 1 || m > 12) return undefined;
    return { start: utc(year, m - 1), end: utc(year, m) };
  }
  const parts = DAY_OR_TIME.exec(text);
  if (!parts) return undefined;
  const [, y, mo, d, h, mi, s, fraction, zone] = parts;
  const year = Number(y);
  const monthIndex = Number(mo) - 1;
  const day = Number(d);
  const dayStart = utc(year, monthIndex, day);
  const check = new Date(dayStart);
  if (monthIndex < 0 || monthIndex > 11 || check.getUTCMonth() !== monthIndex || check.getUTCDate() !== day) return undefined;
  if (h === undefined) return { start: dayStart, end: dayStart + 86_400_000 };
  const hour = Number(h);
  const minute = Number(mi);
  const second = s === undefined ? 0 : Number(s);
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let length = s === undefined ? 60_000 : 1000;
  let ms = 0;
  if (fraction !== undefined) {
    ms = Math.floor(Number(`0.${fraction}`) * 1000);
    length = fraction.length >= 3 ? 1 : 10 ** (3 - fraction.length);
  }
  let offsetMinutes = 0;
  if (zone !== undefined && zone !== 'Z') {
    const offsetHours = Number(zone.slice(1, 3));
    const offsetMins = Number(zone.slice(4, 6));
    if (offsetHours > 23 || offsetMins > 59) return undefined;
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const start = dayStart + ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000 + ms;
  return { start, end: start + length };
}

function parseRelative(text: string, now: number): QqlDateSpan | undefined {
  const parts = RELATIVE.exec(text);
  if (!parts) return undefined;
  const [, sign, amountText, unit] = parts;
  if (sign === undefined) return { start: now, end: now + 1 };
  const amount = (sign === '-' ? -1 : 1) * Number(amountText);
  let start: number;
  if (unit === 'M' || unit === 'y') {
    const date = new Date(now);
    if (unit === 'M') date.setUTCMonth(date.getUTCMonth() + amount);
    else date.setUTCFullYear(date.getUTCFullYear() + amount);
    start = date.getTime();
  } else {
    const unitMs = UNIT_MS[unit];
    if (unitMs === undefined) return undefined;
    start = now + amount * unitMs;
  }
  return Number.isFinite(start) ? { start, end: start + 1 } : undefined;
}

/**
 * Parses a date literal into its span, or returns undefined when the text is not one (or lies
 * outside the years 0000–9999). The unit letters of `now±N…` are case-sensitive (m minute, M month).
 */
export function parseQqlDate(text: string, now: number): QqlDateSpan | undefined {
  if (EPOCH_MS.test(text)) {
    const ms = Number(text);
    return inRange({ start: ms, end: ms + 1 });
  }
  const span = isRelativeQqlDate(text) ? parseRelative(`now${text.slice(3)}`, now) : parseCalendar(text);
  return span && inRange(span);
}

/** Whether a date value is read relative to the time the query is compiled with (`now`, `now-30d`). */
export function isRelativeQqlDate(text: string): boolean {
  return text.slice(0, 3).toLowerCase() === 'now';
}

/**
 * Whether what a query compiles to may depend on the time it is compiled with: some value of it
 * would be a relative date if its token were a date token. (An over-approximation: the token is
 * not looked at, so `title:nowhere` counts too.)
 */
export function qqlDependsOnNow(node: QqlNode): boolean {
  switch (node.kind) {
    case 'and':
    case 'or':
      return node.operands.some(qqlDependsOnNow);
    case 'not':
      return qqlDependsOnNow(node.operand);
    case 'term': {
      const { condition } = node;
      const values = condition.kind === 'list' ? condition.values : condition.kind === 'range' ? [condition.low, condition.high] : [condition.value];
      return values.some((value) => isRelativeQqlDate(value.text));
    }
  }
}

/** Describes the accepted forms, for "expected" in error messages. */
export const QQL_DATE_FORMS = 'a date (YYYY-MM-DD, YYYY-MM, YYYY-MM-DDThh:mm[:ss[.fff]][Z|±hh:mm], epoch milliseconds, or now[±N(s|m|h|d|w|M|y)])';
