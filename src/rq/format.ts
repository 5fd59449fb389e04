import { deflateSync, inflateSync } from 'node:zlib'
import { RedisExpertError } from '../errors.js'

/**
 * RQ 1.13's wire format with `rq.serializers.JSONSerializer`, as pure functions. Each fact names
 * the Python source it comes from (paths under rq/ in the installed package).
 */

/** A value the JSON serializer carries unchanged both ways. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue }

/** What `job.data` holds once decoded: rq/job.py `_deserialize_data` (func_name, instance, args, kwargs). */
export interface JobCall {
  readonly func: string
  readonly args: readonly JsonValue[]
  readonly kwargs: { readonly [key: string]: JsonValue }
}

/** rq/job.py JobStatus values. */
export type RqJobStatus =
  | 'queued'
  | 'finished'
  | 'failed'
  | 'started'
  | 'deferred'
  | 'scheduled'
  | 'stopped'
  | 'canceled'

export const JOB_STATUSES: readonly RqJobStatus[] = [
  'queued',
  'finished',
  'failed',
  'started',
  'deferred',
  'scheduled',
  'stopped',
  'canceled',
]

/** rq/queue.py `Queue.DEFAULT_TIMEOUT` (s). */
export const DEFAULT_TIMEOUT_S = 180
/** rq/defaults.py DEFAULT_RESULT_TTL (s): what a worker keeps a result for when the job says nothing. */
export const DEFAULT_RESULT_TTL_S = 500
/** rq/defaults.py DEFAULT_FAILURE_TTL (s): one year. */
export const DEFAULT_FAILURE_TTL_S = 31_536_000
/** rq/results.py `Result.save`: XADD ... maxlen=10 (redis-py's default is approximate: MAXLEN ~). */
export const RESULTS_MAXLEN = 10

/**
 * rq/utils.py `utcformat`: '%Y-%m-%dT%H:%M:%S.%fZ' — microseconds, always six digits, UTC. A
 * JavaScript clock has milliseconds, so the last three digits are zeros.
 */
export function utcformat(ms: number): string {
  const iso = new Date(ms).toISOString() // 2026-11-26T12:24:19.123Z
  return `${iso.slice(0, 23)}000Z`
}

/** rq/utils.py `utcparse` (and its fallback without fractions); null for anything else or ''. */
export function parseUtc(text: string | null | undefined): Date | null {
  if (!text) return null
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?Z$/.exec(text)
  if (!m) return null
  const ms = Date.parse(`${m[1]}.${(m[2] ?? '0').padEnd(6, '0').slice(0, 3)}Z`)
  return Number.isNaN(ms) ? null : new Date(ms)
}

/** rq/utils.py `current_timestamp`: registry scores are whole seconds. */
export function timestampS(ms: number): number {
  return Math.floor(ms / 1000)
}

function messageInvalid(message: string, details: Record<string, unknown> = {}, cause?: unknown) {
  return new RedisExpertError('MESSAGE_INVALID', message, {
    details,
    ...(cause === undefined ? {} : { cause }),
  })
}

/**
 * The job hash's `data`: rq/job.py `to_dict` writes `zlib.compress(self.data)`, and `data` is
 * `serializer.dumps((func_name, instance, args, kwargs))`; rq/serializers.py JSONSerializer is
 * `json.dumps(...).encode('utf-8')`, so a tuple becomes a JSON array. `instance` is always null:
 * JSON cannot carry a bound method's object.
 */
export function encodeJobData(call: JobCall): Buffer {
  return deflateSync(Buffer.from(JSON.stringify([call.func, null, call.args, call.kwargs]), 'utf8'))
}

/**
 * The inverse, as defensively as rq/job.py `restore` reads it: zlib first, the raw bytes when
 * that fails (jobs written by old RQ versions). Anything that is not a JSON
 * [string, null, array, object] — a pickled job, a bound method, garbage — is MESSAGE_INVALID.
 */
export function decodeJobData(raw: Buffer | string | null | undefined): JobCall {
  if (raw === null || raw === undefined || raw.length === 0) throw messageInvalid('the job has no data field')
  const bytes = typeof raw === 'string' ? Buffer.from(raw, 'latin1') : raw
  let inflated: Buffer | null = null
  try {
    inflated = inflateSync(bytes)
  } catch {
    // Not zlib: rq/job.py restore falls back to the raw bytes too.
  }
  const text = (inflated ?? bytes).toString('utf8')
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    // Pickle (RQ's default serializer) starts with the PROTO opcode 0x80.
    const pickled = (inflated ?? bytes)[0] === 0x80
    throw messageInvalid(
      pickled
        ? 'the job data is pickled: enqueue it with serializer=rq.serializers.JSONSerializer'
        : 'the job data is not JSON (rq.serializers.JSONSerializer)',
      { preview: text.slice(0, 80) },
      error,
    )
  }
  if (!Array.isArray(parsed) || parsed.length !== 4)
    throw messageInvalid('the job data must be a JSON array [func_name, instance, args, kwargs]', {
      preview: text.slice(0, 80),
    })
  const [func, instance, args, kwargs] = parsed as unknown[]
  if (typeof func !== 'string' || func === '')
    throw messageInvalid('the job func_name must be a non-empty string')
  if (instance !== null)
    throw messageInvalid('the job calls a method on an instance, which the JSON serializer cannot carry', {
      func,
    })
  if (!Array.isArray(args)) throw messageInvalid('the job args must be a JSON array', { func })
  if (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs))
    throw messageInvalid('the job kwargs must be a JSON object', { func })
  return { func, args: args as JsonValue[], kwargs: kwargs as { [key: string]: JsonValue } }
}

