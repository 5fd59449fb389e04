import { MAX_TTL_MS } from '../common/ttl.js'
import { strictOptions } from '../common/validate.js'
import { invalidArgument } from '../errors.js'
import { assertCommand } from './args.js'
import { classify } from './classify.js'
import { type Profile, type ReadRule, UNKNOWN_WRITES } from './profile.js'
import { keysAt, redact } from './redact.js'
import { crossSlot, slotClash, TransactionSlots } from './slots.js'
import { batchTtl, exemptFromTtl, ttlViolation } from './ttl-state.js'
import type {
  DurabilityGap,
  GuardBatchOptions,
  GuardCommand,
  GuardContext,
  KeyPolicy,
  Violation,
} from './types.js'

/**
 * The policy: a command's profile (classify.ts, profile.ts) plus the caller's facts (key positions,
 * declarations, durability) → the list of hard-stop violations. Pure: no I/O, no clock, no state
 * between calls. An allowed command returns the same frozen empty array, so the common case
 * allocates nothing. Here: the refusals, unbounded reads, blocking DEL, durability and the TTL of
 * one command; the TTL rule across a batch is ttl-state.ts, the slot rule slots.ts.
 */

export const DEFAULT_MAX_RANGE = 1000

const NONE: readonly Violation[] = Object.freeze([])

/** Declared kinds that are single values: freeing them never blocks, so DEL is fine. */
const VALUE_KINDS: ReadonlySet<string> = new Set(['string', 'counter', 'json', 'hll', 'bitmap'])

/** The violations of one command sent on its own. */
export function checkCommand(command: GuardCommand, context: GuardContext): readonly Violation[] {
  assertCommand(command)
  const max = context.maxRange ?? DEFAULT_MAX_RANGE
  const profile = classify(command, max)
  if (profile.quiet && (context.durabilityOk || profile.writes.length === 0)) return NONE
  const out: Violation[] = []
  evaluate(command, profile, context, max, out, undefined, true, true)
  return out.length === 0 ? NONE : out
}

/**
 * The violations of a pipeline (`atomic: false`) or a MULTI/EXEC (`atomic: true`). Commands are
 * judged one by one, except for two rules that look at the whole batch:
 * - TTL: a key may be written without a TTL by one command as long as a later command of the batch
 *   gives it one (or deletes it). The TTL must come after: EXPIRE on a missing key is a no-op, and
 *   SET without a TTL drops an earlier one, so [EXPIRE k, SET k v] still leaves k without a TTL.
 *   A write that only keeps a TTL (HSET) is fine after a command that wrote the key with a TTL
 *   (SET .. PX), since the key then exists with one.
 * - Slots: in MULTI/EXEC (and in a MULTI ... EXEC run inside a pipeline) every key of every
 *   command must share one slot; in a plain pipeline each multi-key command on its own.
 */
export function checkBatch(
  commands: readonly GuardCommand[],
  options: GuardBatchOptions,
  context: GuardContext,
): readonly Violation[] {
  if (!Array.isArray(commands)) throw invalidArgument('a batch must be an array of commands')
  strictOptions('checkBatch options', options, ['atomic'])
  const max = context.maxRange ?? DEFAULT_MAX_RANGE
  const atomic = options?.atomic === true
  const out: Violation[] = []
  let ttlRisk = false
  let inMulti = false
  let group: TransactionSlots | undefined
  for (let i = 0; i < commands.length; i++) {
    const command = commands[i]
    assertCommand(command, i)
    const profile = classify(command, max)
    if (!atomic) {
      if (profile.name === 'MULTI') {
        inMulti = true
        group = undefined
      } else if (profile.name === 'EXEC' || profile.name === 'DISCARD') inMulti = false
    }
    const grouped = atomic || inMulti
    if (profile.ttlRisk || (profile.unknown && context.isWrite?.(command) === true)) ttlRisk = true
    if (!profile.quiet || (!context.durabilityOk && profile.writes.length > 0)) {
      evaluate(command, profile, context, max, out, i, false, !grouped)
    }
    if (grouped) {
      group ??= new TransactionSlots(context, atomic, out)
      group.check(command, profile, i)
    }
  }
  if (ttlRisk) batchTtl(commands, context, max, out)
  if (out.length === 0) return NONE
  return out.sort((a, b) => (a.index ?? 0) - (b.index ?? 0))
}

// ---------------------------------------------------------------------------------------------

