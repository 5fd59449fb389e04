import type { EntryDrift } from '../schema.js'
import type { Finding, Severity } from '../types.js'
import { count } from './helpers.js'
import type { RuleContext } from './rule.js'

/** `string (3), hash (1)`. */
export function foundList(drift: EntryDrift): string {
  return [...drift.found]
    .sort((a, b) => b[1] - a[1])
    .map(([what, n]) => `${what} (${count(n)})`)
    .join(', ')
}

/** The drifts of one schema rule as findings, one per entry. */
export function driftFindings(
  context: RuleContext,
  rule: EntryDrift['rule'],
  describe: (drift: EntryDrift) => { severity: Severity; message: string; fix: string },
): Finding[] {
  if (!context.schema) return []
  return context.schema.drifts
    .filter((d) => d.rule === rule)
    .map((drift) => {
      const { severity, message, fix } = describe(drift)
      const examples = drift.examples.keys.map((k) => k.key)
      return {
        rule,
        severity,
        pattern: drift.pattern,
        ...(drift.count === 1 && examples[0] ? { key: examples[0] } : {}),
        message,
        fix,
        data: {
          entry: drift.entry,
          keys: drift.count,
          bytes: drift.bytes,
          expected: drift.expected,
          found: foundList(drift),
          examples,
        },
      }
    })
}
