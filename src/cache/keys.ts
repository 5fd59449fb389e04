import { assertDisjoint, defineKeyspace, type Entry, type Keyspace, t } from '../keyspace/index.js'
import { slotTagOf } from './slot-tag.js'

/**
 * The cache's own keys, declared in a keyspace of their own (principle 1): they show in the
 * Key Schema table, the guard knows their TTL policy, and ACLs derive from them.
 *
 * Namespace: the value pattern's literal prefix plus `~<entry>`, e.g. `shop:product:~product`
 * for `shop:product:<id>` — one ACL glob (`~shop:product:*`) covers values and internals.
 *
 * - lease `…:lease:{<slot>}:<key>`: who is loading `<key>` now (a token, PX = lease TTL).
 * - gen `…:gen:{<slot>}:<key>`: bumped by delete / set / writeThrough; a load whose
 *   generation changed while it ran is not written (no stale set).
 * - tags `…:tags`: one hash, tag → version; invalidateTags bumps versions (O(1) per tag).
 *
 * `<key>` is the value key itself (escaped) and `<slot>` the short tag that hashes to the
 * value key's Cluster slot (slot-tag.ts), so value, lease and generation share one slot and
 * one script reads and writes them together.
 */
export interface CacheKeys {
  readonly keyspace: Keyspace
  /** The pub/sub channel of this cache: invalidations (L1) and load notifications (waiters). */
  readonly channel: string
  lease(valueKey: string): string
  generation(valueKey: string): string
  readonly tags: string
}

export interface KeyTtls {
  readonly leaseMs: number
  readonly generationMs: number
  readonly tagRetentionMs: number
}

export function cacheKeys(entry: Entry, ttls: KeyTtls): CacheKeys {
  const namespace = `${literalPrefix(entry)}:~${entry.name}`
  const keyspace = defineKeyspace(namespace, {
    lease: {
      pattern: 'lease:{<slot>}:<key>',
      type: t.string(),
      role: 'lock',
      ttl: ttls.leaseMs,
      description: `who loads ${entry.pattern} now: one loader across all processes`,
    },
    gen: {
      pattern: 'gen:{<slot>}:<key>',
      type: t.counter(),
      role: 'index',
      ttl: ttls.generationMs,
      description: `invalidation generation of ${entry.pattern}: stops stale sets`,
    },
    tags: {
      pattern: 'tags',
      type: t.hash<number>(),
      role: 'index',
      ttl: ttls.tagRetentionMs,
      description: `tag → version for ${entry.pattern}; an entry is valid while its tags' versions are`,
    },
  })
  // The internal patterns must never build a key of the value entry itself.
  assertDisjoint([keyspace, keyspaceOf(entry)])
  const lease = keyspace.lease
  const gen = keyspace.gen
  return {
    keyspace,
    channel: namespace,
    lease: (valueKey) => lease.key({ slot: slotTagOf(valueKey), key: valueKey }),
    generation: (valueKey) => gen.key({ slot: slotTagOf(valueKey), key: valueKey }),
    tags: keyspace.tags.key(),
  }
}

/** `shop:product` for `shop:product:<id>`: the segments before the first parameter or hash tag. */
function literalPrefix(entry: Entry): string {
  const { segments, delimiters } = entry.policy.pattern
  let prefix = ''
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!
    if (segment.kind === 'param' || segment.text === '') break
    prefix += segment.text
    const delimiter = delimiters[i]
    if (delimiter === undefined || delimiter === '{' || delimiter === '}') break
    const next = segments[i + 1]
    if (next?.kind !== 'literal' || next.text === '') break
    prefix += delimiter
  }
  return prefix
}

/** A one-entry keyspace view of the value entry, for the overlap check. */
function keyspaceOf(entry: Entry): Keyspace {
  return { namespace: 'entry', entries: [entry] } as unknown as Keyspace
}