function evaluate(
  command: GuardCommand,
  profile: Profile,
  ctx: GuardContext,
  max: number,
  out: Violation[],
  index: number | undefined,
  ttl: boolean,
  slots: boolean,
): void {
  stops(command, profile, ctx, max, out, index)
  const unknownWrite = profile.unknown && ctx.isWrite?.(command) === true
  if (!ctx.durabilityOk && (profile.writes.length > 0 || profile.mayWrite || unknownWrite)) {
    const key = sourceOfTruthWritten(command, profile, ctx, unknownWrite)
    if (key) {
      add(out, profile, command, ctx, index, {
        rule: 'durability',
        code: 'GUARD_DURABILITY',
        key: key.key,
        ...durabilityViolation(key.key, key.policy.entry, ctx.durabilityGaps),
      })
    }
  }
  if (profile.badTtl !== undefined) {
    const key = keysAt(1, command, ctx)[0]
    add(out, profile, command, ctx, index, {
      rule: 'ttl-required',
      code: 'GUARD_TTL_REQUIRED',
      ...(key === undefined ? {} : { key }),
      message: `${profile.name}: ${profile.badTtl}; Redis would refuse it${key === undefined ? '' : ` and leave '${key}' without the TTL it was meant to get`}`,
      fix: `give a whole number from 1 to ${MAX_TTL_MS} milliseconds (${MAX_TTL_MS / 1000} seconds), or declare the key persistent`,
    })
  }
  if (ttl && (profile.ttlRisk || unknownWrite)) {
    const writes = unknownWrite ? UNKNOWN_WRITES : profile.writes
    for (const write of writes) {
      if (write.ttl === 'inherits') {
        // RENAME/COPY: the destination takes the source's TTL — none, when the source is declared
        // persistent or source-of-truth; a destination whose entry has a TTL would be left without.
        const [source] = keysAt(write.from ?? 1, command, ctx)
        if (source === undefined || !exemptFromTtl(ctx.declarationOf(source), 'clears')) continue
        for (const key of keysAt(write.key, command, ctx)) {
          if (exemptFromTtl(ctx.declarationOf(key), 'clears')) continue
          add(out, profile, command, ctx, index, ttlViolation(profile, key, 'inherits', false, source))
        }
        continue
      }
      if (write.ttl !== 'creates' && write.ttl !== 'clears' && write.ttl !== 'persists') continue
      for (const key of keysAt(write.key, command, ctx)) {
        if (exemptFromTtl(ctx.declarationOf(key), write.ttl)) continue
        add(out, profile, command, ctx, index, ttlViolation(profile, key, write.ttl, false))
      }
    }
  }
  if (slots && profile.multiKey) {
    const keys = ctx.keysOf(command)
    const clash = slotClash(keys, ctx)
    if (clash) add(out, profile, command, ctx, index, crossSlot(profile.name, clash, ctx, false))
  }
}

/** Records a violation with the redacted command (and its batch index). No closure: this runs per command. */
function add(
  out: Violation[],
  profile: Profile,
  command: GuardCommand,
  ctx: GuardContext,
  index: number | undefined,
  v: Omit<Violation, 'command' | 'index'>,
): void {
  const shown = redact(profile, command, ctx)
  out.push(index === undefined ? { ...v, command: shown } : { ...v, command: shown, index })
}

/**
 * The rules a command breaks by itself, whatever is around it and whatever it writes: refused
 * outright (KEYS, FLUSHALL without ASYNC...), an unbounded read, a blocking DEL. What the guard
 * judges inside a defineScript script (scripts.ts), where the TTL, durability and slot rules are
 * the script's own; an allowed command costs its classification only.
 */
export function checkStops(command: GuardCommand, context: GuardContext): readonly Violation[] {
  const max = context.maxRange ?? DEFAULT_MAX_RANGE
  const profile = classify(command, max)
  if (profile.refusal === undefined && !(profile.items > 0 && profile.read) && !profile.frees) return NONE
  const out: Violation[] = []
  stops(command, profile, context, max, out, undefined)
  return out.length === 0 ? NONE : out
}

function stops(
  command: GuardCommand,
  profile: Profile,
  ctx: GuardContext,
  max: number,
  out: Violation[],
  index: number | undefined,
): void {
  const refusal = profile.refusal
  if (refusal) {
    add(out, profile, command, ctx, index, {
      rule: refusal.rule,
      code: refusal.rule === 'keys' ? 'GUARD_KEYS' : 'GUARD_BLOCKING',
      message: refusal.message,
      fix: refusal.fix,
    })
  }
  if (profile.items > 0 && profile.read) {
    const found = unbounded(command, profile, profile.read, ctx, max)
    if (found)
      add(out, profile, command, ctx, index, {
        rule: 'unbounded',
        code: 'GUARD_UNBOUNDED',
        ...found,
        fix: withMax(profile.read.fix, max),
      })
  }
  if (profile.frees) {
    const big = firstBlockingToFree(ctx.keysOf(command), ctx, max)
    if (big !== undefined) {
      add(out, profile, command, ctx, index, {
        rule: 'blocking',
        code: 'GUARD_BLOCKING',
        key: big,
        message: `DEL frees its values on the main thread, and ${describeKey(big, ctx.declarationOf(big))}: freeing a large collection blocks every client`,
        fix: 'use UNLINK: the same reply, and large values are freed in a background thread',
        rewrite: ['UNLINK', ...command.slice(1)],
      })
    }
  }
}

// -- unbounded reads -------------------------------------------------------------------------

