import { RedisExpertError } from '../errors.js'
import type { JsonValue } from './json.js'
import { isoNaiveUtc } from './message.js'

/**
 * Result metas as Celery's Redis backend stores them: pure functions, no I/O.
 *
 * celery/backends/base.py: Backend._get_result_meta (status, result, traceback, children,
 * date_done as naive utcnow().isoformat()) and _store_result (task_id); prepare_exception
 * (`{exc_type, exc_message: exc.args, exc_module}` for JSON) and exception_to_python, which
 * rebuilds the exception from `sys.modules[exc_module]` (or, for an unknown module or a null one,
 * a new Exception subclass of that name) called with `*exc_message`.
 */

/** Celery's task states (celery/states.py). */
export type TaskState =
  | 'PENDING'
  | 'RECEIVED'
  | 'STARTED'
  | 'SUCCESS'
  | 'FAILURE'
  | 'REVOKED'
  | 'REJECTED'
  | 'RETRY'
  | 'IGNORED'

/** States after which a result no longer changes (celery.states.READY_STATES). */
export const READY_STATES: readonly string[] = ['SUCCESS', 'FAILURE', 'REVOKED']

/** A task's result as Celery's Redis result backend stores it (status, result, traceback, …). */
export interface ResultMeta {
  readonly status: string
  readonly result: JsonValue
  readonly traceback: string | null
  readonly children: JsonValue[]
  readonly date_done: string | null
  readonly task_id: string
}

/** An exception as Celery's JSON backend serializes it. */
export interface CeleryException {
  readonly exc_type: string
  readonly exc_message: JsonValue
  readonly exc_module: string | null
}

/**
 * An error a handler may throw to choose the Python exception class a Python caller gets, e.g.
 * `new TaskError('bad input', { excType: 'ValueError' })` or
 * `{ excType: 'MyError', excModule: 'myapp.errors' }` (the module must be imported by the
 * Python caller; otherwise Celery makes an Exception subclass of that name).
 */
export class TaskError extends Error {
  readonly excType: string
  readonly excModule: string | null
  constructor(
    message: string,
    options: { excType?: string; excModule?: string | null; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'TaskError'
    this.excType = options.excType ?? 'Exception'
    this.excModule = options.excModule === undefined ? 'builtins' : options.excModule
  }
}

/**
 * A JS error as a Python exception: TypeError → builtins.TypeError, RangeError and SyntaxError →
 * builtins.ValueError (what Python raises for a value out of range or text that does not parse),
 * a plain Error → builtins.Exception, and an error of another name (a custom class) → that name
 * with no module, which Celery rebuilds as an Exception subclass of the same name. The message is
 * the exception's only argument, so Python's str(exc) is the JS message.
 */
export function exceptionOf(error: unknown): CeleryException {
  if (error instanceof TaskError)
    return { exc_type: error.excType, exc_message: [error.message], exc_module: error.excModule }
  if (!(error instanceof Error))
    return { exc_type: 'Exception', exc_message: [String(error)], exc_module: 'builtins' }
  const mapped = BUILTINS[error.name]
  if (mapped) return { exc_type: mapped, exc_message: [error.message], exc_module: 'builtins' }
  const name = /^[A-Za-z_][A-Za-z0-9_]*$/.test(error.name) ? error.name : 'Exception'
  return {
    exc_type: name,
    exc_message: [error.message],
    exc_module: name === 'Exception' ? 'builtins' : null,
  }
}

const BUILTINS: Readonly<Record<string, string>> = {
  Error: 'Exception',
  TypeError: 'TypeError',
  RangeError: 'ValueError',
  SyntaxError: 'ValueError',
}

export function successMeta(taskId: string, value: JsonValue, now = Date.now()): string {
  return encodeMeta(taskId, 'SUCCESS', value, null, now)
}

export function failureMeta(taskId: string, error: unknown, now = Date.now()): string {
  const exc = exceptionOf(error)
  const traceback = error instanceof Error && error.stack ? error.stack : `${exc.exc_type}: ${String(error)}`
  return encodeMeta(taskId, 'FAILURE', exc as unknown as JsonValue, traceback, now)
}

/** What a Celery worker stores for a task that expired before it ran (Request.revoked → mark_as_revoked). */
export function revokedMeta(taskId: string, reason: string, now = Date.now()): string {
  return encodeMeta(taskId, 'REVOKED', celeryException('TaskRevokedError', reason), null, now)
}

/** What a Celery worker stores for a task name it does not know (celery.exceptions.NotRegistered). */
export function notRegisteredMeta(taskId: string, name: string, now = Date.now()): string {
  return encodeMeta(taskId, 'FAILURE', celeryException('NotRegistered', name), null, now)
}

/** One of celery.exceptions, as the result backend serializes it. */
function celeryException(type: string, message: string): JsonValue {
  const exc: CeleryException = { exc_type: type, exc_message: [message], exc_module: 'celery.exceptions' }
  return exc as unknown as JsonValue
}

function encodeMeta(
  taskId: string,
  status: TaskState,
  result: JsonValue,
  traceback: string | null,
  now: number,
): string {
  const meta: ResultMeta = {
    status,
    result,
    traceback,
    children: [],
    date_done: isoNaiveUtc(now),
    task_id: taskId,
  }
  return JSON.stringify(meta)
}

/** A stored meta; MESSAGE_INVALID naming the key when it is not one. */
export function decodeMeta(raw: string, key: string): ResultMeta {
  let meta: unknown
  try {
    meta = JSON.parse(raw)
  } catch {
    throw badMeta('not JSON (a pickle result backend?)', key, raw)
  }
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta))
    throw badMeta('not a JSON object', key, raw)
  const m = meta as Record<string, unknown>
  if (typeof m.status !== 'string') throw badMeta('it has no status', key, raw)
  return {
    status: m.status,
    result: (m.result ?? null) as JsonValue,
    traceback: typeof m.traceback === 'string' ? m.traceback : null,
    children: Array.isArray(m.children) ? (m.children as JsonValue[]) : [],
    date_done: typeof m.date_done === 'string' ? m.date_done : null,
    task_id: typeof m.task_id === 'string' ? m.task_id : '',
  }
}

/** TASK_FAILED for a FAILURE or REVOKED meta, with what Python's exception carried. */
export function failureError(taskId: string, meta: ResultMeta): RedisExpertError {
  const exc = isException(meta.result) ? meta.result : null
  const excType = exc ? exc.exc_type : 'Exception'
  const excModule = exc ? exc.exc_module : null
  const excMessage = exc ? messageOf(exc.exc_message) : messageOf(meta.result)
  return new RedisExpertError(
    'TASK_FAILED',
    `task ${taskId} ${meta.status === 'REVOKED' ? 'was revoked' : 'failed'}: ${excType}: ${excMessage}`,
    { details: { taskId, status: meta.status, excType, excMessage, excModule, traceback: meta.traceback } },
  )
}

function isException(value: unknown): value is CeleryException {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { exc_type?: unknown }).exc_type === 'string'
  )
}

/** exc_message is the exception's args: one string shows as itself, as Python's str(exc) does. */
function messageOf(args: JsonValue): string {
  if (Array.isArray(args)) {
    if (args.length === 1 && typeof args[0] === 'string') return args[0]
    if (args.length === 0) return ''
  }
  return typeof args === 'string' ? args : JSON.stringify(args)
}

function badMeta(reason: string, key: string, raw: string): RedisExpertError {
  return new RedisExpertError('MESSAGE_INVALID', `result ${key} is unreadable: ${reason}`, {
    details: { key, reason, value: raw.slice(0, 500) },
  })
}
