import { type Duration, durationMs } from '../common/validate.js'
import { invalidArgument } from '../errors.js'
import { type JsonValue, jsonProblem } from './format.js'
import { RQ_NAME } from './keyspace.js'

/** RQ counts its timeouts and TTLs in whole seconds; a Duration is rounded up to one. */
export function seconds(what: string, value: unknown): number {
  return Math.ceil(durationMs(what, value) / 1000)
}

/** A queue name or job id: used verbatim inside RQ's keys, so only characters a key keeps as they are. */
export function rqName(what: string, value: unknown): string {
  if (typeof value !== 'string' || !RQ_NAME.test(value))
    throw invalidArgument(
      `${what} must be 1–512 characters from A-Z a-z 0-9 . _ ~ - (it becomes part of RQ's keys)`,
      {
        [what]: typeof value === 'string' ? value.slice(0, 100) : value,
      },
    )
  return value
}

/** rq/utils.py import_attribute takes 'module.attr' (or a builtin name): a dotted Python path. */
export function funcName(value: unknown): string {
  if (typeof value !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(value))
    throw invalidArgument("the function must be a dotted Python name such as 'tasks.send_email'", {
      func: typeof value === 'string' ? value.slice(0, 100) : value,
    })
  return value
}

export function jsonArgs(value: unknown): readonly JsonValue[] {
  if (value === undefined) return []
  if (!Array.isArray(value)) throw invalidArgument('args must be an array of JSON values')
  const problem = jsonProblem(value, 'args')
  if (problem) throw invalidArgument(`args: ${problem}`)
  return value as JsonValue[]
}

export function jsonObject(what: string, value: unknown): { readonly [key: string]: JsonValue } | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalidArgument(`${what} must be a plain object of JSON values`)
  const problem = jsonProblem(value, what)
  if (problem) throw invalidArgument(`${what}: ${problem}`)
  return value as { [key: string]: JsonValue }
}

/** A job's run-time limit: a duration, or 'none' (RQ's -1: no limit). */
export type RqTimeout = Duration | 'none'
/** How long to keep a result or failure: a duration, or 'forever' (RQ's -1). */
export type RqTtl = Duration | 'forever'

export function timeoutS(value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (value === 'none') return -1
  return seconds('timeout', value)
}

/** result_ttl: 0 keeps nothing (the job is deleted once it finishes), 'forever' is -1. */
export function resultTtlS(what: string, value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (value === 'forever') return -1
  if (value === 0) return 0
  return seconds(what, value)
}

export function failureTtlS(value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (value === 'forever') return -1
  return seconds('failureTtl', value)
}

export function bool(what: string, value: unknown): boolean {
  if (value === undefined) return false
  if (typeof value !== 'boolean') throw invalidArgument(`${what} must be true or false`, { [what]: value })
  return value
}

export function text(what: string, value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw invalidArgument(`${what} must be a string`, { [what]: value })
  return value
}

/** RQ's Retry: further attempts and the wait before each. */
export interface RetryOption {
  /** Further attempts after the first failure (rq/job.py Retry.max). */
  readonly max: number
  /** Seconds before each retry: one value, or one per retry (rq/job.py Retry.intervals). */
  readonly intervals?: number | readonly number[]
}

export function retryOption(value: unknown): { left: number; intervals: number[] } | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'object' || value === null) throw invalidArgument('retry must be { max, intervals? }')
  const { max, intervals } = value as RetryOption
  if (typeof max !== 'number' || !Number.isSafeInteger(max) || max < 1)
    throw invalidArgument('retry.max must be an integer ≥ 1', { max })
  const list = intervals === undefined ? [0] : typeof intervals === 'number' ? [intervals] : intervals
  if (!Array.isArray(list) || list.length === 0 || !list.every((s) => Number.isSafeInteger(s) && s >= 0))
    throw invalidArgument('retry.intervals must be whole seconds ≥ 0, or a non-empty list of them', {
      intervals,
    })
  return { left: max, intervals: [...list] }
}
