import { bytes, count } from '../rules/helpers.js'
import { type AuditReport, type PatternReport, SEVERITIES, type Severity } from '../types.js'

/** The dominant type(s) of a pattern: `hash`, or `string+hash` when mixed. */
export function typeLabel(p: PatternReport): string {
  return Object.keys(p.types).join('+') || '?'
}

export function ttlLabel(p: PatternReport): string {
  return `${Math.round(p.ttl.coverage * 100)}%`
}

export function severityCounts(report: AuditReport): Record<Severity, number> {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>
  for (const f of report.findings) counts[f.severity]++
  return counts
}

/** One line: `standalone Redis 7.0.15 · 1 master · db 0`. */
export function serverLine(report: AuditReport): string {
  const s = report.server
  return `${s.mode} Redis ${s.version} · ${s.masters.length} ${s.masters.length === 1 ? 'master' : 'masters'} (${s.masters.map((m) => m.address).join(', ')}) · db ${s.database} · ${bytes(s.usedMemory)} used`
}

export function scanLine(report: AuditReport): string {
  const s = report.scanned
  const seconds = s.durationMs / 1000
  const rate = seconds > 0 ? ` (${count(s.keys / seconds)} keys/s)` : ''
  const parts = [
    `${count(s.keys)} of ${count(s.totalKeys)} keys inspected in ${seconds.toFixed(1)} s${rate}`,
    s.sampled ? `sampled: estimates ×${s.scale}` : null,
    s.vanished ? `${count(s.vanished)} vanished during the scan` : null,
    `${count(s.commands)} commands${s.rateLimit ? ` at ≤ ${count(s.rateLimit)}/s per server` : ''}`,
    s.unavailable.length ? `refused: ${s.unavailable.join(', ')}` : null,
    s.schema
      ? `checked against keyspace ${s.schema.keyspaces.join(', ')} (${s.schema.entries} entries)`
      : null,
  ]
  return parts.filter(Boolean).join(' · ')
}

export function findingsLine(report: AuditReport): string {
  const counts = severityCounts(report)
  return SEVERITIES.map((s) => `${counts[s]} ${s}`).join(', ')
}
