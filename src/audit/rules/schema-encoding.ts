import { driftFindings, foundList } from './drift.js'
import { count } from './helpers.js'
import type { Rule } from './rule.js'

/** Keys in a less compact encoding than the one predicted for the declared shape. */
export const schemaEncoding: Rule = {
  id: 'schema-encoding',
  title: 'Encoding not the predicted one',
  evaluate: (context) =>
    driftFindings(context, 'schema-encoding', (d) => ({
      severity: 'low',
      message: `${count(d.count)} ${d.count === 1 ? 'key' : 'keys'} of entry ${d.entry} (${d.pattern}) ${d.count === 1 ? 'is' : 'are'} ${foundList(d)}, not the predicted ${d.expected}: a value is longer (or a count larger) than the declaration allows for`,
      fix: `Declare maxValueBytes/maxItems to match the data and keep values within the listpack limits (redis-expert schema --url shows the limits), or shorten the values (ids instead of payloads).`,
    })),
}
