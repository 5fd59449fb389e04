import { MAX_TTL_MS } from '../common/ttl.js'
import { invalidArgument } from '../errors.js'
import type { GuardArg, GuardCommand } from './types.js'

/**
 * Argument helpers for the hot path: they read options without allocating when the caller already
 * writes them in upper case (the common style), and never scan a long argument (a value).
 */

/** No Redis option or command name is longer than this; longer arguments are values. */
const LONGEST_TOKEN = 24

/** The argument upper-cased when it could be an option token; '' for values, numbers and long text. */
export function token(arg: GuardArg | undefined): string {
  if (typeof arg === 'string') {
    if (arg.length > LONGEST_TOKEN) return ''
    for (let i = 0; i < arg.length; i++) {
      const c = arg.charCodeAt(i)
      if (c >= 0x61 && c <= 0x7a) return arg.toUpperCase()
    }
    return arg
  }
  if (arg instanceof Uint8Array && arg.length <= LONGEST_TOKEN) return textOf(arg).toUpperCase()
  return ''
}

const INTEGER = /^-?\d{1,19}$/

/** An integer argument, or undefined when it is not one (the server will reject it; the guard lets it). */
export function int(arg: GuardArg | undefined): number | undefined {
  if (typeof arg === 'number') return Number.isInteger(arg) ? arg : undefined
  const text =
    typeof arg === 'string' ? arg : arg instanceof Uint8Array && arg.length <= 20 ? textOf(arg) : ''
  return INTEGER.test(text) ? Number(text) : undefined
}

/** A key or name as text (UTF-8 for bytes), for declarations, slots and messages. */
export function text(arg: GuardArg | undefined): string {
  if (typeof arg === 'string') return arg
  if (typeof arg === 'number') return String(arg)
  return arg === undefined ? '' : textOf(arg)
}

function textOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')
}

// -- counts and options ---------------------------------------------------------------------

/**
 * Items in the index window [start, stop] of a key of unknown size N: exact when both ends have
 * the same sign; when start ≥ 0 > stop it depends on N (Infinity); when start < 0 ≤ stop it is at
 * most min(stop + 1, -start). 0 for arguments that are not integers (the server rejects them).
 */
export function windowItems(start: number | undefined, stop: number | undefined): number {
  if (start === undefined || stop === undefined) return 0
  if (start >= 0 === stop >= 0) return Math.max(0, stop - start + 1)
  if (start >= 0) return Number.POSITIVE_INFINITY
  return Math.min(stop + 1, -start)
}

/** A LIMIT/COUNT count: a negative count means "all" in LIMIT. */
export function countItems(count: number | undefined, negativeIsAll: boolean): number {
  if (count === undefined) return 0
  if (count < 0) return negativeIsAll ? Number.POSITIVE_INFINITY : -count
  return count
}

/** The integer after the first `word` at or after `from`, or undefined. */
export function optionValue(argv: GuardCommand, from: number, word: string): number | undefined {
  for (let i = from; i < argv.length - 1; i++) if (token(argv[i]) === word) return int(argv[i + 1])
  return undefined
}

/** Whether `word` is an argument at or after `from`. */
export function has(argv: GuardCommand, from: number, word: string): boolean {
  for (let i = from; i < argv.length; i++) if (token(argv[i]) === word) return true
  return false
}

/** COUNT of a *SCAN, skipping the MATCH pattern and TYPE name (a pattern may well be the word COUNT). */
export function scanCount(argv: GuardCommand, from: number): number | undefined {
  let count: number | undefined
  for (let i = from; i < argv.length - 1; i++) {
    const t = token(argv[i])
    if (t === 'COUNT') count = int(argv[++i])
    else if (t === 'MATCH' || t === 'TYPE') i++
  }
  return count
}

// -- TTL arguments ---------------------------------------------------------------------------

/**
 * Why a TTL argument is not valid, or undefined when it is. `unit` is 1000 for seconds, 1 for
 * milliseconds. `positive`: a relative TTL that must be ≥ 1 (SET PX, SETEX, GETEX, RESTORE);
 * `relative`: EXPIRE/PEXPIRE, where ≤ 0 deletes the key; `absolute`: a unix time, which may be in
 * the past (it deletes) but not more than MAX_TTL_MS ahead of this process's clock — the one
 * place the guard reads a clock; a skew of minutes does not matter against 10 years.
 */
export function badTtl(
  arg: GuardCommand[number] | undefined,
  unit: number,
  kind: 'positive' | 'relative' | 'absolute',
): string | undefined {
  const n = int(arg)
  const unitName = unit === 1000 ? 'seconds' : 'milliseconds'
  if (n === undefined || !Number.isSafeInteger(n))
    return `${describeArg(arg)} is not a valid TTL: a whole number of ${unitName} is expected`
  if (kind === 'absolute') {
    if (n <= 0) return `${n} is not a valid TTL: a unix time in ${unitName} is expected`
    if (n * unit - Date.now() > MAX_TTL_MS)
      return `${n} is not a valid TTL: more than ${MAX_TTL_YEARS} years from now (the most the toolkit accepts; declare the key persistent instead)`
    return undefined
  }
  if (kind === 'positive' && n < 1)
    return `${n} is not a valid TTL: at least 1 ${unitName.slice(0, -1)} is expected`
  if (n * unit > MAX_TTL_MS)
    return `${n} ${unitName} is not a valid TTL: more than ${MAX_TTL_YEARS} years (the most the toolkit accepts; declare the key persistent instead)`
  return undefined
}

const MAX_TTL_YEARS = Math.round(MAX_TTL_MS / (365 * 86_400_000))

function describeArg(arg: GuardCommand[number] | undefined): string {
  if (arg === undefined) return 'a missing argument'
  if (typeof arg === 'number') return String(arg)
  const shown =
    typeof arg === 'string' ? arg : Buffer.from(arg.buffer, arg.byteOffset, arg.byteLength).toString('utf8')
  return JSON.stringify(shown.length > 24 ? `${shown.slice(0, 24)}…` : shown)
}

// -- command lines -----------------------------------------------------------------------------

/**
 * Rejects anything that is not a command line: not an array, empty, a name that is not a non-empty
 * string, or an argument that is not a string, Buffer/Uint8Array or finite number.
 */
export function assertCommand(command: unknown, index?: number): asserts command is GuardCommand {
  const where = index === undefined ? '' : ` (batch command ${index})`
  if (!Array.isArray(command)) {
    throw invalidArgument(`a command must be an array like ['GET', key]${where}`, { index })
  }
  if (command.length === 0) throw invalidArgument(`a command must not be empty${where}`, { index })
  const name: unknown = command[0]
  if (typeof name !== 'string' || name.length === 0) {
    throw invalidArgument(`a command must start with its name as a non-empty string${where}`, { index })
  }
  for (let i = 1; i < command.length; i++) {
    const arg: unknown = command[i]
    if (typeof arg === 'string' || arg instanceof Uint8Array) continue
    if (typeof arg === 'number' && Number.isFinite(arg)) continue
    throw invalidArgument(
      `argument ${i} of ${name.toUpperCase()}${where} is ${describe(arg)}; arguments must be strings, Buffers or finite numbers`,
      { index, argument: i },
    )
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'number') return String(value)
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`
}
