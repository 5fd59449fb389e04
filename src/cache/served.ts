import type { Stored } from './envelope.js'
import { tagsOfStamp } from './envelope.js'
import type { L1Entry } from './l1.js'
import type { CacheMeta, CacheStatus } from './types.js'

/** How one call was answered; turned into `CacheMeta` only when the caller asks for it. */
export interface Served<V> {
  readonly value: V | undefined
  readonly status: CacheStatus
  readonly createdAt: number
  readonly freshUntil: number
  readonly negative: boolean
  readonly waited: boolean
}

export function served<V>(stored: Stored<V> | L1Entry<V>, status: CacheStatus, waited: boolean): Served<V> {
  return {
    value: stored.value,
    status,
    createdAt: stored.createdAt,
    freshUntil: stored.freshUntil,
    negative: stored.negative,
    waited,
  }
}

export function absent<V>(waited: boolean): Served<V> {
  return { value: undefined, status: 'miss', createdAt: -1, freshUntil: 0, negative: false, waited }
}

export function l1Entry<V>(
  result: Served<V>,
  loadMs: number,
  tags: readonly string[],
  until: number,
): L1Entry<V> {
  return {
    value: result.value,
    negative: result.negative,
    freshUntil: result.freshUntil,
    createdAt: result.createdAt,
    loadMs,
    until,
    tags,
  }
}

export function tagsOf<V>(stored: Stored<V>): readonly string[] {
  return tagsOfStamp(stored.stamp)
}

export function metaOf<V>(key: string, result: Served<V>, shared: boolean, now: number): CacheMeta {
  return {
    key,
    status: result.status,
    ageMs: result.createdAt < 0 ? 0 : Math.max(0, now - result.createdAt),
    ttlMs: Number.isFinite(result.freshUntil) ? result.freshUntil - now : Number.POSITIVE_INFINITY,
    negative: result.negative,
    shared,
    waited: result.waited,
  }
}
