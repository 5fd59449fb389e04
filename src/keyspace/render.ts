import type { DecisionRecord } from './decisions.js'
import type { SchemaRow } from './describe.js'

/** Renderers for the Key Schema table and the decision log: markdown, plain text, JSON. */
export type ReportFormat = 'md' | 'text' | 'json'

const COLUMNS: readonly [keyof SchemaRow, string][] = [
  ['name', 'entry'],
  ['pattern', 'pattern'],
  ['type', 'type'],
  ['ttl', 'ttl'],
  ['jitter', 'jitter'],
  ['sliding', 'sliding'],
  ['role', 'role'],
  ['durability', 'durability'],
  ['maxItems', 'max items'],
  ['codec', 'codec'],
  ['encoding', 'encoding'],
  ['slotTag', 'slot tag'],
  ['description', 'description'],
]

function cell(row: SchemaRow, column: keyof SchemaRow): string {
  const value = row[column]
  if (value === null || value === undefined) return '—'
  if (column === 'jitter') return value === 0 ? '—' : `±${Math.round(Number(value) * 100)}%`
  if (column === 'sliding') return value ? 'yes' : '—'
  return String(value)
}

const CODE_COLUMNS: ReadonlySet<keyof SchemaRow> = new Set(['pattern', 'slotTag'])

/** A code span; `|` still needs escaping inside one in a GFM table. */
function code(text: string): string {
  return `\`${text.replace(/\|/g, '\\|')}\``
}

/** Escapes what would break a markdown table cell or start inline markup. */
function md(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/([<>*_`[\]])/g, '\\$1')
    .replace(/\n/g, ' ')
}

/** The Key Schema table as text, Markdown or JSON. */
export function renderSchema(rows: readonly SchemaRow[], format: ReportFormat): string {
  if (format === 'json') return `${JSON.stringify(rows, null, 2)}\n`
  const header = COLUMNS.map(([, title]) => title)
  const body = rows.map((row) => COLUMNS.map(([column]) => cell(row, column)))
  if (format === 'md') {
    const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`
    const mdCell = (text: string, i: number) =>
      CODE_COLUMNS.has(COLUMNS[i]![0]) && text !== '—' ? code(text) : md(text)
    return `${[line(header), line(header.map(() => '---')), ...body.map((cells) => line(cells.map(mdCell)))].join('\n')}\n`
  }
  const widths = header.map((title, i) => Math.max(title.length, ...body.map((cells) => cells[i]!.length)))
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd()
  return `${[line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n')}\n`
}

/** The decision log as text, Markdown or JSON. */
export function renderDecisions(records: readonly DecisionRecord[], format: ReportFormat): string {
  if (format === 'json') return `${JSON.stringify(records, null, 2)}\n`
  return records.map((r) => (format === 'md' ? decisionMd(r) : decisionText(r))).join('\n')
}

function decisionMd(r: DecisionRecord): string {
  const ops = r.operations.map(
    (o) =>
      `| ${o.op} | ${md(o.commands.join(' → '))} | ${md(o.complexity)} | ${o.status} | ${md(o.note ?? '')} |`,
  )
  return [
    `### ${r.entry} — \`${r.pattern}\``,
    '',
    `1. **Structure.** ${md(r.structure)}`,
    '2. **Complexity.** One round trip per operation (per page for scan):',
    '',
    '   | operation | commands | complexity | status | note |',
    '   | --- | --- | --- | --- | --- |',
    ...ops.map((line) => `   ${line}`),
    '',
    `3. **Persistence.** ${md(r.persistence)}`,
    `4. **Atomicity.** ${md(r.atomicity)}`,
    `5. **Serialization.** ${md(r.serialization)}`,
    ...(r.warnings.length > 0 ? ['', ...r.warnings.map((w) => `> ⚠ ${md(w)}`)] : []),
    '',
  ].join('\n')
}

function decisionText(r: DecisionRecord): string {
  const opWidth = Math.max(...r.operations.map((o) => o.op.length))
  const cmdWidth = Math.max(...r.operations.map((o) => o.commands.join(' ').length))
  return [
    `${r.entry}  ${r.pattern}`,
    `  1. structure     ${r.structure}`,
    '  2. complexity',
    ...r.operations.map(
      (o) =>
        `       ${o.op.padEnd(opWidth)}  ${o.commands.join(' ').padEnd(cmdWidth)}  ${o.complexity}${o.status === 'ok' ? '' : ` [${o.status}]`}${o.note ? ` (${o.note})` : ''}`,
    ),
    `  3. persistence   ${r.persistence}`,
    `  4. atomicity     ${r.atomicity}`,
    `  5. serialization ${r.serialization}`,
    ...r.warnings.map((w) => `  warning: ${w}`),
    '',
  ].join('\n')
}
