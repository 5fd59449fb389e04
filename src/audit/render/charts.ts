import { escapeHtml } from './escape.js'

/**
 * Charts as inline SVG strings, computed here rather than drawn by a script in the page: the
 * report renders identically with JavaScript off, prints, and needs no library or network.
 */

export interface Bar {
  readonly label: string
  readonly value: number
  /** Text after the bar: `12.5 MB`. */
  readonly text: string
}

export interface Segment {
  readonly name: string
  readonly value: number
  readonly color: string
}

const WIDTH = 620
const LABEL = 230
const ROW = 24
const FONT = 'font-family="inherit" font-size="12"'

function clip(label: string, max = 34): string {
  return label.length > max ? `${label.slice(0, max - 1)}…` : label
}

/** Horizontal bars, largest first as given; the label's full text is its tooltip. */
export function barChart(id: string, bars: readonly Bar[], color: string): string {
  const max = Math.max(1, ...bars.map((b) => b.value))
  const area = WIDTH - LABEL - 90
  const height = Math.max(ROW, bars.length * ROW) + 8
  const rows = bars.map((bar, i) => {
    const y = 4 + i * ROW
    const w = Math.max(2, (bar.value / max) * area)
    return `<g><title>${escapeHtml(`${bar.label}: ${bar.text}`)}</title><text x="${LABEL - 8}" y="${y + 15}" text-anchor="end" ${FONT} fill="#334155">${escapeHtml(clip(bar.label))}</text><rect x="${LABEL}" y="${y + 3}" width="${w.toFixed(1)}" height="${ROW - 8}" rx="3" fill="${color}"/><text x="${(LABEL + w + 6).toFixed(1)}" y="${y + 15}" ${FONT} fill="#0f172a">${escapeHtml(bar.text)}</text></g>`
  })
  return `<svg id="${id}" class="chart" role="img" viewBox="0 0 ${WIDTH} ${height}" width="100%" preserveAspectRatio="xMinYMin meet">${rows.join('')}</svg>`
}

/** One 100 % bar per row, split into segments (with / without TTL). */
export function stackedChart(
  id: string,
  rows: readonly { readonly label: string; readonly segments: readonly Segment[]; readonly text: string }[],
): string {
  const area = WIDTH - LABEL - 60
  const height = Math.max(ROW, rows.length * ROW) + 8
  const drawn = rows.map((row, i) => {
    const y = 4 + i * ROW
    const total = row.segments.reduce((sum, s) => sum + s.value, 0) || 1
    let x = LABEL
    const parts = row.segments.map((s) => {
      const w = (s.value / total) * area
      const rect =
        w > 0
          ? `<rect x="${x.toFixed(1)}" y="${y + 3}" width="${w.toFixed(1)}" height="${ROW - 8}" fill="${s.color}"><title>${escapeHtml(`${s.name}: ${s.value}`)}</title></rect>`
          : ''
      x += w
      return rect
    })
    return `<g><text x="${LABEL - 8}" y="${y + 15}" text-anchor="end" ${FONT} fill="#334155">${escapeHtml(clip(row.label))}<title>${escapeHtml(row.label)}</title></text>${parts.join('')}<text x="${LABEL + area + 6}" y="${y + 15}" ${FONT} fill="#0f172a">${escapeHtml(row.text)}</text></g>`
  })
  return `<svg id="${id}" class="chart" role="img" viewBox="0 0 ${WIDTH} ${height}" width="100%" preserveAspectRatio="xMinYMin meet">${drawn.join('')}</svg>`
}

/** A donut of segments with a legend beside it. */
export function donutChart(id: string, segments: readonly Segment[], legend: (s: Segment) => string): string {
  const total = segments.reduce((sum, s) => sum + s.value, 0)
  const cx = 110
  const cy = 110
  const r = 90
  const inner = 54
  let angle = -Math.PI / 2
  const arcs = segments
    .filter((s) => s.value > 0)
    .map((s) => {
      const share = total > 0 ? s.value / total : 0
      if (share >= 0.9999)
        return `<circle cx="${cx}" cy="${cy}" r="${(r + inner) / 2}" fill="none" stroke="${s.color}" stroke-width="${r - inner}"><title>${escapeHtml(legend(s))}</title></circle>`
      const start = angle
      angle += share * 2 * Math.PI
      const large = share > 0.5 ? 1 : 0
      const p = (a: number, radius: number) =>
        `${(cx + radius * Math.cos(a)).toFixed(2)} ${(cy + radius * Math.sin(a)).toFixed(2)}`
      const d = `M ${p(start, r)} A ${r} ${r} 0 ${large} 1 ${p(angle, r)} L ${p(angle, inner)} A ${inner} ${inner} 0 ${large} 0 ${p(start, inner)} Z`
      return `<path d="${d}" fill="${s.color}"><title>${escapeHtml(legend(s))}</title></path>`
    })
  const keys = segments.map(
    (s, i) =>
      `<g><rect x="250" y="${24 + i * 24}" width="14" height="14" rx="3" fill="${s.color}"/><text x="272" y="${36 + i * 24}" ${FONT} fill="#0f172a">${escapeHtml(legend(s))}</text></g>`,
  )
  const height = Math.max(220, 40 + segments.length * 24)
  const empty =
    total === 0
      ? `<circle cx="${cx}" cy="${cy}" r="${(r + inner) / 2}" fill="none" stroke="#e2e8f0" stroke-width="${r - inner}"/>`
      : ''
  return `<svg id="${id}" class="chart" role="img" viewBox="0 0 ${WIDTH} ${height}" width="100%" preserveAspectRatio="xMinYMin meet">${empty}${arcs.join('')}${keys.join('')}</svg>`
}
