import { driftFindings, foundList } from './drift.js'
import { count } from './helpers.js'
import type { Rule } from './rule.js'

/** Keys of an entry stored as another type than declared: every typed read of them fails with WRONGTYPE. */
export const schemaType: Rule = {
  id: 'schema-type',
  title: 'Keys of another type than declared',
  evaluate: (context) =>
    driftFindings(context, 'schema-type', (d) => ({
      severity: 'high',
      message: `${count(d.count)} ${d.count === 1 ? 'key' : 'keys'} of entry ${d.entry} (${d.pattern}) ${d.count === 1 ? 'is' : 'are'} not a ${d.expected}: found ${foundList(d)}; typed operations on ${d.count === 1 ? 'it' : 'them'} fail with WRONGTYPE`,
      fix: `Find the writer that stores ${d.pattern} under another type (another service, an old code path) and migrate or delete the keys; if the declaration is what changed, change it back or migrate the data with it.`,
    })),
}
