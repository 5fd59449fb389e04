import { driftFindings } from './drift.js'
import { count } from './helpers.js'
import type { Rule } from './rule.js'

/** Collections larger than the entry's `maxItems`: the bound unbounded reads rely on is false. */
export const schemaBound: Rule = {
  id: 'schema-bound',
  title: 'Collections larger than the declared maxItems',
  evaluate: (context) =>
    driftFindings(context, 'schema-bound', (d) => ({
      severity: 'medium',
      message: `${count(d.count)} ${d.count === 1 ? 'key' : 'keys'} of entry ${d.entry} (${d.pattern}) exceed ${d.expected} (largest ${count(d.max)} items): reads the guard allowed because of the bound are now O(N) on an unbounded key`,
      fix: `Enforce the bound on write (trim after each add: LTRIM, ZREMRANGEBYRANK, or refuse the write), or raise maxItems to the real size and re-check the encoding it predicts.`,
    })),
}
