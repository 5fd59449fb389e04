import type { ReportFormat } from '../options.js'
import type { AuditReport } from '../types.js'
import { renderHtml } from './html.js'
import { renderMarkdown } from './markdown.js'
import { renderText } from './text.js'

/** The report as indented JSON, for tools and CI (the contract of `AuditReport.version`). */
export function renderJson(report: AuditReport): string {
  return `${JSON.stringify(report, null, 2)}\n`
}

/** The report in one of the four formats. */
export function renderReport(report: AuditReport, format: ReportFormat): string {
  switch (format) {
    case 'json':
      return renderJson(report)
    case 'md':
      return renderMarkdown(report)
    case 'html':
      return renderHtml(report)
    case 'text':
      return renderText(report)
  }
}

export { renderHtml, renderMarkdown, renderText }
