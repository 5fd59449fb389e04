import { writeFileSync } from 'node:fs'
import cliProgress from 'cli-progress'
import type { Command } from 'commander'
import type { Script } from '../atomic/script.js'
import {
  type AuditAclOptions,
  type AuditOptions,
  type AuditReport,
  audit,
  type FailOn,
  failing,
  parseCount,
  parseFailOn,
  parseFormat,
  parseMemorySamples,
  parseRate,
  parseSample,
  parseThresholdArgs,
  type ReportFormat,
  renderReport,
} from '../audit/index.js'
import type { ConnectOptions } from '../client/index.js'
import { connect } from '../connect.js'
import { RedisExpertError } from '../errors.js'
import type { Keyspace } from '../keyspace/index.js'
import type { AccessDeclaration } from '../report/acl/index.js'
import { isScript } from '../report/python/index.js'
import {
  type ConnectionCliOptions,
  connectOptions,
  timeoutOptions,
  withConnectionHint,
  withoutUrlSecret,
  withTimeoutOptions,
} from './connection-options.js'
import { loadKeyspaceModule } from './keyspace-module.js'

/** The options as commander hands them over: strings, validated by `resolveCliOptions`. */
export interface AuditCliOptions extends ConnectionCliOptions {
  readonly format?: string
  readonly out?: string
  readonly sample?: string
  readonly rate?: string
  readonly count?: string
  readonly memorySamples?: string
  readonly schema?: string
  readonly export?: string
  /** `--acl` (true) or `--acl <export>`: compare the server's ACL users with the generated ones. */
  readonly acl?: string | boolean
  readonly threshold?: readonly string[]
  readonly failOn?: string
  readonly progress?: boolean
}

export interface ResolvedCliOptions {
  readonly url: string
  readonly cluster: boolean
  /** `--connect-timeout` and `--command-timeout`, as connect() options (absent: its defaults). */
  readonly timeouts: Pick<ConnectOptions, 'connectTimeoutMs' | 'commandTimeoutMs'>
  readonly format: ReportFormat
  readonly out: string | null
  readonly failOn: FailOn | null
  readonly schema: string | null
  readonly export: string | null
  /** The export of --schema holding the access declaration (`access` by default), or null: no ACL comparison. */
  readonly acl: string | null
  readonly progress: boolean
  readonly audit: Omit<AuditOptions, 'keyspaces' | 'onProgress'>
}

/** Validates every option before connecting: bad input fails fast with INVALID_ARGUMENT naming the option. */
export function resolveCliOptions(options: AuditCliOptions): ResolvedCliOptions {
  if (options.export !== undefined && options.schema === undefined)
    throw new RedisExpertError(
      'INVALID_ARGUMENT',
      '--export selects a keyspace of --schema: give --schema too',
      {
        details: { option: '--export' },
      },
    )
  if (options.acl !== undefined && options.schema === undefined)
    throw new RedisExpertError(
      'INVALID_ARGUMENT',
      '--acl compares the ACL users generated for the --schema module: give --schema too',
      { details: { option: '--acl' } },
    )
  const audit: AuditOptions = {
    ...(options.sample === undefined ? {} : { sample: parseSample(options.sample) }),
    ...(options.rate === undefined ? {} : { rate: parseRate(options.rate) }),
    ...(options.count === undefined ? {} : { count: parseCount(options.count) }),
    ...(options.memorySamples === undefined
      ? {}
      : { memorySamples: parseMemorySamples(options.memorySamples) }),
    ...(options.threshold === undefined ? {} : { thresholds: parseThresholdArgs(options.threshold) }),
  }
  return {
    url: options.url ?? 'redis://127.0.0.1:6379',
    cluster: options.cluster === true,
    timeouts: timeoutOptions(options),
    format: parseFormat(options.format ?? 'text'),
    out: options.out ?? null,
    failOn: options.failOn === undefined ? null : parseFailOn(options.failOn),
    schema: options.schema ?? null,
    export: options.export ?? null,
    acl: options.acl === undefined ? null : options.acl === true ? 'access' : String(options.acl),
    progress: options.progress !== false,
    audit,
  }
}

/** The keyspaces of `--schema file` (or its export `name`); errors say which option was wrong. */
export async function schemaKeyspaces(file: string, name: string | null): Promise<Keyspace[]> {
  return (await schemaModule(file, name)).keyspaces
}

/** The `--schema` module: its keyspaces (or export `name`) and every export. */
async function schemaModule(
  file: string,
  name: string | null,
): Promise<{ keyspaces: Keyspace[]; exports: Record<string, unknown> }> {
  try {
    return await loadKeyspaceModule(file, name ?? undefined)
  } catch (error) {
    if (!(error instanceof RedisExpertError)) throw error
    throw new RedisExpertError(error.code, `--schema ${error.message}`, {
      cause: error,
      details: { ...error.details, option: name === null ? '--schema' : '--export' },
    })
  }
}

export interface AuditRun {
  readonly report: AuditReport
  readonly output: string
  /** 1 when --fail-on matched findings, else 0. */
  readonly exitCode: number
  /** What the person running it should know besides the report (printed on stderr). */
  readonly notes: readonly string[]
}

