import { plural } from './helpers.js'
import type { Rule } from './rule.js'

/**
 * Keys in more than one logical database. Databases share one thread, one memory limit and one
 * eviction policy, so they isolate nothing; Cluster has db 0 only; and this audit (like any
 * SCAN) sees one database at a time.
 */
export const logicalDatabases: Rule = {
  id: 'logical-databases',
  title: 'Keys in several logical databases',
  evaluate(context) {
    const keysPerDb = new Map<number, number>()
    for (const node of context.nodes)
      for (const [db, { keys }] of node.keyspace)
        if (keys > 0) keysPerDb.set(db, (keysPerDb.get(db) ?? 0) + keys)
    const audited = context.nodes[0]?.database ?? 0
    const others = [...keysPerDb].filter(([db]) => db !== audited).sort((a, b) => a[0] - b[0])
    if (others.length === 0) return []
    const list = others.map(([db, keys]) => `db ${db} (${plural(keys, 'key')})`).join(', ')
    return [
      {
        rule: 'logical-databases',
        severity: 'medium',
        message: `Besides db ${audited}, which this audit scanned, keys live in ${list}: logical databases share one thread, one maxmemory and one eviction policy, and Redis Cluster supports db 0 only`,
        fix: `Move each database's keys under its own key prefix in db 0 (or to its own instance if it needs isolation); until then audit them too: --url redis://host:port/${others[0]?.[0]}.`,
        data: Object.fromEntries([
          [`db${audited}`, keysPerDb.get(audited) ?? 0],
          ...others.map(([db, keys]) => [`db${db}`, keys]),
        ]),
      },
    ]
  },
}
