import type { Command } from '../common/types.js'
import { positiveInt } from '../common/validate.js'
import { invalidArgument } from '../errors.js'
import { ClearedCalls } from '../guard/cleared-calls.js'
import {
  type DurabilityGap,
  Guard,
  type GuardCode,
  type GuardContext,
  type GuardMode,
  type Violation,
} from '../guard/index.js'
import { checkBatch, checkCommand, DEFAULT_MAX_RANGE } from '../guard/policy.js'
import { scriptViolations } from '../guard/scripts.js'
import type { GuardCommand } from '../guard/types.js'
import { type DeclaredKey, declaredKeyOf } from '../keyspace/declared-commands.js'
import { argText, type CommandTable, commandKeys, specFor } from './command-info.js'
import type { Declarations } from './declarations.js'
import type { NodeProbe } from './probe-types.js'

export interface GateOptions {
  readonly mode: GuardMode
  readonly maxRange: number
}

/**
 * Where the client meets the guard: the facts the rules need (key positions from the
 * server's own command table, the declarations, durability) and what to do with a
 * violation (refuse, warn, or send the drop-in rewrite).
 */
export class GuardGate implements GuardContext {
  readonly guard: Guard
  readonly maxRange: number
  /** Every master persists with AOF + fsync and evicts nothing it should not; rechecked on reconnect. */
  durable = false
  /** What the last check found missing (empty when durable), for GUARD_DURABILITY's message. */
  durabilityGaps: readonly DurabilityGap[] = []
  readonly #commands: CommandTable
  readonly #declarations: Declarations
  /** Script calls cleared while durability held: the same call again is not judged anew. */
  readonly #cleared = new ClearedCalls()
  /** While one check runs (synchronously): the key a typed operation built, with its entry. */
  #declared: DeclaredKey | undefined

  constructor(options: GateOptions, commands: CommandTable, declarations: Declarations) {
    this.guard = new Guard(options.mode)
    this.maxRange = options.maxRange
    this.#commands = commands
    this.#declarations = declarations
  }

  get active(): boolean {
    return this.guard.active
  }

  /**
   * What the guard asks: may source-of-truth keys be written? Trivially yes while none is
   * declared, which also spares every write the durability lookup.
   */
  get durabilityOk(): boolean {
    return this.durable || !this.#declarations.hasSourceOfTruth
  }