/** A progress bar with ETA on stderr, for a person watching a terminal. */
function progressBar(): { update(scanned: number, total: number): void; stop(): void } {
  const bar = new cliProgress.SingleBar(
    {
      format: 'audit |{bar}| {percentage}% · {value}/{total} keys · ETA {eta_formatted}',
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  )
  let started = false
  return {
    update(scanned, total) {
      if (!started) {
        bar.start(total, 0)
        started = true
      }
      bar.setTotal(total)
      bar.update(scanned)
    },
    stop: () => bar.stop(),
  }
}

/** Runs the audit as the CLI does and returns the rendered report; for tests and embedding. */
export async function runAudit(options: ResolvedCliOptions, showProgress = false): Promise<AuditRun> {
  const schema = options.schema === null ? null : await schemaModule(options.schema, options.export)
  const keyspaces = schema?.keyspaces
  const acl = schema === null || options.acl === null ? null : aclOptions(schema.exports, options.acl)
  const notes: string[] = []
  let db = await connect(connectOptions(options.url, options.cluster, options.timeouts))
  if (!options.cluster && (await isClusterNode(db))) {
    // One node of a Cluster sees only its own slots: follow the Cluster rather than report a third.
    await db.close()
    db = await connect(connectOptions(options.url, true, options.timeouts))
    notes.push(
      `${withoutUrlSecret(options.url, options.url)} is a node of a Redis Cluster: auditing the whole Cluster (every master); pass --cluster to say so`,
    )
  }
  const bar = showProgress ? progressBar() : null
  try {
    const report = await audit(db, {
      ...options.audit,
      ...(keyspaces ? { keyspaces } : {}),
      ...(acl ? { acl } : {}),
      ...(bar ? { onProgress: ({ scanned, total }) => bar.update(scanned, total) } : {}),
    })
    const failed = options.failOn === null ? [] : failing(report, options.failOn)
    return {
      report,
      output: renderReport(report, options.format),
      exitCode: failed.length > 0 ? 1 : 0,
      notes,
    }
  } finally {
    bar?.stop()
    await db.close()
  }
}

/** cluster_enabled:1 in INFO cluster; false when INFO is refused (the audit then says what it misses). */
async function isClusterNode(db: Awaited<ReturnType<typeof connect>>): Promise<boolean> {
  const info = await db.call(['INFO', 'cluster']).catch(() => '')
  return /^cluster_enabled:1\s*$/m.test(String(info))
}

/**
 * `redis-expert audit --url redis://host:6379`: scans the instance and prints what a principal
 * architect would flag. Exit codes: 0 clean (or nothing at the --fail-on level), 1 findings at
 * or above --fail-on, 2 bad input or no connection.
 */
export function registerAudit(program: Command): void {
  const command = program
    .command('audit')
    .description(
      'audit a live Redis: key patterns with memory and TTLs, big keys, encodings, persistence, eviction, ACLs, slow commands, drift from a keyspace',
    )
    .option(
      '--url <url>',
      'redis:// or rediss:// URL (any node of a Cluster with --cluster)',
      'redis://127.0.0.1:6379',
    )
    .option('--cluster', 'treat --url as a Cluster node and audit every master')
    .option('--format <format>', 'text | md | json | html', 'text')
    .option('--out <file>', 'write the report to this file instead of stdout')
    .option('--sample <keys>', 'inspect about this many keys, then stop and extrapolate')
    .option('--rate <commands>', 'cap the load: commands per second per server (token bucket)')
    .option('--count <keys>', 'SCAN COUNT: keys per batch (default 1000)')
    .option('--memory-samples <n>', 'MEMORY USAGE ... SAMPLES n (default 5; 0 = exact, O(N) per key)')
    .option('--schema <file>', 'check keys against the keyspaces this module exports (.ts or .js)')
    .option('--export <name>', 'with --schema: only this export')
    .option(
      '--acl [export]',
      "with --schema: compare the server's ACL users with those `redis-expert acl` generates (the access declaration: the module's `access` export, or this one)",
    )
    .option(
      '--threshold <name=value...>',
      'override thresholds, e.g. big-hash-fields=10000 hash-candidate-min-keys=100',
    )
    .option(
      '--fail-on <severity>',
      'exit 1 when a finding of this severity or worse exists: high | medium | low',
    )
    .option('--no-progress', 'no progress bar on the terminal')
  withTimeoutOptions(command).action(async (raw: AuditCliOptions) => {
    try {
      const options = resolveCliOptions(raw)
      // A bar only for a person at a terminal reading text; never into pipes or JSON.
      const show = options.progress && process.stdout.isTTY === true && options.format !== 'json'
      const run = await runAudit(options, show)
      for (const note of run.notes) process.stderr.write(`redis-expert audit: ${note}\n`)
      if (options.out === null) process.stdout.write(run.output)
      else {
        writeFileSync(options.out, run.output)
        process.stderr.write(
          `redis-expert audit: ${run.report.findings.length} findings, report written to ${options.out}\n`,
        )
      }
      process.exitCode = run.exitCode
    } catch (failure) {
      const error = withConnectionHint(failure)
      const code = error instanceof RedisExpertError ? `${error.code}: ` : ''
      const message = error instanceof Error ? error.message : String(error)
      process.stderr.write(`redis-expert audit: ${code}${withoutUrlSecret(message, raw.url)}\n`)
      process.exitCode = 2
    }
  })
}

/** The audit's ACL comparison from the --schema module: its access declaration and its scripts. */
function aclOptions(exports: Record<string, unknown>, name: string): AuditAclOptions {
  const scripts = Object.entries(exports)
    .filter(([key, value]) => key !== 'default' && isScript(value))
    .map(([, value]) => value as Script)
  const access = exports[name]
  // `--acl` alone without an `access` export: the generator's default users (app + auditor).
  if (access === undefined && name !== 'access')
    throw new RedisExpertError(
      'INVALID_ARGUMENT',
      `--acl: the --schema module has no export named '${name}'`,
      {
        details: { option: '--acl' },
      },
    )
  return {
    ...(access === undefined ? {} : { access: access as AccessDeclaration }),
    ...(scripts.length > 0 ? { scripts } : {}),
  }
}
