import type { Finding } from '../types.js'
import { count, perNode } from './helpers.js'
import type { Rule } from './rule.js'

/**
 * The memory limit and what happens at it: no limit at all, `noeviction` in front of cache
 * data (writes fail instead of evicting), `allkeys-*` over keys without TTL (data evicted).
 */
export const evictionPolicy: Rule = {
  id: 'eviction-policy',
  title: 'maxmemory and the eviction policy',
  evaluate(context) {
    const withTtl = context.patterns.reduce((sum, p) => sum + p.ttl.withTtl, 0)
    const withoutTtl = context.patterns.reduce((sum, p) => sum + p.ttl.withoutTtl, 0)
    return perNode(context, (node) => {
      const findings: Omit<Finding, 'nodes'>[] = []
      const policy = node.probe.maxmemoryPolicy
      if (node.probe.maxmemory === 0) {
        findings.push({
          rule: 'eviction-policy',
          severity: 'medium',
          message: `maxmemory is not set: Redis grows until the OS kills it or swaps (policy ${policy} never applies)`,
          fix: `Set maxmemory to ~70-80 % of the memory the instance may use (leave room for fork copy-on-write and buffers), with a policy that fits the data: ${withoutTtl > 0 ? 'volatile-lru or volatile-lfu (only keys with a TTL may be evicted)' : 'allkeys-lru or allkeys-lfu for a pure cache'}.`,
          data: { maxmemory: 0, policy },
        })
        return findings
      }
      if (policy === 'noeviction' && withTtl > 0)
        findings.push({
          rule: 'eviction-policy',
          severity: 'medium',
          message: `maxmemory-policy is noeviction while ${count(withTtl)} keys expire (cache data): at the limit every write fails with OOM instead of evicting cache entries`,
          fix: 'CONFIG SET maxmemory-policy volatile-lru (or volatile-lfu): only keys with a TTL are evicted; keep noeviction only for instances that hold data alone.',
          data: { policy, keysWithTtl: withTtl },
        })
      if (policy.startsWith('allkeys-') && withoutTtl > 0)
        findings.push({
          rule: 'eviction-policy',
          severity: 'high',
          message: `maxmemory-policy is ${policy} while ${count(withoutTtl)} keys have no TTL: at the limit Redis evicts them too, and any that is data is silently lost`,
          fix: 'Use volatile-lru/volatile-lfu so only expiring keys are evicted, or move the data without TTL to an instance with noeviction.',
          data: { policy, keysWithoutTtl: withoutTtl },
        })
      return findings
    })
  },
}
