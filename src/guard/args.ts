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
