import type { Reply } from '../common/types.js'
import { RedisExpertError } from '../errors.js'
import { Connection } from './connection.js'
import type { ConnectionSettings } from './connection-open.js'
import type { Endpoint } from './endpoint.js'

/** How long after its budget a locate() that did not settle is given up (a safety net; see #attempt). */
const LOCATE_GRACE_MS = 100

/**
 * A connection that comes back: one server (a standalone server, one Cluster node, the
 * master a Sentinel names), reconnected for as long as the link lives.
 *
 * - The first `connect()` has one budget, `connectTimeoutMs`, for every attempt together: a
 *   refused connection is tried again after a short backoff while budget remains, a silent
 *   server uses it up in one attempt. Either way it settles within the budget.
 * - Once connected, a lost connection is reopened at once, then with capped exponential
 *   backoff jittered to 50–100 % (so a fleet does not reconnect in lockstep), forever.
 * - While not connected, commands fail at once with CONNECTION_UNAVAILABLE (there is no
 *   offline queue); the client decides how long a caller waits for `ready`.
 * - Where the server is can change: `locate` is asked before every attempt (Sentinel).
 */
export interface LinkSettings extends Omit<ConnectionSettings, 'endpoint'> {
  /** Where to connect now; asked before every attempt, with the attempt's time budget. */
  readonly locate: (timeoutMs?: number) => Endpoint | Promise<Endpoint>
  readonly reconnect: { readonly baseDelayMs: number; readonly maxDelayMs: number }
  /** Tries of the first connect after the first one, within its budget. */
  readonly connectRetries: number
  /** Bound of close(): how long commands in flight may take to be answered. */
  readonly closeTimeoutMs: number
}

export type LinkState = 'ready' | 'disconnected'
export type LinkListener = (state: LinkState, error?: RedisExpertError) => void

export class Link {
  readonly #settings: LinkSettings
  #connection: Connection | null = null
  #connectedOnce = false
  #closed = false
  #retries = 0
  #retryTimer: NodeJS.Timeout | null = null
  #opening = false
  /** reconnectNow() was called during an attempt: if it fails, the next one starts without a pause. */
  #hurry = false
  #waiters: ((ready: boolean) => void)[] = []
  readonly #listeners: LinkListener[] = []
  /** The endpoint of the last connection (or attempt), for messages. */
  #endpoint: Endpoint | null = null

  constructor(settings: LinkSettings) {
    this.#settings = settings
  }

  get ready(): boolean {
    return this.#connection?.ready === true
  }

  /** The open connection, or null while (re)connecting. */
  get connection(): Connection | null {
    return this.#connection?.ready ? this.#connection : null
  }

  get endpoint(): Endpoint | null {
    return this.#connection?.endpoint ?? this.#endpoint
  }

  onStateChange(listener: LinkListener): void {
    this.#listeners.push(listener)
  }

