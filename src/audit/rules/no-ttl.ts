import type { Finding } from '../types.js'
import { bytes, count, estimate, glob } from './helpers.js'
import type { Rule } from './rule.js'

/**
 * Keys without a TTL, per pattern, with the memory they hold. A pattern where only some keys
 * lack a TTL is the classic bug (one write path forgets EX); a pattern where none has one is
 * either data meant to stay (declare it) or a cache that grows forever.
 */
export const noTtl: Rule = {
  id: 'no-ttl',
  title: 'Keys without a TTL',
  // A key declared `ttl: 'persistent'` in the --schema keyspace has no TTL on purpose.
  flag: (record, _env, schema) => record.ttlMs === -1 && !(schema?.persistent ?? false),
  evaluate(context) {
    const findings: Finding[] = []
    for (const p of context.patterns) {
      const group = p.flags.get('no-ttl')
      if (!group) continue
      const partial = group.count < p.keys
      const held = `${bytes(group.bytes)}${context.scan.sampled ? ` seen, ≈ ${bytes(group.bytes * context.scan.scale)} in all` : ''}`
      const data = {
        keys: group.count,
        estimatedKeys: Math.round(group.count * context.scan.scale),
        bytes: group.bytes,
        estimatedBytes: Math.round(group.bytes * context.scan.scale),
        patternKeys: p.keys,
        coverage: p.ttl.coverage,
      }
      findings.push(
        partial
          ? {
              rule: 'no-ttl',
              severity: 'medium',
              pattern: p.pattern,
              message: `${count(group.count)} of ${count(p.keys)} keys of ${p.pattern} have no TTL while the others expire${estimate(context, group.count)}; they hold ${held} and will never be evicted by expiry`,
              fix: `Find the write path that omits the TTL (a SET without EX/PX, an HSET or RPUSH without EXPIRE in the same pipeline) and set it in the same round trip; backfill with SCAN MATCH ${glob(p.pattern)} + EXPIRE on keys whose TTL is -1.`,
              data,
            }
          : {
              rule: 'no-ttl',
              severity: 'low',
              pattern: p.pattern,
              message: `${count(group.count)} ${group.count === 1 ? 'key' : 'keys'} of ${p.pattern} ${group.count === 1 ? 'has' : 'have'} no TTL${estimate(context, group.count)}, holding ${held}`,
              fix: `If ${p.pattern} is a cache, write it with a TTL (SET ... EX, or EXPIRE in the same pipeline) plus jitter; if it is data meant to stay, declare it ttl: 'persistent' in the keyspace so that audits know it is intended.`,
              data,
            },
      )
    }
    return findings
  },
}
