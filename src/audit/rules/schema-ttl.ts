import { driftFindings, foundList } from './drift.js'
import { count, duration } from './helpers.js'
import type { Rule } from './rule.js'

/** TTLs that differ from the declaration: missing, longer than the declared band, or present on a persistent entry. */
export const schemaTtl: Rule = {
  id: 'schema-ttl',
  title: 'TTL missing or outside the declared band',
  evaluate: (context) =>
    driftFindings(context, 'schema-ttl', (d) => {
      const missing = d.found.get('no TTL') ?? 0
      const keys = `${count(d.count)} ${d.count === 1 ? 'key' : 'keys'} of entry ${d.entry} (${d.pattern})`
      if (d.expected === 'persistent')
        return {
          severity: 'low',
          message: `${keys} expire although the entry is declared persistent`,
          fix: `Find the EXPIRE/SET EX on ${d.pattern}; if the keys are meant to expire, declare the TTL in the keyspace.`,
        }
      const longer = d.found.get('TTL above the declared band') ?? 0
      if (d.role === 'cache' && longer > 0 && missing === 0)
        // A cache created with grace keeps values past their TTL to serve them stale: shortening
        // the keys' TTL would switch that off. The declaration is what is missing.
        return {
          severity: 'low',
          message: `${keys} live longer than the declared TTL ${d.expected} (longest remaining ${duration(d.max)}): a cache created with grace keeps values that long to serve them stale, and this grace is undeclared`,
          fix: `Declare the cache's grace on the entry (grace: '1h', or what createCache is given) so the schema, the audit and createCache agree; leave the keys' TTLs as they are — shortening them switches off stale serving.`,
        }
      return {
        severity: missing > 0 ? 'medium' : 'low',
        message: `${keys} do not carry the declared TTL ${d.expected}: ${foundList(d)}${d.max > 0 ? `; longest remaining ${duration(d.max)}` : ''}`,
        fix:
          d.role === 'cache'
            ? `Write ${d.pattern} only through the cache or the keyspace's typed operations (they set the TTL in the same round trip); give keys without one a TTL (EXPIRE ${d.expected}). If a cache over it uses grace, declare grace on the entry: its keys then live ttl + grace.`
            : `Write ${d.pattern} only through the keyspace's typed operations (they set the TTL in the same round trip); backfill the existing keys with EXPIRE ${d.expected}.`,
      }
    }),
}