  keysOf(command: GuardCommand): readonly string[] {
    const keys = commandKeys(this.#commands, command as readonly (string | Buffer)[])
    return keys.every((key) => typeof key === 'string') ? (keys as string[]) : keys.map(argText)
  }

  declarationOf(key: string) {
    const declared = this.#declared
    if (declared !== undefined && declared.key === key) return this.#declarations.policyFor(declared.policy)
    return this.#declarations.policyOf(key)
  }

  isWrite(command: GuardCommand): boolean {
    return specFor(this.#commands, command as readonly (string | Buffer)[])?.flags.has('write') ?? false
  }

  /** The command to send: the original, or its rewrite; throws a GuardError in strict mode. */
  command<C extends GuardCommand>(command: C, allow?: readonly GuardCode[]): C {
    const durable = this.durabilityOk
    if (durable && this.#cleared.has(command, this.#declarations.version)) return command
    this.#declared = declaredKeyOf(command as Command)
    let violations: readonly Violation[]
    try {
      const own = checkCommand(command, this)
      // A script built at the call site is read: the hard stops apply to the commands it calls.
      violations = carriesScript(command) ? [...own, ...scriptViolations(command, this)] : own
    } finally {
      this.#declared = undefined
    }
    if (violations.length === 0) {
      if (durable) this.#cleared.add(command)
      return command
    }
    const only = violations.length === 1 ? violations[0] : undefined
    if (only?.rewrite) {
      this.guard.rewrote(only)
      return only.rewrite as C
    }
    this.guard.enforce(violations, allow ? { allow } : undefined)
    return command
  }

  batch<C extends GuardCommand>(commands: readonly C[], atomic: boolean, allow?: readonly GuardCode[]): C[] {
    // A typed operation's batch (a read and its sliding PEXPIRE, RPUSH and LTRIM) addresses one key.
    const first = commands[0]
    this.#declared = first === undefined ? undefined : declaredKeyOf(first as Command)
    let violations: readonly Violation[]
    try {
      violations = checkBatch(commands, { atomic }, this)
      commands.forEach((command, index) => {
        if (carriesScript(command))
          violations = [...violations, ...scriptViolations(command, this).map((v) => ({ ...v, index }))]
      })
    } finally {
      this.#declared = undefined
    }
    if (violations.length === 0) return commands as C[]
    const rewritten = [...commands]
    const remaining: Violation[] = []
    for (const violation of violations) {
      if (violation.rewrite && violation.index !== undefined) {
        rewritten[violation.index] = violation.rewrite as C
        this.guard.rewrote(violation)
      } else remaining.push(violation)
    }
    if (remaining.length > 0) this.guard.enforce(remaining, allow ? { allow } : undefined)
    return rewritten
  }
}

/**
 * EVAL, EVAL_RO, SCRIPT LOAD, FUNCTION LOAD: commands that carry a script's source; EVALSHA and
 * EVALSHA_RO, whose SHA1 may name a defineScript script's (cheap test first).
 */
function carriesScript(command: GuardCommand): boolean {
  const name = command[0]
  if (
    typeof name !== 'string' ||
    name.length < 4 ||
    name.length > 10 ||
    name.length === 5 ||
    name.length === 9
  )
    return false
  const upper = name.toUpperCase()
  return (
    upper === 'EVAL' ||
    upper === 'EVAL_RO' ||
    upper === 'EVALSHA' ||
    upper === 'EVALSHA_RO' ||
    upper === 'SCRIPT' ||
    upper === 'FUNCTION'
  )
}

/** The deployment a master belongs to, as far as durability cares. */
export type TopologyKind = 'standalone' | 'cluster' | 'sentinel'

/**
 * What keeps a master from holding source-of-truth data: AOF off or never fsynced, an
 * allkeys-* eviction policy, and — when it has replicas — writes that do not wait for one.
 *
 * Replicas matter because a failover promotes one: the old master, cut off or not yet told,
 * keeps acknowledging writes, then resyncs from the new master as a replica and drops them.
 * AOF does not help (it is the old master's own log). `min-replicas-to-write 1` (with
 * `min-replicas-max-lag`) makes a master refuse writes it cannot pass on, which bounds that
 * loss to the max lag; per-write WAIT (the `replicas` entry option) closes it.
 *
 * "Has replicas": INFO's `connected_slaves` > 0, or any master behind Sentinel (Sentinel exists
 * to promote a replica, even while the replicas are momentarily disconnected). A Cluster master
 * counts its own replicas: one without any cannot be failed over.
 *
 * Where CONFIG is forbidden the fsync policy cannot be read (INFO does not show it): AOF on is
 * then taken as enough, and the probe's `configReadable: false` says why.
 */
export function durabilityGaps(node: NodeProbe, topology: TopologyKind = 'standalone'): DurabilityGap[] {
  const gaps: DurabilityGap[] = []
  if (!node.persistence.aof || node.persistence.appendfsync === 'no') gaps.push('aof')
  if (node.maxmemoryPolicy.startsWith('allkeys-')) gaps.push('eviction')
  const replicated = topology === 'sentinel' || node.replication.connectedReplicas > 0
  if (replicated && !node.replication.writesNeedReplicas) gaps.push('min-replicas')
  return gaps
}

/** Whether a master keeps acknowledged source-of-truth writes across a crash, eviction and failover (see durabilityGaps). */
export function isDurable(node: NodeProbe, topology: TopologyKind = 'standalone'): boolean {
  return durabilityGaps(node, topology).length === 0
}

export function resolveGateOptions(mode: unknown, maxRange: unknown): GateOptions {
  if (mode !== undefined && mode !== 'strict' && mode !== 'warn' && mode !== 'off')
    throw invalidArgument("guard must be 'strict', 'warn' or 'off'", { guard: mode })
  const range = positiveInt('maxRange', maxRange, DEFAULT_MAX_RANGE)
  return { mode: (mode ?? 'strict') as GuardMode, maxRange: range }
}
