import { bytes, count } from '../rules/helpers.js'
import type { AuditReport } from '../types.js'
import { findingsLine, scanLine, serverLine, ttlLabel, typeLabel } from './summary.js'

const TOP_PATTERNS = 25

function table(rows: readonly string[][], right: ReadonlySet<number>): string {
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length))) ?? []
  return rows
    .map((row) =>
      row
        .map((cell, col) =>
          right.has(col) ? cell.padStart(widths[col] ?? 0) : cell.padEnd(widths[col] ?? 0),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

/** The report for a terminal: summary, the largest patterns, then every finding with its fix. */
export function renderText(report: AuditReport): string {
  const lines = ['redis-expert audit', serverLine(report), scanLine(report), '']
  const patterns = report.patterns.slice(0, TOP_PATTERNS)
  lines.push(
    `Patterns (${report.patterns.length}${report.patterns.length > TOP_PATTERNS ? `, largest ${TOP_PATTERNS} shown` : ''})`,
    table(
      [
        ['pattern', 'keys', 'type', 'memory', 'avg', 'p99', 'ttl'],
        ...patterns.map((p) => [
          p.pattern,
          count(p.estimatedKeys),
          typeLabel(p),
          bytes(p.memory.estimatedTotal),
          bytes(p.memory.avg),
          bytes(p.memory.p99),
          ttlLabel(p),
        ]),
      ],
      new Set([1, 3, 4, 5, 6]),
    ),
    '',
    `Findings: ${findingsLine(report)}`,
  )
  for (const f of report.findings) {
    const where = [f.pattern, f.key && f.key !== f.pattern ? `key ${f.key}` : null, f.nodes?.join(' ')]
      .filter(Boolean)
      .join(' · ')
    lines.push(
      '',
      `[${f.severity.toUpperCase()}] ${f.rule}${where ? ` — ${where}` : ''}`,
      `  ${f.message}`,
      `  fix: ${f.fix}`,
    )
  }
  return `${lines.join('\n')}\n`
}
