import type { ServerProbe } from '../client/probe-types.js'
import type { PatternSummary } from './accumulate.js'
import type { NodeFacts } from './facts.js'
import type { FailOn } from './options.js'
import { numberField } from './rules/helpers.js'
import { RULES } from './rules/index.js'
import {
  type AuditReport,
  type Finding,
  type PatternReport,
  type ScanReport,
  SEVERITIES,
  type ServerReport,
} from './types.js'

export interface ReportParts {
  readonly probe: ServerProbe
  readonly mode: 'standalone' | 'cluster'
  readonly facts: readonly NodeFacts[]
  readonly patterns: readonly PatternSummary[]
  readonly findings: readonly Finding[]
  readonly scan: ScanReport
}

const RULE_ORDER = new Map(RULES.map((rule, i) => [rule.id as string, i]))

/** Most severe first; then in rule order; then by pattern. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) ||
      (RULE_ORDER.get(a.rule) ?? 99) - (RULE_ORDER.get(b.rule) ?? 99) ||
      (a.pattern ?? '').localeCompare(b.pattern ?? ''),
  )
}

function serverReport(parts: ReportParts): ServerReport {
  const databases = new Map<number, number>()
  for (const node of parts.facts)
    for (const [db, { keys }] of node.keyspace) databases.set(db, (databases.get(db) ?? 0) + keys)
  return {
    mode: parts.mode,
    version: parts.probe.version,
    masters: parts.facts.map((node) => ({
      address: node.address,
      version: node.probe.version,
      keys: node.dbsize,
      usedMemory: numberField(node.info, 'used_memory') ?? 0,
      maxmemory: node.probe.maxmemory,
      maxmemoryPolicy: node.probe.maxmemoryPolicy,
      connectedClients: numberField(node.info, 'connected_clients') ?? 0,
    })),
    database: parts.facts[0]?.database ?? 0,
    databases: Object.fromEntries(
      [...databases].sort((a, b) => a[0] - b[0]).map(([db, n]) => [String(db), n]),
    ),
    usedMemory: parts.facts.reduce((sum, node) => sum + (numberField(node.info, 'used_memory') ?? 0), 0),
  }
}

/** The JSON contract: flags (internal) dropped from patterns, findings sorted. */
export function buildReport(parts: ReportParts): AuditReport {
  const patterns: PatternReport[] = parts.patterns.map(({ flags: _flags, ...pattern }) => pattern)
  return {
    version: 1,
    server: serverReport(parts),
    scanned: parts.scan,
    patterns,
    findings: sortFindings(parts.findings),
  }
}

/** The findings at or above `level`: what --fail-on counts. */
export function failing(report: AuditReport, level: FailOn): Finding[] {
  const bar = SEVERITIES.indexOf(level)
  return report.findings.filter((f) => SEVERITIES.indexOf(f.severity) <= bar)
}
