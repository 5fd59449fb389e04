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
      return {
        severity: missing > 0 ? 'medium' : 'low',
        message: `${keys} do not carry the declared TTL ${d.expected}: ${foundList(d)}${d.max > 0 ? `; longest remaining ${duration(d.max)}` : ''}`,
        fix: `Write ${d.pattern} only through the keyspace's typed operations (they set the TTL in the same round trip); backfill the existing keys with EXPIRE ${d.expected}.`,
      }
    }),
}
