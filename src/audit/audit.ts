import type { NodeExecutor } from '../client/node.js'
import { nodeEndpoint, type ResolvedOptions } from '../client/options.js'
import type { NodeProbe, ServerProbe } from '../client/probe-types.js'
import { optionNames, strictOptions } from '../common/validate.js'
import { invalidArgument } from '../errors.js'
import type { ListpackLimits } from '../keyspace/encoding.js'
import type { Keyspace } from '../keyspace/index.js'
import type { PatternSummary } from './accumulate.js'
import { type AuditAclOptions, expectedRules, parseCommandCatalog, viewOf } from './acl-drift.js'
import { AuditConnection, type AuditConnectionSettings } from './connection.js'
import { gatherFacts, type NodeFacts } from './facts.js'
import { parseCount, parseMemorySamples, parseRate, parseSample } from './options.js'
import { buildReport } from './report.js'
import { type KeyEnv, RULES, type RuleContext } from './rules/index.js'
import { connectionPort, type NodeScanResult, type ScanPort, scanNode } from './scan.js'
import { SchemaMatcher } from './schema.js'
import { resolveThresholds, type Thresholds } from './thresholds.js'
import { TokenBucket } from './token-bucket.js'
import { PatternTree } from './tree.js'
import type { AuditReport, KeyRecord } from './types.js'

/** What the audit needs of a connection: `connect()`'s client has it all. */
export interface AuditTarget {
  readonly mode: 'standalone' | 'cluster' | 'sentinel'
  /** An executor per master: the audit scans each one. */
  masters(): Promise<NodeExecutor[]>
  /** The server's facts (version, mode, persistence, memory policy, listpack limits) the rules judge. */
  probe(): Promise<ServerProbe>
  /**
   * How the client connects (`connect()`'s client has them): with these the key scan runs on a
   * connection of its own per master (see connection.ts); without, through `masters()`.
   */
  readonly options?: Pick<ResolvedOptions, 'target' | 'connectTimeoutMs' | 'commandTimeoutMs'>
}

/** How far a running audit has come, for a progress bar. */
export interface AuditProgress {
  /** Keys inspected so far, over every master. */
  readonly scanned: number
  /** Keys expected: DBSIZE, or the --sample limit when smaller. */
  readonly total: number
}

/**
 * What `audit()` reads and how: sampling, a rate cap, thresholds, the keyspaces to check against, the ACL
 * check, the transport.
 */
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
  /**
   * With `keyspaces`: compare the server's ACL users with the ones `redis-expert acl` generates
   * for them and this access declaration (`{}` for its default users) — the security rule reports
   * a generated user missing or disabled, permissions beyond its generated rules (`+flushall`,
   * `~*`, a category, `nopass`), and generated permissions it lacks. Needs ACL LIST.
   */
  readonly acl?: AuditAclOptions
  /** Distinct literal values at one key position before it is treated as variable, default 50. */
  readonly maxLiterals?: number
  /** Called as batches complete (the CLI draws its progress bar from it). */
  readonly onProgress?: (progress: AuditProgress) => void
  /**
   * How keys are read: `'connection'`, a connection of the audit's own per master that sends
   * only read-only O(1) commands, one write per batch; or `'client'`, every command through the
   * client's executor and guard. Default: the connection when the target has connection options
   * and it opens, else the client; `'connection'` given explicitly fails when it cannot open.
   */
  readonly transport?: 'connection' | 'client'
  /**
   * On the audit's connection, read each batch with one read-only Lua script call per 100 keys
   * (EVALSHA_RO of inspect.lua, Redis 7+) instead of pipelined commands; it falls back to the
   * pipeline by itself where the user may not run scripts. Default false: measured, the pipeline
   * was as fast or faster and held other clients up less (docs/audit.md).
   */
  readonly script?: boolean
}

const AUDIT_OPTIONS = optionNames<AuditOptions>({
  sample: true,
  rate: true,
  count: true,
  memorySamples: true,
  thresholds: true,
  keyspaces: true,
  acl: true,
  maxLiterals: true,
  onProgress: true,
  transport: true,
  script: true,
})

interface Resolved {
  readonly sample: number | null
  readonly rate: number | null
  readonly count: number
  readonly memorySamples: number
  readonly thresholds: Thresholds
}

