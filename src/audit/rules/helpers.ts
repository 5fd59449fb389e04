import type { NodeFacts } from '../facts.js'
import type { Finding } from '../types.js'
import type { RuleContext } from './rule.js'

/** `1.5 MB`, `830 B`: binary units, as redis-cli prints them. */
export function bytes(n: number): string {
  if (!Number.isFinite(n)) return '?'
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let value = n
  let unit = 0
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`
}

/** `1,234,567`. */
export function count(n: number): string {
  return Math.round(n).toLocaleString('en-US')
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`
}

/** `12s`, `3.5h`, `30d`. */
export function duration(ms: number): string {
  const s = ms / 1000
  if (s < 60) return `${Math.round(s)}s`
  if (s < 3600) return `${(s / 60).toFixed(s < 600 ? 1 : 0)}m`
  if (s < 86_400) return `${(s / 3600).toFixed(1)}h`
  return `${(s / 86_400).toFixed(1)}d`
}

/** " (≈ N in the keyspace)" when the scan was sampled. */
export function estimate(context: RuleContext, seen: number, unit = 'keys'): string {
  if (!context.scan.sampled) return ''
  return ` (≈ ${count(seen * context.scan.scale)} ${unit} in the whole keyspace)`
}

type NodeFinding = Omit<Finding, 'nodes'>

/**
 * Runs a per-master check and folds identical findings together, so a Cluster of 3 masters
 * configured alike yields one finding, naming the masters only when not all are concerned.
 */
export function perNode(context: RuleContext, check: (node: NodeFacts) => NodeFinding[]): Finding[] {
  const byMessage = new Map<string, { finding: NodeFinding; nodes: string[] }>()
  for (const node of context.nodes) {
    for (const finding of check(node)) {
      const id = `${finding.severity}\u0000${finding.message}`
      const seen = byMessage.get(id)
      if (seen) seen.nodes.push(node.address)
      else byMessage.set(id, { finding, nodes: [node.address] })
    }
  }
  return [...byMessage.values()].map(({ finding, nodes }) =>
    context.mode === 'cluster' ? { ...finding, nodes } : finding,
  )
}

/** " on 2 of 3 masters" in a Cluster, '' otherwise; pass the nodes concerned. */
export function where(context: RuleContext, nodes: number): string {
  return context.mode === 'cluster' ? ` on ${nodes} of ${context.nodes.length} masters` : ''
}

/** The literal text before the first placeholder: `user:` of `user:<id>:visits`. */
export function literalPrefix(pattern: string): string {
  const at = pattern.indexOf('<')
  return at < 0 ? pattern : pattern.slice(0, at)
}

/** A SCAN MATCH glob for a pattern: each placeholder becomes `*`. */
export function glob(pattern: string): string {
  return pattern.replace(/<[^>]*>/g, '*')
}

export function numberField(info: ReadonlyMap<string, string>, name: string): number | null {
  const value = info.get(name)
  if (value === undefined) return null
  const n = Number(value)
  return Number.isFinite(n) ? n : null
}
