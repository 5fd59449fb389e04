import { invalidArgument } from '../errors.js'
import type { Severity } from './types.js'

/** A report's output format: text for a terminal, md for a pull request, json for tools, html for people. */
export type ReportFormat = 'text' | 'md' | 'json' | 'html'
/** Every format a report renders to. */
export const REPORT_FORMATS: readonly ReportFormat[] = ['text', 'md', 'json', 'html']

/** The lowest severity that makes `audit --fail-on` exit non-zero (for CI). */
export type FailOn = Exclude<Severity, 'info'>
/** The severities `--fail-on` accepts, highest first. */
export const FAIL_ON: readonly FailOn[] = ['high', 'medium', 'low']

/** A whole number ≥ min from a CLI string or a number; INVALID_ARGUMENT naming the option otherwise. */
function integer(option: string, value: unknown, min: number, what: string): number {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\s*\d+\s*$/.test(value)
        ? Number(value)
        : Number.NaN
  if (!Number.isSafeInteger(n) || n < min)
    throw invalidArgument(`${option} must be ${what}, got ${JSON.stringify(value)}`, { option, value })
  return n
}

/** --rate: commands per second per server, a whole number ≥ 10 (below that a scan never ends). */
export function parseRate(value: unknown): number {
  return integer('--rate', value, 10, 'a whole number of commands per second ≥ 10')
}

/** --sample: keys to inspect before stopping and extrapolating, ≥ 1. */
export function parseSample(value: unknown): number {
  return integer('--sample', value, 1, 'a whole number of keys ≥ 1')
}

/** --count: SCAN COUNT, 1..100000. */
export function parseCount(value: unknown): number {
  const n = integer('--count', value, 1, 'a whole number of keys per SCAN between 1 and 100000')
  if (n > 100_000)
    throw invalidArgument(`--count must be at most 100000, got ${n}`, { option: '--count', value })
  return n
}

/** --memory-samples: MEMORY USAGE SAMPLES (0 = every element: exact but O(N) per key). */
export function parseMemorySamples(value: unknown): number {
  return integer('--memory-samples', value, 0, 'a whole number ≥ 0')
}

/** Reads `--format` (CLI text or a value); INVALID_ARGUMENT naming the allowed formats otherwise. */
export function parseFormat(value: unknown): ReportFormat {
  if (typeof value === 'string' && (REPORT_FORMATS as readonly string[]).includes(value))
    return value as ReportFormat
  throw invalidArgument(`unknown report format ${JSON.stringify(value)}: use ${REPORT_FORMATS.join(', ')}`, {
    option: '--format',
    value,
  })
}

/** Reads `--fail-on` (CLI text or a value); INVALID_ARGUMENT naming the allowed severities otherwise. */
export function parseFailOn(value: unknown): FailOn {
  if (typeof value === 'string' && (FAIL_ON as readonly string[]).includes(value)) return value as FailOn
  throw invalidArgument(`--fail-on must be one of ${FAIL_ON.join(', ')}, got ${JSON.stringify(value)}`, {
    option: '--fail-on',
    value,
  })
}
