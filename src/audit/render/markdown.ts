import { bytes, count } from '../rules/helpers.js'
import type { AuditReport } from '../types.js'
import { mdCell, mdCode } from './escape.js'
import { findingsLine, scanLine, serverLine, ttlLabel, typeLabel } from './summary.js'

/** The report as Markdown: for pull requests, wikis and tickets. */
export function renderMarkdown(report: AuditReport): string {
  const lines = [
    '# Redis audit',
    '',
    `- Server: ${mdCell(serverLine(report))}`,
    `- Scan: ${mdCell(scanLine(report))}`,
    `- Findings: ${findingsLine(report)}`,
    '',
    '## Findings',
    '',
  ]
  if (report.findings.length === 0) lines.push('None.')
  else {
    lines.push('| severity | rule | where | finding | fix |', '|---|---|---|---|---|')
    for (const f of report.findings) {
      const where = [
        f.pattern ? mdCode(f.pattern) : '',
        f.key && f.key !== f.pattern ? mdCode(f.key) : '',
        f.nodes?.join(' ') ?? '',
      ]
        .filter(Boolean)
        .join('<br>')
      lines.push(`| ${f.severity} | ${f.rule} | ${where} | ${mdCell(f.message)} | ${mdCell(f.fix)} |`)
    }
  }
  lines.push(
    '',
    '## Patterns',
    '',
    '| pattern | keys | type | memory | avg | p99 | TTL coverage | encodings |',
    '|---|---:|---|---:|---:|---:|---:|---|',
  )
  for (const p of report.patterns) {
    const encodings = Object.entries(p.encodings)
      .map(([e, n]) => `${e} ${count(n)}`)
      .join(', ')
    lines.push(
      `| ${mdCode(p.pattern)} | ${count(p.estimatedKeys)} | ${typeLabel(p)} | ${bytes(p.memory.estimatedTotal)} | ${bytes(p.memory.avg)} | ${bytes(p.memory.p99)} | ${ttlLabel(p)} | ${mdCell(encodings)} |`,
    )
  }
  return `${lines.join('\n')}\n`
}
