import type { Finding } from '../types.js'
import { count, plural } from './helpers.js'
import type { Rule } from './rule.js'

/** Commands that block the server or wipe it: high. */
const DANGEROUS: Readonly<Record<string, string>> = {
  KEYS: 'Use SCAN with MATCH and COUNT (redis-expert refuses KEYS and offers scan()).',
  FLUSHALL: 'Use FLUSHALL ASYNC, and keep it away from application users (ACL -flushall).',
  FLUSHDB: 'Use FLUSHDB ASYNC, and keep it away from application users (ACL -flushdb).',
  SAVE: 'Use BGSAVE: SAVE blocks the server for the whole snapshot.',
  'DEBUG SLEEP': 'Remove DEBUG from production use (enable-debug-command no).',
  'DEBUG RELOAD': 'Remove DEBUG from production use (enable-debug-command no).',
}

/** O(N) reads and writes of whole collections: medium, with the bounded alternative. */
const LINEAR: Readonly<Record<string, string>> = {
  HGETALL: 'Read the fields you need with HMGET, page with HSCAN, or bound the hash (maxItems).',
  HKEYS: 'Page with HSCAN, or bound the hash.',
  HVALS: 'Page with HSCAN, or bound the hash.',
  SMEMBERS: 'Page with SSCAN, or test membership with SISMEMBER/SMISMEMBER.',
  SINTER: 'Intersect bounded sets only, or precompute the result.',
  SUNION: 'Union bounded sets only, or precompute the result.',
  SDIFF: 'Diff bounded sets only, or precompute the result.',
  SINTERSTORE: 'Intersect bounded sets only, or precompute the result.',
  SUNIONSTORE: 'Union bounded sets only, or precompute the result.',
  SDIFFSTORE: 'Diff bounded sets only, or precompute the result.',
  LRANGE: 'Read bounded ranges (LRANGE key 0 99), never 0 -1 on a long list.',
  LREM: 'LREM scans the list: keep lists short or use a set/zset for removal by value.',
  LINDEX: 'LINDEX walks the list: keep it short or index by position in a hash.',
  LPOS: 'LPOS scans the list: use MAXLEN/COUNT or another structure.',
  ZRANGE: 'Read bounded ranges (LIMIT, or start/stop within a page).',
  ZREVRANGE: 'Read bounded ranges.',
  ZRANGEBYSCORE: 'Add LIMIT offset count.',
  ZREVRANGEBYSCORE: 'Add LIMIT offset count.',
  ZRANGEBYLEX: 'Add LIMIT offset count.',
  ZREVRANGEBYLEX: 'Add LIMIT offset count.',
  ZUNIONSTORE: 'Combine bounded sorted sets only, or maintain the result incrementally.',
  ZINTERSTORE: 'Combine bounded sorted sets only, or maintain the result incrementally.',
  SORT: 'Add LIMIT, or keep the data sorted in a zset.',
  SORT_RO: 'Add LIMIT, or keep the data sorted in a zset.',
  XRANGE: 'Add COUNT.',
  XREVRANGE: 'Add COUNT.',
  DEL: 'Delete big collections with UNLINK (freed in the background).',
  EVAL: 'A script that loops over a collection blocks the server: bound its work per call.',
  EVALSHA: 'A script that loops over a collection blocks the server: bound its work per call.',
  FCALL: 'A function that loops over a collection blocks the server: bound its work per call.',
  MGET: 'Split very large MGETs into batches of a few hundred keys.',
  MSET: 'Split very large MSETs into batches of a few hundred keys.',
}

/** O(N) and dangerous commands that made it into SLOWLOG, grouped by command over every master. */
export const slowlog: Rule = {
  id: 'slowlog',
  title: 'Slow O(N) and dangerous commands (SLOWLOG)',
  evaluate(context) {
    const findings: Finding[] = []
    const refused = context.nodes.filter((n) => n.slowlogError !== null)
    if (refused.length > 0)
      findings.push({
        rule: 'slowlog',
        severity: 'info',
        message: `SLOWLOG GET was refused (${refused[0]?.slowlogError}): slow commands were not checked`,
        fix: 'Run the audit as a user allowed SLOWLOG GET (+slowlog|get).',
        ...(context.mode === 'cluster' ? { nodes: refused.map((n) => n.address) } : {}),
      })
    const groups = new Map<string, { count: number; total: number; max: number; nodes: Set<string> }>()
    for (const node of context.nodes) {
      for (const entry of node.slowlog ?? []) {
        if (!(entry.command in DANGEROUS) && !(entry.command in LINEAR)) continue
        const group = groups.get(entry.command) ?? { count: 0, total: 0, max: 0, nodes: new Set<string>() }
        group.count++
        group.total += entry.micros
        group.max = Math.max(group.max, entry.micros)
        group.nodes.add(node.address)
        groups.set(entry.command, group)
      }
    }
    const sorted = [...groups].sort((a, b) => b[1].total - a[1].total)
    for (const [command, g] of sorted) {
      const dangerous = command in DANGEROUS
      findings.push({
        rule: 'slowlog',
        severity: dangerous ? 'high' : 'medium',
        message: `${command} is in SLOWLOG ${plural(g.count, 'time')} (longest ${count(g.max / 1000)} ms, ${count(g.total / 1000)} ms in all)${dangerous ? '' : ': an O(N) command on a large key'}; the server runs nothing else meanwhile`,
        fix: DANGEROUS[command] ?? LINEAR[command] ?? '',
        ...(context.mode === 'cluster' ? { nodes: [...g.nodes] } : {}),
        data: { command, count: g.count, maxMicros: g.max, totalMicros: g.total },
      })
    }
    return findings
  },
}
