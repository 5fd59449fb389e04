import type { Client } from '../client/client.js'
import { formatTtl } from '../common/ttl.js'
import { assertClient } from '../common/validate.js'
import { invalidArgument } from '../errors.js'
import type { EntryDeclaration } from '../keyspace/declaration.js'
import type { Entry, Keyspace } from '../keyspace/define.js'
import { Cache } from './cache.js'
import type { ServerClock } from './clock.js'
import { cacheError } from './errors.js'
import { cacheKeys } from './keys.js'
import { resolveCacheOptions } from './options.js'
import { CACHE_SCRIPTS } from './scripts.js'
import type { CacheOptions } from './types.js'

/**
 * A cache over `entry`, an entry of role `cache` holding one value (`t.json<T>()` or
 * `t.string()`); its TTL and jitter come from the declaration unless `options` override them.
 *
 * Creation declares the cache's internal keys to the client, loads its scripts on every
 * master, measures the server clock, reads the eviction policy (warnings in `stats()` and as
 * `warning` events) and subscribes to the cache's channel. None of that fails the call when
 * Redis is unreachable: the cache starts degraded (no L1, waiters time out) and recovers.
 */
export async function createCache<D extends EntryDeclaration>(
  db: Client,
  entry: Entry<D>,
  options?: CacheOptions,
): Promise<Cache<D>> {
  assertClient(db, 'createCache: db')
  checkEntry(entry)
  const resolved = resolveCacheOptions(entry.policy, options)
  const keys = cacheKeys(entry, {
    leaseMs: resolved.lease.ttlMs,
    generationMs: resolved.generationTtlMs,
    tagRetentionMs: resolved.tagRetentionMs,
  })
  declareOnce(db, keys.keyspace)
  const cache = new Cache<D>(db, entry, resolved, keys)
  const subscriber = db.subscribe(keys.channel, {
    message: (text) => cache.onChannelMessage(text),
    up: () => cache.onChannelState(true),
    down: () => cache.onChannelState(false),
  })
  const [warnings, subscribed] = await Promise.all([
    prepare(db, cache.clock, resolved.timeoutMs),
    subscriber.start(Math.max(2000, resolved.timeoutMs)),
  ])
  if (resolved.graceMs > entry.policy.graceMs)
    warnings.push(
      `grace: '${formatTtl(resolved.graceMs)}' is longer than entry '${entry.policy.name}' declares (${entry.policy.graceMs === 0 ? 'none' : formatTtl(entry.policy.graceMs)}): declare grace: '${formatTtl(resolved.graceMs)}' on the entry, or the audit reports its keys' TTLs as above the declared band`,
    )
  if (!subscribed)
    warnings.push(
      'the invalidation channel is not connected yet: L1 is bypassed and waiters rely on their bounded wait',
    )
  cache.attach(subscriber, warnings)
  return cache
}

/** Namespaces already declared per client: a second cache over the same entry reuses them. */
const declared = new WeakMap<Client, Set<string>>()

function declareOnce(db: Client, keyspace: Keyspace): void {
  let namespaces = declared.get(db)
  if (!namespaces) {
    namespaces = new Set()
    declared.set(db, namespaces)
  }
  if (namespaces.has(keyspace.namespace)) return
  db.declare(keyspace)
  namespaces.add(keyspace.namespace)
}

function checkEntry(entry: unknown): asserts entry is Entry {
  const policy = (entry as Entry | null)?.policy
  if (typeof entry !== 'object' || entry === null || typeof (entry as Entry).key !== 'function' || !policy)
    throw invalidArgument('createCache: entry must be a keyspace entry, e.g. shop.product')
  const fail = (why: string) =>
    cacheError('CACHE_ENTRY_INVALID', `createCache: entry '${policy.name}' (${policy.pattern.full}) ${why}`, {
      details: { entry: policy.name, pattern: policy.pattern.full },
    })
  if (policy.role !== 'cache') throw fail(`has role '${policy.role}'; declare role: 'cache' for a cache`)
  if (policy.kind !== 'json' && policy.kind !== 'string')
    throw fail(`is a ${policy.kind}; a cache holds one value per key: t.json<T>() or t.string()`)
  if (policy.sliding) throw fail('is sliding; a cache entry expires on its TTL, reads do not extend it')
  if (!policy.codec) throw fail('has no codec')
}

/** TIME, SCRIPT LOAD on each master, and the eviction-policy checks, in parallel. */
async function prepare(db: Client, clock: ServerClock, timeoutMs: number): Promise<string[]> {
  const warnings: string[] = []
  const sentAt = Date.now()
  const time = db
    .call(['TIME'], { timeoutMs })
    .then((reply) => clock.calibrate(reply, sentAt, Date.now()))
    .catch(() => warnings.push('could not read the server clock (TIME); using this machine’s clock'))
  const scripts = db
    .masters()
    .then((masters) =>
      Promise.all(
        masters.flatMap((node) =>
          CACHE_SCRIPTS.map((script) => node.call(['SCRIPT', 'LOAD', script.source], { timeoutMs })),
        ),
      ),
    )
    .catch(() => {
      // EVALSHA falls back to EVAL on NOSCRIPT: preloading only saves that first round trip.
    })
  const probe = db
    .probe()
    .then((result) => {
      const sourceOfTruth = db.options.keyspaces.some((keyspace) =>
        keyspace.entries.some((entry) => entry.policy.durability === 'source-of-truth'),
      )
      for (const master of result.masters) {
        const policy = master.maxmemoryPolicy
        if (policy === 'noeviction')
          warnings.push(
            `${master.address}: maxmemory-policy is noeviction — when memory is full, cache writes fail with OOM instead of evicting old entries; use allkeys-lru / allkeys-lfu (or volatile-* beside durable data)`,
          )
        else if (policy.startsWith('allkeys-') && sourceOfTruth)
          warnings.push(
            `${master.address}: maxmemory-policy is ${policy} and this instance also holds source-of-truth entries, which it may evict; use volatile-lru / volatile-lfu (every cache key has a TTL) or separate instances`,
          )
      }
    })
    .catch(() => warnings.push('could not read the eviction policy (probe failed)'))
  await Promise.all([time, scripts, probe])
  return warnings
}
