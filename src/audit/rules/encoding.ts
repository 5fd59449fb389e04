import type { ListpackLimits } from '../../keyspace/encoding.js'
import type { Finding, KeyRecord } from '../types.js'
import { bytes, count, plural } from './helpers.js'
import type { Rule } from './rule.js'

interface CompactLimit {
  /** The config parameter for the entry count and for the value size. */
  readonly entriesParam: string
  readonly valueParam: string | null
  readonly entries: (l: ListpackLimits) => number | null
  readonly value: (l: ListpackLimits) => number | null
  /** The encoding a key of this type falls back to. */
  readonly large: string
}

/** Collections that start compact (listpack) and convert, once and for good, past a limit. */
const COMPACT: Readonly<Record<string, CompactLimit>> = {
  hash: {
    entriesParam: 'hash-max-listpack-entries',
    valueParam: 'hash-max-listpack-value',
    entries: (l) => l.hashEntries,
    value: (l) => l.hashValue,
    large: 'hashtable',
  },
  zset: {
    entriesParam: 'zset-max-listpack-entries',
    valueParam: 'zset-max-listpack-value',
    entries: (l) => l.zsetEntries,
    value: (l) => l.zsetValue,
    large: 'skiplist',
  },
  // Sets have a listpack encoding from 7.2 only (setEntries is null before).
  set: {
    entriesParam: 'set-max-listpack-entries',
    valueParam: 'set-max-listpack-value',
    entries: (l) => l.setEntries,
    value: (l) => l.setValue,
    large: 'hashtable',
  },
}

/** A limit rounded up to a value an operator would write in redis.conf. */
export function suggestLimit(size: number): number {
  for (const nice of [128, 192, 256, 384, 512, 768, 1024]) if (size <= nice) return nice
  return Math.ceil(size / 256) * 256
}

function isNearLimit(record: KeyRecord, limits: ListpackLimits, factor: number): boolean {
  const compact = COMPACT[record.type]
  if (!compact || record.encoding !== compact.large || record.size === null) return false
  const entries = compact.entries(limits)
  return entries !== null && record.size <= entries * factor
}

/**
 * Collections just past their listpack limits: a few entries too many (or one value too long)
 * and the key takes several times the memory in a hashtable or skiplist. The fix is a config
 * change or a split, whichever keeps the compact encoding. Undeclared patterns only: a declared
 * one is held to its own prediction (schema-encoding).
 */
export const encoding: Rule = {
  id: 'encoding',
  title: 'Collections just past their compact-encoding limits',
  flag: (record, env) => isNearLimit(record, env.limits(record.node), env.thresholds.encodingNearFactor),
  evaluate(context) {
    const findings: Finding[] = []
    if (context.scan.unavailable.includes('OBJECT ENCODING'))
      findings.push({
        rule: 'encoding',
        severity: 'info',
        message: 'OBJECT ENCODING was refused, so encodings could not be checked',
        fix: 'Run the audit as a user allowed OBJECT ENCODING (+object|encoding).',
      })
    if (context.nodes.some((n) => !n.probe.configReadable))
      findings.push({
        rule: 'encoding',
        severity: 'info',
        message: "CONFIG GET was refused: encodings were judged against Redis's default listpack limits",
        fix: 'Run the audit as a user allowed CONFIG GET (+config|get) to use the real limits.',
      })
    const limits = context.nodes[0]?.probe.listpack
    if (!limits) return findings
    for (const p of context.patterns) {
      // A declared pattern is judged against its declaration (schema-encoding), which knows whether
      // its values are meant to outgrow a listpack: one key, one finding.
      if (p.entry !== null) continue
      const group = p.flags.get('encoding')
      const top = group?.top.keys[0]
      if (!group || !top) continue
      const compact = COMPACT[top.type] as CompactLimit
      const entries = compact.entries(limits) ?? 0
      const maxSize = group.sizeMax
      const byValue = maxSize <= entries
      const target = suggestLimit(maxSize)
      const one = group.count === 1
      const what = byValue
        ? `${one ? 'it holds' : 'they hold'} at most ${count(maxSize)} entries, so a value longer than ${compact.valueParam} (${compact.value(limits)} B) converted ${one ? 'it' : 'them'}`
        : `${one ? 'it holds' : 'they hold up to'} ${count(maxSize)} entries, just past ${compact.entriesParam} (${count(entries)})`
      findings.push({
        rule: 'encoding',
        severity: 'low',
        pattern: p.pattern,
        ...(group.count === 1 ? { key: top.key } : {}),
        message: `${plural(group.count, `${top.type} key`)} of ${p.pattern} ${one ? 'is' : 'are'} ${compact.large} instead of listpack (${bytes(group.bytes)}): ${what}`,
        fix: byValue
          ? `Keep values under ${compact.valueParam} (shorter members or fields, or ids instead of payloads), or raise it: CONFIG SET ${compact.valueParam} <longest value> and the same in redis.conf. Existing keys convert back only when rewritten.`
          : `Either raise the limit: CONFIG SET ${compact.entriesParam} ${target} (and in redis.conf; listpack operations are O(N), so stay under ~1000), or split each key so every part stays ≤ ${count(entries)} entries. A converted key stays ${compact.large} until it is rewritten.`,
        data: {
          keys: group.count,
          bytes: group.bytes,
          type: top.type,
          limit: entries,
          maxSize,
          parameter: byValue ? (compact.valueParam as string) : compact.entriesParam,
          suggested: byValue ? null : target,
        },
      })
    }
    return findings
  },
}
