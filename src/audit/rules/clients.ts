import { count, numberField, perNode } from './helpers.js'
import type { Rule } from './rule.js'

/** Too many connections: usually a client per request instead of one multiplexed client per process. */
export const clients: Rule = {
  id: 'clients',
  title: 'Connected clients',
  evaluate(context) {
    return perNode(context, (node) => {
      const connected = numberField(node.info, 'connected_clients')
      if (connected === null || connected <= context.thresholds.connectedClients) return []
      const max = node.config?.get('maxclients')
      return [
        {
          rule: 'clients',
          severity: 'medium',
          message: `${count(connected)} clients are connected (more than ${context.thresholds.connectedClients}${max ? `; maxclients ${max}` : ''}): each costs memory and a file descriptor, and a reconnect storm multiplies them`,
          fix: 'Share one client per process (node-redis and ioredis pipeline concurrent commands over one connection) or a small pool; look for idle connections in CLIENT LIST (idle=) and set timeout to close them.',
          data: { connected, maxclients: max ?? null },
        },
      ]
    })
  },
}
