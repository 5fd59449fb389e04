import { invalidArgument } from '../../errors.js'

/**
 * Calendar periods in UTC, named so that they sort and read well in keys: day `2024-05-01`,
 * ISO week `2024-W18`, month `2024-05`. The application's clock picks the period; servers a few
 * milliseconds apart disagree only at the very boundary, which counting and ranking tolerate.
 */
export type Period = 'day' | 'week' | 'month'

export const PERIODS: readonly Period[] = ['day', 'week', 'month']

const DAY_MS = 86_400_000

export function toDate(what: string, at: Date | number | string | undefined, now: () => number): Date {
  const date = at === undefined ? new Date(now()) : new Date(at)
  if (Number.isNaN(date.getTime())) throw invalidArgument(`${what} must be a date`, { [what]: at })
  return date
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0')

/** The UTC day of a date as `YYYY-MM-DD`, the period id of daily keys. */
export function dayId(date: Date): string {
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`
}

/** The UTC month of a date as `YYYY-MM`, the period id of monthly keys. */
export function monthId(date: Date): string {
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}`
}

/** ISO 8601 week: weeks start on Monday; week 1 holds the year's first Thursday. */
export function weekId(date: Date): string {
  const day = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()))
  const weekday = day.getUTCDay() || 7
  day.setUTCDate(day.getUTCDate() + 4 - weekday)
  const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1)
  const week = Math.ceil(((day.getTime() - yearStart) / DAY_MS + 1) / 7)
  return `${day.getUTCFullYear()}-W${pad(week)}`
}

export function periodId(period: Period, date: Date): string {
  return period === 'day' ? dayId(date) : period === 'week' ? weekId(date) : monthId(date)
}

/** Start (inclusive) and end (exclusive) of the period holding `date`, in ms since the epoch. */
export function periodBounds(period: Period, date: Date): { start: number; end: number } {
  const y = date.getUTCFullYear()
  const m = date.getUTCMonth()
  const d = date.getUTCDate()
  if (period === 'day') {
    const start = Date.UTC(y, m, d)
    return { start, end: start + DAY_MS }
  }
  if (period === 'month') return { start: Date.UTC(y, m, 1), end: Date.UTC(y, m + 1, 1) }
  const weekday = date.getUTCDay() || 7
  const start = Date.UTC(y, m, d - weekday + 1)
  return { start, end: start + 7 * DAY_MS }
}

/** The days of the period holding `date`, as Dates at midnight UTC. */
export function daysOf(period: Period, date: Date): Date[] {
  const { start, end } = periodBounds(period, date)
  const days: Date[] = []
  for (let t = start; t < end; t += DAY_MS) days.push(new Date(t))
  return days
}
