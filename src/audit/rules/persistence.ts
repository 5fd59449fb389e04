import type { Finding } from '../types.js'
import { perNode } from './helpers.js'
import type { Rule } from './rule.js'

/**
 * AOF off, `appendfsync no`, failing background saves. How severe AOF off is depends on what
 * the instance holds: keys without a TTL look like data; a pure cache can afford to lose it all.
 */
export const persistence: Rule = {
  id: 'persistence',
  title: 'Persistence: AOF, fsync and background saves',
  evaluate(context) {
    const holdsData = context.patterns.some((p) => p.ttl.withoutTtl > 0)
    return perNode(context, (node) => {
      const findings: Omit<Finding, 'nodes'>[] = []
      // Neither CONFIG nor INFO readable: persistence is unknown (audit-access says why), not off.
      if (!node.probe.configReadable && !node.probe.infoReadable) return []
      const p = node.probe.persistence
      const rdb = p.rdbSaveRules.map(([s, c]) => `${s}s/${c}`).join(', ')
      if (!p.aof) {
        findings.push({
          rule: 'persistence',
          severity: holdsData ? 'medium' : 'low',
          message: `AOF is off${rdb ? ` (RDB snapshots only: save ${rdb}, so a crash loses the writes since the last snapshot)` : ' and RDB snapshots are off: a restart loses every key'}${holdsData ? '; keys without a TTL suggest data, not just cache' : ''}`,
          fix: 'For data that must survive a restart: CONFIG SET appendonly yes and appendfsync everysec (and in redis.conf). For a pure cache, losing it is fine: declare its keys with TTLs.',
          data: { appendonly: false, rdbSaveRules: rdb || null },
        })
      } else if (p.appendfsync === 'no') {
        findings.push({
          rule: 'persistence',
          severity: 'medium',
          message:
            'appendfsync is "no": the OS decides when AOF writes reach disk, typically up to 30 s of writes lost on a power failure',
          fix: 'CONFIG SET appendfsync everysec (at most ~1 s lost) or always for a source of truth.',
          data: { appendfsync: 'no' },
        })
      }
      const failing = [
        p.lastBgsaveOk === false ? 'the last RDB background save failed' : null,
        node.info.get('aof_last_bgrewrite_status') === 'err' ? 'the last AOF rewrite failed' : null,
        node.info.get('aof_last_write_status') === 'err' ? 'the last AOF write failed' : null,
      ].filter((x): x is string => x !== null)
      if (failing.length > 0)
        findings.push({
          rule: 'persistence',
          severity: 'high',
          message: `${failing.join('; ')}: writes since then are not on disk, and with stop-writes-on-bgsave-error the server refuses writes`,
          fix: 'Read the server log for the cause (disk full, permissions, fork failing for lack of memory: set vm.overcommit_memory=1), fix it, then BGSAVE / BGREWRITEAOF.',
          data: { failures: failing },
        })
      return findings
    })
  },
}