function resolve(options: AuditOptions): Resolved {
  strictOptions('audit options', options, AUDIT_OPTIONS)
  if (options.transport !== undefined && options.transport !== 'connection' && options.transport !== 'client')
    throw invalidArgument("audit: transport is 'connection' or 'client'", { transport: options.transport })
  if (options.script !== undefined && typeof options.script !== 'boolean')
    throw invalidArgument('audit: script is true or false', { script: options.script })
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

/** The generated users the security rule compares the server's with; INVALID_ARGUMENT without keyspaces. */
function aclExpectation(options: AuditOptions): [string, string][] {
  const acl = options.acl
  if (typeof acl !== 'object' || acl === null || Array.isArray(acl))
    throw invalidArgument('audit: acl is { access?, scripts?, selectors? } (the options of redis-expert acl)')
  strictOptions('audit acl', acl, ['access', 'scripts', 'selectors'])
  if (!options.keyspaces?.length)
    throw invalidArgument('audit: acl needs keyspaces: the users are generated from their declaration')
  return expectedRules(options.keyspaces, acl)
}

/** The client's login and TLS (one endpoint rule, see client/endpoint.ts), applied to each master's address. */
export function connectionSettings(
  options: NonNullable<AuditTarget['options']>,
  address: string,
): AuditConnectionSettings {
  return {
    endpoint: nodeEndpoint(options as ResolvedOptions, address),
    connectTimeoutMs: options.connectTimeoutMs,
    commandTimeoutMs: options.commandTimeoutMs,
  }
}

/**
 * One audit connection per master; where one cannot be opened (a proxy in between, a TLS
 * setting the client resolves differently), that master is scanned through the client.
 */
async function openConnections(
  options: NonNullable<AuditTarget['options']>,
  addresses: readonly string[],
  required: boolean,
): Promise<(AuditConnection | null)[]> {
  const opened = await Promise.allSettled(
    addresses.map((address) => AuditConnection.open(connectionSettings(options, address))),
  )
  const connections = opened.map((result) => (result.status === 'fulfilled' ? result.value : null))
  const failed = opened.find((result) => result.status === 'rejected')
  if (required && failed) {
    for (const connection of connections) connection?.close()
    throw (failed as PromiseRejectedResult).reason
  }
  return connections
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
  const expectedAcl = options.acl === undefined ? null : aclExpectation(options)
  const started = Date.now()
  const probe = await db.probe()
  const masters = await db.masters()
  // Server facts first: SLOWLOG must not fill up with the audit's own commands.
  // What +@category means on this server, for the users' drift (ACL LIST prints categories).
  const catalog =
    expectedAcl === null || masters[0] === undefined
      ? null
      : parseCommandCatalog(await masters[0].call(['COMMAND']))
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
  if (options.transport === 'connection' && !db.options)
    throw invalidArgument("audit: transport 'connection' needs a client from connect()")
  const connections =
    options.transport === 'client' || !db.options
      ? []
      : await openConnections(
          db.options,
          masters.map((m) => m.address),
          options.transport === 'connection',
        )
  let results: NodeScanResult[]
  try {
    results = await Promise.all(
      masters.map((node, i) => {
        const connection = connections[i]
        const port: NodeExecutor | ScanPort = connection
          ? connectionPort(connection, { script: options.script === true })
          : node
        return scanNode(port, i, {
          count: opts.count,
          samples: opts.memorySamples,
          limit: limitsPerNode[i] ?? null,
          bucket: opts.rate === null ? null : new TokenBucket(opts.rate),
          onRecords,
        })
      }),
    )
  } finally {
    for (const connection of connections) connection?.close()
  }

  const keys = results.reduce((sum, r) => sum + r.keys, 0)
  const sampled = results.some((r) => !r.complete)
  const scale = sampled && keys > 0 ? Math.max(1, totalKeys / keys) : 1
  const patterns: PatternSummary[] = tree.finish(scale)
  const unavailable = [...new Set(results.flatMap((r) => r.unavailable))]
  const context: RuleContext = {
    mode: db.mode === 'cluster' ? 'cluster' : 'standalone',
    nodes: facts,
    patterns,
    thresholds: opts.thresholds,
    scan: { keys, totalKeys, scale, sampled, unavailable },
    schema: schema ? { drifts: schema.drifts() } : null,
    acl:
      expectedAcl === null || catalog === null
        ? null
        : { users: expectedAcl.map(([name, rules]) => viewOf(name, rules, catalog)), catalog },
  }
  const findings = RULES.flatMap((rule) => rule.evaluate(context))
  return buildReport({
    probe,
    mode: db.mode === 'cluster' ? 'cluster' : 'standalone',
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