function unbounded(
  command: GuardCommand,
  profile: Profile,
  read: ReadRule,
  ctx: GuardContext,
  max: number,
): { message: string; key?: string } | undefined {
  const items = profile.items
  const asks = `${profile.name} asks for ${items} items, more than the ${max} one call may read`
  if (!read.declarationBounds || read.keys === 'none') return { message: asks }
  const keys = keysAt(read.keys, command, ctx)
  if (keys.length === 0) return undefined
  if (read.combine === 'each') {
    for (const key of keys) {
      const policy = ctx.declarationOf(key)
      if (Math.min(items, bound(policy)) > max) {
        const message = Number.isFinite(items)
          ? `${asks}, and ${describeKey(key, policy)}`
          : `${profile.name} ${read.what}, and ${describeKey(key, policy)}`
        return { message, key }
      }
    }
    return undefined
  }
  // Set algebra: union-like cost is the sum of the inputs, intersection-like the smallest.
  let total = read.combine === 'sum' ? 0 : Number.POSITIVE_INFINITY
  let loosest: string | undefined
  for (const key of keys) {
    const b = bound(ctx.declarationOf(key))
    if (b > max && loosest === undefined) loosest = key
    total = read.combine === 'sum' ? total + b : Math.min(total, b)
  }
  if (!(Math.min(items, total) > max)) return undefined
  const key = loosest ?? keys[0]!
  const why = Number.isFinite(total)
    ? `the declared bounds of its keys allow ${total} items, more than the ${max} one call may read`
    : describeKey(key, ctx.declarationOf(key))
  return { message: `${profile.name} ${read.what}, and ${why}`, key }
}

function bound(policy: KeyPolicy | undefined): number {
  return policy?.maxItems ?? Number.POSITIVE_INFINITY
}

function describeKey(key: string, policy: KeyPolicy | undefined): string {
  if (!policy) return `'${key}' is undeclared, so potentially large`
  if (policy.maxItems === undefined) return `'${key}' (entry '${policy.entry}') declares no maxItems`
  return `'${key}' (entry '${policy.entry}') may hold up to ${policy.maxItems} items`
}

function withMax(fix: string, max: number): string {
  return fix.replaceAll('the limit', String(max))
}

// -- blocking DEL ------------------------------------------------------------------------------

function firstBlockingToFree(keys: readonly string[], ctx: GuardContext, max: number): string | undefined {
  for (const key of keys) if (!smallToFree(ctx.declarationOf(key), max)) return key
  return undefined
}

function smallToFree(policy: KeyPolicy | undefined, max: number): boolean {
  if (!policy) return false
  if (policy.type !== undefined && VALUE_KINDS.has(policy.type)) return true
  return policy.maxItems !== undefined && policy.maxItems <= max
}

// -- durability --------------------------------------------------------------------------------

const ALL_GAPS: readonly DurabilityGap[] = ['aof', 'eviction', 'min-replicas']

/** Why a source-of-truth write would not survive, and what to set, for the gaps the client found. */
export function durabilityViolation(
  key: string,
  entry: string,
  gaps: readonly DurabilityGap[] = ALL_GAPS,
): { message: string; fix: string } {
  const known = gaps.length > 0 ? gaps : ALL_GAPS
  const why: string[] = []
  const fix: string[] = []
  if (known.includes('aof')) {
    why.push('a master lacks appendonly yes with appendfsync always|everysec (a restart loses writes)')
    fix.push('appendonly yes with appendfsync everysec (or always)')
  }
  if (known.includes('eviction')) {
    why.push('a master evicts keys with an allkeys-* maxmemory-policy')
    fix.push('maxmemory-policy noeviction or volatile-*')
  }
  if (known.includes('min-replicas')) {
    why.push(
      'a master with replicas has min-replicas-to-write 0: AOF alone does not survive a failover — the old master keeps accepting writes after a replica is promoted, and drops them when it resyncs as a replica',
    )
    fix.push(
      'min-replicas-to-write 1 with min-replicas-max-lag 1–10 on every data node (CONFIG SET and in the config file); to lose nothing, also replicas: n on the entry (or waitReplicas: n on the call), n = the number of replicas, so that each write waits until every replica has it',
    )
  }
  return {
    message: `'${key}' belongs to the source-of-truth entry '${entry}', but ${why.join('; and ')}`,
    fix: `set ${fix.join('; ')} — then db.checkDurability()`,
  }
}

function sourceOfTruthWritten(
  command: GuardCommand,
  profile: Profile,
  ctx: GuardContext,
  unknownWrite: boolean,
): { key: string; policy: KeyPolicy } | undefined {
  if (profile.mayWrite || unknownWrite) return firstSourceOfTruth(ctx.keysOf(command), ctx)
  for (const write of profile.writes) {
    const found = firstSourceOfTruth(keysAt(write.key, command, ctx), ctx)
    if (found) return found
  }
  return undefined
}

function firstSourceOfTruth(
  keys: readonly string[],
  ctx: GuardContext,
): { key: string; policy: KeyPolicy } | undefined {
  for (const key of keys) {
    const policy = ctx.declarationOf(key)
    if (policy?.sourceOfTruth) return { key, policy }
  }
  return undefined
}
