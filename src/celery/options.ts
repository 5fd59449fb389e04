import { hostname } from 'node:os'
import type { Client } from '../client/client.js'
import { assertClient, type Duration, durationMs, optionNames, strictOptions } from '../common/validate.js'
import { invalidArgument } from '../errors.js'

/**
 * How the app maps onto the Python side's Celery settings: default queue, result expiry, visibility
 * timeout.
 */
export interface CeleryOptions {
  /** The queue `sendTask` uses and a worker consumes when none is named; Celery's default 'celery'. */
  readonly defaultQueue?: string
  /**
   * How long results live: Celery's result_expires, default 1 day. `null` keeps them forever
   * (Celery's `result_expires=None`).
   */
  readonly resultExpires?: Duration | null
  /**
   * kombu's visibility_timeout (broker_transport_options), default 1 hour: a message taken and
   * not acked for this long is put back on its queue. Use the same value as the Python side.
   */
  readonly visibilityTimeout?: Duration
  /** The `origin` header of sent tasks; default `<pid>@<hostname>` as Celery's. */
  readonly origin?: string
}

const CELERY_OPTIONS = optionNames<CeleryOptions>({
  defaultQueue: true,
  resultExpires: true,
  visibilityTimeout: true,
  origin: true,
})

/** CeleryOptions with every default applied and every duration in the unit kombu uses. */
export interface ResolvedCeleryOptions {
  readonly defaultQueue: string
  /** Seconds; 0 for no TTL. */
  readonly resultExpiresSeconds: number
  readonly visibilityTimeoutMs: number
  readonly origin: string
}

export function resolveCeleryOptions(db: Client, options: unknown): ResolvedCeleryOptions {
  assertClient(db, 'new Celery(db): db')
  const o = strictOptions('Celery options', options, CELERY_OPTIONS)
  const expires = o.resultExpires === null ? 0 : durationMs('resultExpires', o.resultExpires, 86_400_000)
  return {
    defaultQueue: queueName('defaultQueue', o.defaultQueue ?? 'celery'),
    resultExpiresSeconds: expires === 0 ? 0 : Math.max(1, Math.ceil(expires / 1000)),
    visibilityTimeoutMs: durationMs('visibilityTimeout', o.visibilityTimeout, 3_600_000),
    origin: o.origin === undefined ? `${process.pid}@${hostname()}` : text('origin', o.origin, 255),
  }
}

/** A queue name: it becomes a key, and kombu's separator (\x06\x16) must not appear in it. */
export function queueName(what: string, value: unknown): string {
  return text(what, value, 512)
}

/** A task name as Python registers it, e.g. 'proj.tasks.add'. */
export function taskName(what: string, value: unknown): string {
  return text(what, value, 512)
}

/** Non-empty, at most `max` bytes, no control characters (kombu's separator is two of them). */
export function text(what: string, value: unknown, max: number): string {
  if (typeof value !== 'string' || value === '' || Buffer.byteLength(value) > max || hasControl(value))
    throw invalidArgument(
      `${what} must be a non-empty string of at most ${max} bytes without control characters`,
      {
        [what]: typeof value === 'string' ? value.slice(0, 100) : value,
      },
    )
  return value
}

function hasControl(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i)
    if (code < 0x20 || code === 0x7f) return true
  }
  return false
}

export function finiteNumber(what: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min)
    throw invalidArgument(`${what} must be a finite number ≥ ${min}`, { [what]: value })
  return value
}

/** A time given as a Date or as ms since the epoch. */
export function timeOf(what: string, value: unknown): number {
  const ms = value instanceof Date ? value.getTime() : value
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0)
    throw invalidArgument(`${what} must be a valid Date (or ms since the epoch)`, { [what]: String(value) })
  return ms
}

/** What a worker needs of its Celery app: the client and the resolved options (not the app itself, which makes workers). */
export interface CeleryApp {
  readonly db: Client
  readonly options: ResolvedCeleryOptions
}
