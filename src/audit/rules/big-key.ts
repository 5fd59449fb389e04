import type { Thresholds } from '../thresholds.js'
import type { Finding } from '../types.js'
import { bytes, count, plural } from './helpers.js'
import type { Rule } from './rule.js'

interface Limit {
  readonly threshold: (t: Thresholds) => number
  /** What `size` counts for this type. */
  readonly unit: string
  readonly fix: string
}

/** Per type: the threshold, and the change that keeps such a key small. */
const LIMITS: Readonly<Record<string, Limit>> = {
  string: {
    threshold: (t) => t.bigStringBytes,
    unit: 'bytes',
    fix: 'Split the value into chunks (or fields of a hash), compress it, or keep blobs in object storage with a pointer in Redis: reading or writing a multi-MB value blocks the event loop and stalls replication.',
  },
  hash: {
    threshold: (t) => t.bigHashFields,
    unit: 'fields',
    fix: 'Shard the hash into buckets (HSET <key>:<hash(field) % N>), read it with HSCAN or HMGET, never HGETALL, and delete it with UNLINK.',
  },
  set: {
    threshold: (t) => t.bigSetMembers,
    unit: 'members',
    fix: 'Shard the set by member hash, read it with SSCAN rather than SMEMBERS, and delete it with UNLINK.',
  },
  zset: {
    threshold: (t) => t.bigZsetMembers,
    unit: 'members',
    fix: 'Bound it (ZREMRANGEBYRANK after each ZADD) or split it by score range; read ranges with LIMIT and delete it with UNLINK.',
  },
  list: {
    threshold: (t) => t.bigListItems,
    unit: 'elements',
    fix: 'Bound it with LTRIM after each push, or compress the interior nodes: CONFIG SET list-compress-depth 1 (and in redis.conf); LRANGE 0 -1 on it is O(N).',
  },
  stream: {
    threshold: (t) => t.bigStreamEntries,
    unit: 'entries',
    fix: 'Cap it on write (XADD ... MAXLEN ~ N) or trim by age (XTRIM MINID); consumers acknowledge with XACK so that nothing has to stay.',
  },
}

/**
 * Strings past 1 MB and collections past the element counts `redis-cli --bigkeys` and
 * RedisInsight treat as big: the keys that block the server when read, deleted or migrated.
 */
export const bigKey: Rule = {
  id: 'big-key',
  title: 'Big keys',
  flag(record, env) {
    const limit = LIMITS[record.type]
    return limit !== undefined && record.size !== null && record.size > limit.threshold(env.thresholds)
  },
  evaluate(context) {
    const findings: Finding[] = []
    for (const p of context.patterns) {
      const group = p.flags.get('big-key')
      const top = group?.top.keys[0]
      if (!group || !top) continue
      const limit = LIMITS[top.type] as Limit
      const threshold = limit.threshold(context.thresholds)
      const size = top.size ?? 0
      const compressible =
        top.type === 'list' &&
        context.nodes.some((n) => (n.config?.get('list-compress-depth') ?? '0') === '0')
      const severity = size >= threshold * 10 ? 'high' : top.type === 'list' ? 'low' : 'medium'
      const largest = `${top.key} (${count(size)} ${limit.unit}, ${bytes(top.bytes)})`
      findings.push({
        rule: 'big-key',
        severity,
        pattern: p.pattern,
        ...(group.count === 1 ? { key: top.key } : {}),
        message:
          group.count === 1
            ? `${largest} is past the ${top.type} threshold of ${count(threshold)} ${limit.unit}`
            : `${plural(group.count, 'key')} of ${p.pattern} are past the ${top.type} threshold of ${count(threshold)} ${limit.unit}, ${bytes(group.bytes)} in all; the largest is ${largest}`,
        fix:
          top.type === 'list' && !compressible
            ? 'Bound it with LTRIM after each push (list-compress-depth is already on); LRANGE 0 -1 on it is O(N).'
            : limit.fix,
        data: {
          keys: group.count,
          bytes: group.bytes,
          type: top.type,
          threshold,
          largestKey: top.key,
          largestSize: size,
          largestBytes: top.bytes,
        },
      })
    }
    return findings
  },
}
