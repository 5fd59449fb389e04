import type { NodeExecutor } from '../client/node.js'
import type { ListpackLimits, NodeProbe, ServerProbe } from '../client/types.js'
import { invalidArgument } from '../errors.js'
import type { Keyspace } from '../keyspace/index.js'
import type { PatternSummary } from './accumulate.js'
import { gatherFacts, type NodeFacts } from './facts.js'
import { parseCount, parseMemorySamples, parseRate, parseSample } from './options.js'
import { buildReport } from './report.js'
import { type KeyEnv, RULES, type RuleContext } from './rules/index.js'
import { type NodeScanResult, scanNode } from './scan.js'
import { SchemaMatcher } from './schema.js'
import { resolveThresholds, type Thresholds } from './thresholds.js'
import { TokenBucket } from './token-bucket.js'
import { PatternTree } from './tree.js'
import type { AuditReport, KeyRecord } from './types.js'

/** What the audit needs of a connection: `connect()`'s client has it all. */
export interface AuditTarget {
  readonly mode: 'standalone' | 'cluster'
  masters(): Promise<NodeExecutor[]>
  probe(): Promise<ServerProbe>
}

export interface AuditProgress {
  /** Keys inspected so far, over every master. */
  readonly scanned: number
  /** Keys expected: DBSIZE, or the --sample limit when smaller. */
  readonly total: number
}

export interface AuditOptions {
  /** Stop after about this many keys and extrapolate (spread over masters by their DBSIZE). */
  readonly sample?: number
  /** Cap, in commands per second per server (a token bucket between batches). */
  readonly rate?: number
  /** SCAN COUNT, default 1000 (smaller under --rate, so batches stay short). */
  readonly count?: number
  /** MEMORY USAGE SAMPLES, default 5 (Redis's own default). */
  readonly memorySamples?: number
  readonly thresholds?: Partial<Thresholds>
  /** Check keys against these declarations (schema-* rules). */
  readonly keyspaces?: readonly Keyspace[]
  /** Distinct literal values at one key position before it is treated as variable, default 50. */
  readonly maxLiterals?: number
  readonly onProgress?: (progress: AuditProgress) => void
}

interface Resolved {
  readonly sample: number | null
  readonly rate: number | null
  readonly count: number
  readonly memorySamples: number
  readonly thresholds: Thresholds
}

function resolve(options: AuditOptions): Resolved {
  if (typeof options !== 'object' || options === null)
    throw invalidArgument('audit() takes an options object')
  const rate = options.rate === undefined ? null : parseRate(options.rate)
  const count = options.count === undefined ? 1000 : parseCount(options.count)
  return {
    sample: options.sample === undefined ? null : parseSample(options.sample),
    rate,
    // Under a rate cap, batches of ~1/20 s of budget: the load stays smooth instead of bursting.
    count: rate === null ? count : Math.max(10, Math.min(count, Math.floor(rate / 100))),
    memorySamples: options.memorySamples === undefined ? 5 : parseMemorySamples(options.memorySamples),
    thresholds: resolveThresholds(options.thresholds),
  }
}

function probeFor(probe: ServerProbe, address: string, index: number): NodeProbe {
  return probe.masters.find((m) => m.address === address) ?? probe.masters[index] ?? probe
}

/** Spreads the --sample limit over masters in proportion to their keys, so that one scale fits all. */
export function quotas(sample: number | null, sizes: readonly number[]): (number | null)[] {
  if (sample === null) return sizes.map(() => null)
  const total = sizes.reduce((a, b) => a + b, 0)
  if (total === 0) return sizes.map(() => sample)
  return sizes.map((size) => Math.ceil((sample * size) / total))
}

/**
 * Audits a live instance: scans every master, infers key patterns, checks the server's
 * configuration, ACLs and SLOWLOG, and returns the report every renderer works from.
 */
export async function audit(db: AuditTarget, options: AuditOptions = {}): Promise<AuditReport> {
  const opts = resolve(options)
  const started = Date.now()
  const probe = await db.probe()
  const masters = await db.masters()
  // Server facts first: SLOWLOG must not fill up with the audit's own commands.
  const facts: NodeFacts[] = await Promise.all(
    masters.map((node, i) => gatherFacts(node, probeFor(probe, node.address, i))),
  )
  const limits: ListpackLimits[] = facts.map((f) => f.probe.listpack)
  const env: KeyEnv = {
    thresholds: opts.thresholds,
    limits: (node) => limits[node] ?? (limits[0] as ListpackLimits),
    version: (node) => facts[node]?.probe.version ?? probe.version,
  }
  const schema = options.keyspaces?.length
    ? new SchemaMatcher(options.keyspaces, (node) => ({
        limits: env.limits(node),
        version: env.version(node),
      }))
    : null
  const tree = new PatternTree(options.maxLiterals === undefined ? {} : { maxLiterals: options.maxLiterals })
  const flagging = RULES.filter((rule) => rule.flag !== undefined)

  const totalKeys = facts.reduce((sum, f) => sum + f.dbsize, 0)
  const expected = opts.sample === null ? totalKeys : Math.min(opts.sample, totalKeys)
  let scanned = 0
  const onRecords = (batch: readonly KeyRecord[], vanished: number) => {
    for (const record of batch) {
      const match = schema ? schema.check(record) : null
      const acc = match?.pattern ? tree.accumulatorForPattern(match.pattern) : tree.accumulatorFor(record.key)
      acc.add(record, match ? match.entry : undefined)
      for (const rule of flagging) if (rule.flag?.(record, env, match)) acc.flag(rule.id, record)
    }
    scanned += batch.length + vanished
    options.onProgress?.({ scanned, total: Math.max(expected, scanned) })
  }
  const limitsPerNode = quotas(
    opts.sample,
    facts.map((f) => f.dbsize),
  )
  const results: NodeScanResult[] = await Promise.all(
    masters.map((node, i) =>
      scanNode(node, i, {
        count: opts.count,
        samples: opts.memorySamples,
        limit: limitsPerNode[i] ?? null,
        bucket: opts.rate === null ? null : new TokenBucket(opts.rate),
        onRecords,
      }),
    ),
  )

  const keys = results.reduce((sum, r) => sum + r.keys, 0)
  const sampled = results.some((r) => !r.complete)
  const scale = sampled && keys > 0 ? Math.max(1, totalKeys / keys) : 1
  const patterns: PatternSummary[] = tree.finish(scale)
  const unavailable = [...new Set(results.flatMap((r) => r.unavailable))]
  const context: RuleContext = {
    mode: db.mode,
    nodes: facts,
    patterns,
    thresholds: opts.thresholds,
    scan: { keys, totalKeys, scale, sampled, unavailable },
    schema: schema ? { drifts: schema.drifts() } : null,
  }
  const findings = RULES.flatMap((rule) => rule.evaluate(context))
  return buildReport({
    probe,
    mode: db.mode,
    facts,
    patterns,
    findings,
    scan: {
      keys,
      vanished: results.reduce((sum, r) => sum + r.vanished, 0),
      totalKeys,
      sampled,
      scale: Math.round(scale * 1000) / 1000,
      durationMs: Date.now() - started,
      commands: results.reduce((sum, r) => sum + r.commands, 0),
      rateLimit: opts.rate,
      startedAt: new Date(started).toISOString(),
      unavailable,
      schema: schema
        ? { keyspaces: (options.keyspaces ?? []).map((ks) => ks.namespace), entries: schema.entryCount }
        : null,
    },
  })
}