/**
 * One entry of the results stream (rq/results.py `Result.serialize`): `type` 1 successful,
 * 2 failed, 3 stopped; `return_value` = base64(serializer.dumps(value)), only when the value is
 * not None; `exc_string` = base64(zlib.compress(text)).
 */
export function successEntry(value: JsonValue | undefined): string[] {
  const fields = ['type', '1']
  if (value !== null && value !== undefined)
    fields.push('return_value', Buffer.from(JSON.stringify(value), 'utf8').toString('base64'))
  return fields
}

export function failureEntry(excString: string): string[] {
  return ['type', '2', 'exc_string', deflateSync(Buffer.from(excString, 'utf8')).toString('base64')]
}

export type ResultType = 'successful' | 'failed' | 'stopped'

export interface ResultEntry {
  readonly type: ResultType
  /** The decoded return value (null when the function returned None). */
  readonly returnValue: JsonValue
  readonly excString: string | null
  /** From the entry id: rq/results.py `restore` takes created_at from the id's milliseconds. */
  readonly createdAt: Date
}

export function decodeResultEntry(id: string, fields: Readonly<Record<string, string>>): ResultEntry {
  const types: Record<string, ResultType> = { '1': 'successful', '2': 'failed', '3': 'stopped' }
  const type = types[fields.type ?? '']
  if (!type) throw messageInvalid('a results stream entry has an unknown type', { id, type: fields.type })
  let returnValue: JsonValue = null
  if (fields.return_value !== undefined) {
    const text = Buffer.from(fields.return_value, 'base64').toString('utf8')
    try {
      returnValue = JSON.parse(text) as JsonValue
    } catch (error) {
      throw messageInvalid(
        'a result is not JSON (was the job run with the pickle serializer?)',
        { id },
        error,
      )
    }
  }
  let excString: string | null = null
  if (fields.exc_string) excString = decompressText(Buffer.from(fields.exc_string, 'base64'))
  return { type, returnValue, excString, createdAt: new Date(Number(id.split('-')[0])) }
}

/** rq/job.py `restore`: exc_info is zlib-compressed text, or (old jobs, registry cleanup) plain text. */
export function decompressText(raw: Buffer | string): string {
  const bytes = typeof raw === 'string' ? Buffer.from(raw, 'latin1') : raw
  try {
    return inflateSync(bytes).toString('utf8')
  } catch {
    return bytes.toString('utf8')
  }
}

export function compressText(text: string): Buffer {
  return deflateSync(Buffer.from(text, 'utf8'))
}

/**
 * rq/utils.py `get_call_string` as rq/job.py uses it for the default description:
 * `func(repr(arg), ..., k=repr(v) sorted)`, a repr longer than 75 characters (code points) cut
 * to its first 75 and '...' (rq/utils.py truncate_long_string).
 */
export function callString(call: JobCall): string {
  const cut = (s: string) => {
    const points = Array.from(s)
    return points.length > 75 ? `${points.slice(0, 75).join('')}...` : s
  }
  const parts = call.args.map((a) => cut(pyRepr(a)))
  const named = Object.entries(call.kwargs).map(([k, v]) => `${k}=${cut(pyRepr(v))}`)
  return `${call.func}(${[...parts, ...named.sort()].join(', ')})`
}

/** Python's repr() of a decoded JSON value, closely enough for a description. */
export function pyRepr(value: JsonValue): string {
  if (value === null) return 'None'
  if (value === true) return 'True'
  if (value === false) return 'False'
  if (typeof value === 'number') return String(value)
  if (typeof value === 'string') return pyStr(value)
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`
  const entries = Object.entries(value as { [key: string]: JsonValue })
  return `{${entries.map(([k, v]) => `${pyStr(k)}: ${pyRepr(v)}`).join(', ')}}`
}

function pyStr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'"
  let out = ''
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0
    if (ch === '\\') out += '\\\\'
    else if (ch === quote) out += `\\${quote}`
    else if (ch === '\n') out += '\\n'
    else if (ch === '\r') out += '\\r'
    else if (ch === '\t') out += '\\t'
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`
    else out += ch
  }
  return `${quote}${out}${quote}`
}

/**
 * Why a value cannot travel through the JSON serializer unchanged, or null when it can. JSON.stringify
 * would silently turn NaN into null, drop undefined and functions and call toJSON on a Date;
 * Python would then run with different arguments than the caller passed.
 */
export function jsonProblem(value: unknown, path = '$', seen: Set<object> = new Set()): string | null {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return null
  if (typeof value === 'number')
    return Number.isFinite(value) ? null : `${path} is ${value}, which JSON cannot carry`
  if (typeof value !== 'object') return `${path} is a ${typeof value}, which JSON cannot carry`
  if (seen.has(value)) return `${path} is a circular reference`
  seen.add(value)
  try {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const problem = jsonProblem(value[i], `${path}[${i}]`, seen)
        if (problem) return problem
      }
      return null
    }
    const proto = Object.getPrototypeOf(value)
    if (proto !== Object.prototype && proto !== null)
      return `${path} is a ${value.constructor?.name ?? 'non-plain object'}; pass plain objects, arrays and primitives`
    for (const [k, v] of Object.entries(value)) {
      const problem = jsonProblem(v, `${path}.${k}`, seen)
      if (problem) return problem
    }
    return null
  } finally {
    seen.delete(value)
  }
}
