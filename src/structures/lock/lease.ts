import { durationMs, optionNames } from '../../common/validate.js'
import { invalidArgument } from '../../errors.js'
import { leaseEndsAt } from '../../kit/lease-end.js'
import { structureError } from '../common/errors.js'
import { sleep } from '../common/round-trip.js'

/** What a lock and a semaphore have in common: a lease that is extended, released, and may be lost. */
export interface Lease {
  /** The lock's (or semaphore's) name. */
  readonly name: string
  /** This holder's random token (the semaphore's holder id). */
  readonly token: string
  readonly leaseMs: number
  /**
   * Aborted (LOCK_LOST) when this holder can no longer count on the lease: an extension found it
   * gone or taken, or it ran out — leaseMs after the last acquire or extend that succeeded was
   * sent, less a drift margin — with no newer extension through (see LeaseValidity).
   */
  readonly signal: AbortSignal
  /** Extends the lease from now; LOCK_NOT_HELD when it was lost. */
  extend(leaseMs?: number): Promise<void>
  /** Gives it back; LOCK_NOT_HELD when it had already expired (and may be someone else's now). */
  release(): Promise<void>
}

/** Options of one acquisition: lease length and how long to wait for it. */
export interface AcquireOptions {
  /** Lease length; the structure's default otherwise. */
  readonly leaseMs?: number | string
  /** How long to wait for it, retrying; default 0 (one attempt). */
  readonly waitMs?: number | string
  /** Gives up waiting when aborted. */
  readonly signal?: AbortSignal
}

/**
 * Options of `withLock` / `withPermit`: those of `acquire` and whether to renew the lease while the
 * function runs.
 */
export interface WithLeaseOptions extends AcquireOptions {
  /** Extend the lease every leaseMs/3 while `fn` runs; default true. */
  readonly renew?: boolean
}

/** The options of acquire(): `ttl` for `leaseMs` and the like are refused, naming the closest. */
export const ACQUIRE_OPTIONS = optionNames<AcquireOptions>({ leaseMs: true, waitMs: true, signal: true })
/** The options of withLock() / withPermit(). */
export const WITH_LEASE_OPTIONS = optionNames<WithLeaseOptions>({
  leaseMs: true,
  waitMs: true,
  signal: true,
  renew: true,
})

/** Names from other lock libraries, pointed at ours (Redlock's `duration`, a generic `ttl`). */
export const LEASE_HINTS: Readonly<Record<string, readonly [string, string]>> = {
  ttl: ['leaseMs', 'the lease: how long the lock is held without renewal'],
  duration: ['leaseMs', 'the lease: how long the lock is held without renewal'],
  timeout: ['waitMs', 'how long to wait for the lock'],
}

export interface AcquireCall {
  readonly leaseMs: number
  readonly waitMs: number
  readonly signal: AbortSignal | undefined
}

export function acquireCall(options: AcquireOptions | undefined, defaultLeaseMs: number): AcquireCall {
  if (options !== undefined && (typeof options !== 'object' || options === null))
    throw invalidArgument('options must be an object')
  const waitMs =
    options?.waitMs === undefined || options.waitMs === 0 ? 0 : durationMs('waitMs', options.waitMs)
  return {
    leaseMs: durationMs('leaseMs', options?.leaseMs, defaultLeaseMs),
    waitMs,
    signal: options?.signal,
  }
}

/**
 * Retries `attempt` until it succeeds or `waitMs` passes. Between attempts it sleeps for a random
 * part of the retry delay (capped by the current holder's remaining lease, which the failed
 * attempt reports), so contenders do not retry in lockstep.
 */
export async function retryUntil<T>(
  call: AcquireCall,
  retryDelayMs: number,
  attempt: () => Promise<{ value: T } | { retryInMs: number }>,
): Promise<T | null> {
  const deadline = Date.now() + call.waitMs
  for (;;) {
    const result = await attempt()
    if ('value' in result) return result.value
    const left = deadline - Date.now()
    if (left <= 0 || call.signal?.aborted) return null
    const pause = Math.min(left, Math.max(1, result.retryInMs), retryDelayMs * (0.5 + Math.random()))
    await sleep(pause, call.signal)
  }
}

/**
 * How long a holder counts on its lease, by this process's monotonic clock: `leaseMs` from when
 * the call that (re)started it was sent — the server's TTL cannot have begun earlier — less a
 * drift margin (`leaseEndsAt`). When that passes with no newer extension through, the signal is
 * aborted with LOCK_LOST, whatever calls are still in flight: a holder cut off from Redis (a
 * partition, a stalled server) learns it before another holder can take the lease, not when its
 * extension times out (the command timeout may well be longer than the lease). The timer is
 * unref'd: a lease never released does not keep the process alive.
 */