  /** The first connection, within `connectTimeoutMs` for all attempts. */
  async connect(): Promise<void> {
    const budgetEnds = Date.now() + this.#settings.connectTimeoutMs
    let lastError: unknown
    for (let attempt = 0; attempt <= this.#settings.connectRetries; attempt++) {
      const left = budgetEnds - Date.now()
      if (left <= 0 || this.#closed) break
      try {
        await this.#attempt(left)
        return
      } catch (error) {
        // An attempt the budget's end cut short says less than the one before it (a Sentinel
        // that named a replica, say): keep that one's reason.
        if (lastError === undefined || Date.now() < budgetEnds) lastError = error
        if (error instanceof RedisExpertError && error.details.reason === 'auth') break
      }
      const pause = Math.min(backoffDelay(attempt, this.#settings.reconnect), budgetEnds - Date.now())
      if (pause > 0 && attempt < this.#settings.connectRetries) await delay(pause)
    }
    if (this.#closed) throw closed()
    throw lastError instanceof RedisExpertError
      ? lastError
      : new RedisExpertError('CONNECTION_FAILED', `could not connect: ${String(lastError)}`)
  }

  /**
   * Connects in the background and keeps trying with backoff until it succeeds or the link
   * is closed (a Cluster node learned from the slot map: no caller waits on this).
   */
  start(): void {
    if (!this.#connection) this.#reopen(0)
  }

  /** Sends on the current connection; CONNECTION_UNAVAILABLE (not sent) while there is none. */
  send(args: readonly (string | Buffer)[], buffers: boolean, timeoutMs?: number): Promise<Reply> {
    const connection = this.#connection
    if (connection === null || !connection.ready) return Promise.reject(this.#unavailable(args[0]))
    return connection.send(args, buffers, timeoutMs)
  }

  /** Resolves true as soon as the link is ready, false after `ms` (or when closed). */
  waitReady(ms: number): Promise<boolean> {
    if (this.ready) return Promise.resolve(true)
    if (this.#closed || ms <= 0) return Promise.resolve(false)
    return new Promise((resolve) => {
      const wake = (ready: boolean) => {
        clearTimeout(timer)
        resolve(ready)
      }
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((waiter) => waiter !== wake)
        resolve(false)
      }, ms)
      this.#waiters.push(wake)
    })
  }

  /**
   * Drops the current connection (its commands fail with CONNECTION_LOST) and connects again —
   * at once, also while a reconnect is waiting out its backoff (a Sentinel just announced a
   * new master): the pending attempt runs now, or an attempt in progress that fails is
   * followed by another without a pause.
   */
  reconnectNow(): void {
    if (this.#closed) return
    if (this.#connection) {
      this.#connection.destroy()
      return
    }
    this.#hurry = true
    if (this.#retryTimer) {
      clearTimeout(this.#retryTimer)
      this.#retryTimer = null
      this.#reopen(0)
    }
  }

  /** Closes; commands in flight get up to closeTimeoutMs. Always settles. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (this.#retryTimer) clearTimeout(this.#retryTimer)
    this.#retryTimer = null
    for (const wake of this.#waiters.splice(0)) wake(false)
    const connection = this.#connection
    this.#connection = null
    if (connection) await connection.close(this.#settings.closeTimeoutMs)
  }

  async #attempt(timeoutMs: number): Promise<void> {
    // locate() keeps its own deadline and, when it runs out, says why (a Sentinel named a
    // replica…); the timeout around it is a safety net a little later, so as not to win that race.
    const located = Promise.resolve(this.#settings.locate(timeoutMs))
    const endpoint = await withTimeout(located, timeoutMs + LOCATE_GRACE_MS)
    this.#endpoint = endpoint
    const connection = await Connection.open({
      ...this.#settings,
      endpoint,
      connectTimeoutMs: Math.max(1, Math.min(timeoutMs, this.#settings.connectTimeoutMs)),
    })
    if (this.#closed) {
      connection.destroy()
      throw closed()
    }
    this.#adopt(connection)
  }

  #adopt(connection: Connection): void {
    this.#connection = connection
    this.#connectedOnce = true
    this.#retries = 0
    connection.onClose((error) => this.#lost(connection, error))
    for (const wake of this.#waiters.splice(0)) wake(true)
    for (const listener of this.#listeners) listener('ready')
  }

  #lost(connection: Connection, error: RedisExpertError): void {
    if (this.#connection !== connection) return
    this.#connection = null
    if (this.#closed) return
    for (const listener of this.#listeners) listener('disconnected', error)
    // A connection that was ready is tried again at once, then with backoff.
    this.#reopen(0)
  }

  #reopen(delayMs: number): void {
    if (this.#closed || this.#opening || this.#retryTimer) return
    const run = () => {
      this.#retryTimer = null
      this.#opening = true
      this.#hurry = false
      this.#attempt(this.#settings.connectTimeoutMs).then(
        () => {
          this.#opening = false
        },
        () => {
          this.#opening = false
          this.#reopen(this.#hurry ? 0 : backoffDelay(this.#retries++, this.#settings.reconnect))
        },
      )
    }
    if (delayMs <= 0) run()
    else {
      this.#retryTimer = setTimeout(run, delayMs)
      this.#retryTimer.unref()
    }
  }

  #unavailable(name: string | Buffer | undefined): RedisExpertError {
    const command = String(name ?? '?').toUpperCase()
    if (this.#closed)
      return new RedisExpertError('CONNECTION_CLOSED', `${command}: the client is closed`, {
        details: { command },
      })
    const where = this.#endpoint?.url ?? 'the server'
    return new RedisExpertError(
      'CONNECTION_UNAVAILABLE',
      `${command}: not connected to ${where}${this.#connectedOnce ? ' (reconnecting)' : ''}; the command was not sent`,
      { details: { command } },
    )
  }
}

/** Capped exponential backoff with jitter (50–100 % of the step), so clients do not reconnect in lockstep. */
export function backoffDelay(
  retries: number,
  policy: { readonly baseDelayMs: number; readonly maxDelayMs: number },
): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(retries, 30))
  return Math.round(step * (0.5 + Math.random() / 2))
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function closed(): RedisExpertError {
  return new RedisExpertError('CONNECTION_CLOSED', 'the client was closed while connecting')
}

/** `promise`, or CONNECTION_FAILED after `ms`: locating a server (asking a Sentinel) is bounded too. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new RedisExpertError('CONNECTION_FAILED', `no server located within ${Math.round(ms)} ms`, {
            details: { reason: 'timeout' },
          }),
        ),
      ms,
    )
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error)
      },
    )
  })
}
