import type { Finding } from '../types.js'
import { bytes, count, estimate } from './helpers.js'
import type { Rule } from './rule.js'

/** Keys no keyspace entry builds, grouped by inferred pattern: no owner, no TTL policy, no bound. */
export const schemaUndeclared: Rule = {
  id: 'schema-undeclared',
  title: 'Keys the keyspace does not declare',
  flag: (_record, _env, schema) => schema !== null && schema.entry === null,
  evaluate(context) {
    if (!context.schema) return []
    const findings: Finding[] = []
    for (const p of context.patterns) {
      const group = p.flags.get('schema-undeclared')
      if (!group) continue
      findings.push({
        rule: 'schema-undeclared',
        severity: 'medium',
        pattern: p.pattern,
        message: `${count(group.count)} ${group.count === 1 ? 'key' : 'keys'} of ${p.pattern}${estimate(context, group.count)} match no declared entry (${bytes(group.bytes)})`,
        fix: `Declare ${p.pattern} in the keyspace (type, role, TTL, bound) so that its keys are built, typed and expired by one definition, or delete the keys if nothing owns them.`,
        data: { keys: group.count, bytes: group.bytes, example: group.top.keys[0]?.key ?? null },
      })
    }
    return findings
  },
}
