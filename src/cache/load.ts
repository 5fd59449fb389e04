import { parseTtl, type TtlSpec } from '../common/ttl.js'
import { invalidArgument } from '../errors.js'
import type { Stored } from './envelope.js'
import { cacheError } from './errors.js'
import type { Loader, LoaderContext } from './types.js'

/** What a finished load produced. */
export interface Loaded<V> {
  readonly value: V | undefined
  readonly negative: boolean
  readonly loadMs: number
  /** The loader asked for this TTL (adaptive caching), else null. */
  readonly ttlMs: number | null
  /** The loader called skip(): return the value, do not cache it. */
  readonly skip: boolean
}

export interface LoadPlan<P, V> {
  readonly key: string
  readonly params: P
  readonly loader: Loader<P, V>
  /** The expired value being replaced, served on soft timeout / error when allowed. */
  readonly stale: Stored<V> | null
  readonly softTimeoutMs: number | null
  readonly hardTimeoutMs: number | null
  readonly staleIfError: boolean
  /** Runs after the loader succeeds (the commit); its result is what callers get. */
  finish(loaded: Loaded<V>): Promise<void>
  /** Runs after the loader fails or times out for good (release the lease). */
  abandon(): Promise<void>
}

/** How the caller is answered: the loaded value, or the stale one (and why). */
export type LoadOutcome<V> =
  | { readonly kind: 'loaded'; readonly loaded: Loaded<V> }
  | { readonly kind: 'stale'; readonly reason: 'timeout' | 'error'; readonly error: unknown }

const SOFT = Symbol('soft')
const HARD = Symbol('hard')

/**
 * Runs a loader under the call's timeouts. The load itself always runs to its end in the
 * background (its result is still committed, so the next caller finds it); what the timeouts
 * decide is only when *this* caller stops waiting:
 * - soft timeout, with a stale value: answer stale now;
 * - hard timeout: answer stale (staleIfError) or fail with CACHE_LOAD_TIMEOUT, and abort the
 *   loader's signal;
 * - loader error: stale (staleIfError) or the loader's own error. Nothing is written.
 */
export async function runLoad<P, V>(plan: LoadPlan<P, V>, onSettled: (ms: number, error: unknown) => void) {
  const started = performance.now()
  const controller = new AbortController()
  let ttlMs: number | null = null
  let skip = false
  const context: LoaderContext<P, V> = {
    key: plan.key,
    params: plan.params,
    stale: plan.stale?.value,
    signal: controller.signal,
    setTtl(spec: TtlSpec) {
      ttlMs = loaderTtl(spec)
    },
    skip() {
      skip = true
    },
  }
  const done = (async () => plan.loader(context))().then(
    async (value): Promise<Loaded<V>> => {
      const loadMs = performance.now() - started
      onSettled(loadMs, null)
      const negative = value === null || value === undefined
      const loaded: Loaded<V> = { value: negative ? undefined : (value as V), negative, loadMs, ttlMs, skip }
      await plan.finish(loaded)
      return loaded
    },
    async (error: unknown): Promise<never> => {
      onSettled(performance.now() - started, error)
      await plan.abandon().catch(() => {})
      throw error
    },
  )
  // The load may outlive this caller (soft/hard timeout): its failure must never go unobserved.
  done.catch(() => {})

  const timers: NodeJS.Timeout[] = []
  const races: Promise<Loaded<V> | typeof SOFT | typeof HARD>[] = [done]
  if (plan.stale && plan.softTimeoutMs !== null)
    races.push(
      new Promise((resolve) => timers.push(setTimeout(() => resolve(SOFT), plan.softTimeoutMs ?? 0))),
    )
  if (plan.hardTimeoutMs !== null)
    races.push(
      new Promise((resolve) => timers.push(setTimeout(() => resolve(HARD), plan.hardTimeoutMs ?? 0))),
    )
  try {
    const first = races.length === 1 ? await done : await Promise.race(races)
    if (first === SOFT) return { kind: 'stale', reason: 'timeout', error: null } as LoadOutcome<V>
    if (first === HARD) {
      controller.abort()
      const error = cacheError(
        'CACHE_LOAD_TIMEOUT',
        `${plan.key}: the loader took longer than ${plan.hardTimeoutMs} ms`,
        {
          details: { key: plan.key, timeoutMs: plan.hardTimeoutMs },
        },
      )
      if (plan.stale && plan.staleIfError)
        return { kind: 'stale', reason: 'timeout', error } as LoadOutcome<V>
      throw error
    }
    return { kind: 'loaded', loaded: first } as LoadOutcome<V>
  } catch (error) {
    if (plan.stale && plan.staleIfError) return { kind: 'stale', reason: 'error', error } as LoadOutcome<V>
    throw error
  } finally {
    for (const timer of timers) clearTimeout(timer)
  }
}

function loaderTtl(spec: TtlSpec): number {
  let ms: number | null
  try {
    ms = parseTtl(spec, 'setTtl')
  } catch {
    throw invalidArgument(`setTtl: ${JSON.stringify(spec)} is not a TTL`)
  }
  if (ms === null) throw invalidArgument('setTtl: a cache value needs a finite TTL')
  return ms
}
