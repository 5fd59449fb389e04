import type { ListpackLimits } from '../../keyspace/encoding.js'
import type { FlagGroup } from '../accumulate.js'
import type { Finding } from '../types.js'
import { bytes, count, literalPrefix } from './helpers.js'
import type { Rule } from './rule.js'

/**
 * Fields per bucket hash: Instagram's 1000-per-bucket trick needed hash-max-listpack-entries
 * raised; 100 stays under any server's limit (512 by default on Redis 7 and Valkey 8, and
 * min'd with the server's own below), with room for uneven buckets, and keeps each HGET's
 * listpack walk short.
 */
const FIELDS_PER_BUCKET = 100
/**
 * What one small hash costs besides its fields: the key's dict entry (24 B), object header
 * (16 B), key string and listpack header, rounded up by jemalloc.
 */
const BUCKET_OVERHEAD = 96
/** jemalloc size classes round a few-KB listpack up by about this much. */
const ALLOCATOR_SLACK = 1.1

/** Bytes of one listpack entry holding a string of `n` bytes: encoding header, data, back-length. */
export function listpackEntryBytes(n: number): number {
  const header = n < 64 ? 1 : n < 4096 ? 2 : 5
  const total = header + n
  return total + (total < 128 ? 1 : total < 16384 ? 2 : 3)
}

export interface HashSaving {
  readonly buckets: number
  readonly asHashes: number
  readonly saving: number
}

/**
 * Memory of `group`'s strings stored as fields of bucket hashes (Instagram's trick: key
 * `media:1155315` → field `315` of hash `media:1155`), from their average field and value size.
 */
export function estimateHashSaving(
  group: FlagGroup,
  prefix: string,
  limits: ListpackLimits,
): HashSaving | null {
  if (group.count === 0) return null
  const fieldBytes = Math.max(1, group.keyBytes / group.count - prefix.length)
  const valueBytes = group.sizeTotal / group.count
  // Past the value limit the buckets would be hashtables, which save little.
  if (fieldBytes > limits.hashValue || valueBytes > limits.hashValue) return null
  const perBucket = Math.min(FIELDS_PER_BUCKET, limits.hashEntries)
  const buckets = Math.ceil(group.count / perBucket)
  const fields = group.count * (listpackEntryBytes(fieldBytes) + listpackEntryBytes(valueBytes))
  const asHashes = Math.round(
    (fields + 7 * buckets) * ALLOCATOR_SLACK + buckets * (BUCKET_OVERHEAD + prefix.length),
  )
  return { buckets, asHashes, saving: group.bytes - asHashes }
}

/**
 * Many small strings sharing a pattern: each pays ~50-70 bytes of per-key overhead (dict entry,
 * object header, key string) for a value of a few bytes. As fields of small hashes in listpack
 * encoding they cost a few bytes each.
 */
export const hashCandidate: Rule = {
  id: 'hash-candidate',
  title: 'Small strings that would be cheaper as hashes',
  flag: (record, env) =>
    record.type === 'string' && record.bytes !== null && record.bytes < env.thresholds.hashCandidateMaxBytes,
  evaluate(context) {
    const findings: Finding[] = []
    if (context.scan.unavailable.includes('MEMORY USAGE'))
      return [
        {
          rule: 'hash-candidate',
          severity: 'info',
          message: 'MEMORY USAGE was refused, so small strings could not be measured',
          fix: 'Run the audit as a user allowed MEMORY USAGE (+memory|usage).',
        },
      ]
    const limits = context.nodes[0]?.probe.listpack
    if (!limits) return findings
    for (const p of context.patterns) {
      const group = p.flags.get('hash-candidate')
      // A pattern without a placeholder is one key: nothing to group.
      if (!group || group.count < context.thresholds.hashCandidateMinKeys || !p.pattern.includes('<'))
        continue
      const prefix = literalPrefix(p.pattern)
      const estimate = estimateHashSaving(group, prefix, limits)
      if (!estimate || estimate.saving <= 0) continue
      const scale = context.scan.scale
      const ttlNote =
        p.ttl.withTtl > 0
          ? ' These keys expire one by one: a hash field has no TTL of its own before Redis 7.4 (HEXPIRE), so bucket only keys that share a lifetime.'
          : ''
      findings.push({
        rule: 'hash-candidate',
        severity: 'low',
        pattern: p.pattern,
        message: `${context.scan.sampled ? '≈ ' : ''}${count(group.count * scale)} strings of ${p.pattern} are under ${context.thresholds.hashCandidateMaxBytes} B (avg ${bytes(group.bytes / group.count)}, ${bytes(group.bytes * scale)} in all); as fields of ~${count(estimate.buckets * scale)} listpack hashes they would take ~${bytes(estimate.asHashes * scale)}, saving ~${bytes(estimate.saving * scale)} (${Math.round((estimate.saving / group.bytes) * 100)} %)`,
        fix: `Store them as fields of bucket hashes: HSET ${prefix}<bucket> <field> <value>, with bucket = id / ${FIELDS_PER_BUCKET} (or a hash of the id mod N) so each hash stays under hash-max-listpack-entries (${limits.hashEntries}) and values under hash-max-listpack-value (${limits.hashValue} B).${ttlNote}`,
        data: {
          keys: group.count,
          estimatedKeys: Math.round(group.count * scale),
          bytes: group.bytes,
          estimatedBytes: Math.round(group.bytes * scale),
          buckets: Math.round(estimate.buckets * scale),
          bytesAsHashes: Math.round(estimate.asHashes * scale),
          estimatedSaving: Math.round(estimate.saving * scale),
        },
      })
    }
    return findings
  },
}