export class LeaseValidity {
  readonly #abort = new AbortController()
  readonly #what: string
  #timer: NodeJS.Timeout | undefined
  /** When the call that set the current end was sent: an older call's late reply changes nothing. */
  #sentAt = Number.NEGATIVE_INFINITY

  /** `what` names the lease in messages ("lock 'orders'"); `sentAt`: performance.now() when the acquisition was sent. */
  constructor(what: string, sentAt: number, leaseMs: number) {
    this.#what = what
    this.#renewed(sentAt, leaseMs)
  }

  get signal(): AbortSignal {
    return this.#abort.signal
  }

  /**
   * Runs an extension to `leaseMs` (`run` resolves whether the server extended it): the lease then
   * counts from when the call was sent, or is lost. Resolves whether it was extended.
   */
  async extend(leaseMs: number, run: () => Promise<boolean>): Promise<boolean> {
    const sentAt = performance.now()
    const extended = await run()
    if (extended) this.#renewed(sentAt, leaseMs)
    else this.lose()
    return extended
  }

  /** A call sent at `sentAt` (performance.now()) set the lease to `leaseMs` from its arrival. */
  #renewed(sentAt: number, leaseMs: number): void {
    if (this.#abort.signal.aborted || sentAt < this.#sentAt) return
    this.#sentAt = sentAt
    const endsAt = leaseEndsAt(sentAt, leaseMs)
    clearTimeout(this.#timer)
    this.#timer = setTimeout(
      () =>
        this.lose(
          `${this.#what}: the lease ran out (${leaseMs} ms after the last acquire or extend that succeeded was sent) before an extension got through; Redis may be unreachable, and another holder may take it now`,
        ),
      Math.max(0, endsAt - performance.now()),
    )
    this.#timer.unref()
  }

  /** The lease is lost (an extension found it gone or taken, or it ran out): the signal aborts. */
  lose(message = `${this.#what}: an extension found the lease gone or taken`): void {
    this.end()
    if (!this.#abort.signal.aborted) this.#abort.abort(structureError('LOCK_LOST', message))
  }

  /** Given back: the signal stays as it is. */
  end(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
  }
}

/**
 * Keeps a lease alive while work runs: extends it every third of the lease. An extension that
 * finds the lease gone aborts its signal; one that fails on the way (Redis unreachable) leaves the
 * lease to run out by its own clock (LeaseValidity) unless a later one gets through.
 */
export function renewWhile(lease: Lease): () => void {
  let stopped = false
  const every = Math.max(1, Math.floor(lease.leaseMs / 3))
  const tick = async () => {
    if (stopped || lease.signal.aborted) return
    await lease.extend().catch(() => {})
    if (!stopped && !lease.signal.aborted) timer = setTimeout(tick, every)
  }
  let timer: NodeJS.Timeout = setTimeout(tick, every)
  return () => {
    stopped = true
    clearTimeout(timer)
  }
}

/**
 * withLock / withPermit: acquire (waiting as the options say), run `fn` under the lease, give
 * it back. LOCK_NOT_ACQUIRED, with `refusal`'s message, when the wait ran out.
 */
export async function takeAndRun<T, L extends Lease>(
  take: (name: string, options?: AcquireOptions) => Promise<L | null>,
  name: string,
  fn: (lease: L) => Promise<T> | T,
  options: WithLeaseOptions | undefined,
  names: { readonly call: string; refusal(waitMs: number | string): string },
): Promise<T> {
  if (typeof fn !== 'function') throw invalidArgument(`${names.call} needs a function to run`)
  const lease = await take(name, options)
  if (!lease) throw structureError('LOCK_NOT_ACQUIRED', names.refusal(options?.waitMs ?? 0), { name })
  return runWithLease(lease, options?.renew !== false, fn)
}

/** Runs `fn` under a lease: renewal, release, and LOCK_LOST when exclusion may have been broken. */
export async function runWithLease<T, L extends Lease>(
  lease: L,
  renew: boolean,
  fn: (lease: L) => Promise<T> | T,
): Promise<T> {
  const stop = renew ? renewWhile(lease) : () => {}
  let result: T
  try {
    result = await fn(lease)
  } catch (error) {
    stop()
    await lease.release().catch(() => {})
    throw error
  }
  stop()
  const lost = lease.signal.aborted
  try {
    await lease.release()
  } catch (error) {
    if ((error as { code?: string }).code !== 'LOCK_NOT_HELD') throw error
    throw structureError(
      'LOCK_LOST',
      `the lease on '${lease.name}' expired before the work finished: another holder may have run concurrently (use a longer lease, renew, or check the fencing token downstream)`,
      { name: lease.name },
    )
  }
  if (lost)
    throw structureError('LOCK_LOST', `the lease on '${lease.name}' was lost while the work was running`, {
      name: lease.name,
    })
  return result
}
