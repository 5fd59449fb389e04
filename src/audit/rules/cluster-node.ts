import type { Rule } from './rule.js'

/**
 * A node of a Cluster audited on its own (a standalone connection to it): SCAN there sees only
 * the keys of the slots it serves, and the server facts are that node's. The CLI follows the
 * Cluster by itself; a library caller gets this finding.
 */
export const clusterNode: Rule = {
  id: 'cluster-node',
  title: 'One node of a Cluster audited alone',
  evaluate(context) {
    if (context.mode === 'cluster') return []
    const node = context.nodes.find((n) => n.info.get('cluster_enabled') === '1')
    if (!node) return []
    const known = Number(node.info.get('cluster_known_nodes') ?? Number.NaN)
    return [
      {
        rule: 'cluster-node',
        severity: 'high',
        message: `${node.address} is one node of a Redis Cluster${Number.isFinite(known) ? ` (${known} nodes known)` : ''}, audited alone: only the keys of the slots it serves were scanned, and the server facts are its own — this report is not the Cluster's`,
        fix: `Audit the whole Cluster: redis-expert audit --cluster --url redis://${node.address} (every master is scanned), or audit(db) with a client from connect({ cluster: { rootNodes } }).`,
        data: { address: node.address, clusterKnownNodes: Number.isFinite(known) ? known : null },
      },
    ]
  },
}
