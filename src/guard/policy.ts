import { keySlot } from '../common/slot.js'
import { MAX_TTL_MS } from '../common/ttl.js'
import { strictOptions } from '../common/validate.js'
import { invalidArgument } from '../errors.js'
import { assertCommand, text } from './args.js'
import { classify } from './classify.js'
import { type KeySel, type Profile, type ReadRule, type TtlEffect, UNKNOWN_WRITES } from './profile.js'
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
 * allocates nothing.
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
  let group: Anchor | undefined
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
    if (grouped && group?.reported !== true)
      group = sameSlot(command, profile, context, i, group, atomic, out)
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

// -- TTL ---------------------------------------------------------------------------------------

/** Persistent and source-of-truth keys need no TTL; keepsTtl keys are only ever updated in place. */
function exemptFromTtl(policy: KeyPolicy | undefined, effect: TtlEffect): boolean {
  if (!policy) return false
  if (policy.persistent || policy.sourceOfTruth) return true
  return effect === 'creates' && policy.keepsTtl === true
}

type TtlViolation = Omit<Violation, 'command' | 'index'>

function ttlViolation(
  profile: Profile,
  key: string,
  effect: TtlEffect,
  batch: boolean,
  source?: string,
): TtlViolation {
  const name = profile.name
  const declare = 'or declare the key persistent (or keepsTtl, when the toolkit creates it with a TTL)'
  const base = { rule: 'ttl-required', code: 'GUARD_TTL_REQUIRED', key } as const
  if (effect === 'inherits') {
    const from = source === undefined ? 'its source' : `'${source}'`
    return {
      ...base,
      message: `${name} gives '${key}' the TTL of ${from}, which may have none (declared persistent or source-of-truth, or written without one in this batch), and ${batch ? 'nothing after it in the batch gives it one' : 'nothing in the same call gives it one'}`,
      fix: `send PEXPIRE ${key} <ms> after it in the same MULTI (the destination's declaration wants a TTL), ${declare}`,
    }
  }
  if (effect === 'creates') {
    const where = batch
      ? 'nothing after it in the batch gives it one'
      : 'nothing in the same call gives it one'
    return {
      ...base,
      message: `${name} creates '${key}' without a TTL when it does not exist, and ${where}`,
      fix: `send PEXPIRE ${key} <ms> after it in the same pipeline or MULTI (typed keyspace operations do this), ${declare}`,
    }
  }
  if (effect === 'persists') {
    return {
      ...base,
      message: `${name} removes the TTL of '${key}'${batch ? ', and nothing after it in the batch gives one back' : ''}`,
      fix: `keep the TTL (SET .. KEEPTTL XX, or PEXPIRE after it), ${declare}`,
    }
  }
  const setLike = name === 'SET' || name === 'GETSET' || name === 'MSET' || name === 'RESTORE'
  return {
    ...base,
    message: `${name} leaves '${key}' without a TTL${setLike && name !== 'RESTORE' ? ' (no EX/PX/EXAT/PXAT)' : ''}${batch ? ', and nothing after it in the batch gives it one' : ''}`,
    fix:
      name === 'SET'
        ? `add PX <ms> (or EX) to the SET, ${declare}`
        : `send PEXPIRE ${key} <ms> after it in the same pipeline or MULTI, ${declare}`,
  }
}

const GONE = 1
const NO_TTL = 2
const HAS_TTL = 3

/**
 * Per-key state, packed in one number so a batch allocates no object per key: bits 0-1 the TTL
 * state (0 unknown: as before the batch, GONE, NO_TTL, HAS_TTL), bit 2 exempt (persistent or
 * source of truth), bit 3 keepsTtl, and above them (× CAUSE) the index of the command that left the
 * key without a TTL.
 */
const STATE = 3
const EXEMPT = 4
const KEEPS = 8
const CAUSE = 16

/**
 * key → packed state, in insertion order. A typical batch touches a handful of keys, where a linear
 * scan of two arrays beats a Map (cheaper to create, no hashing); past 16 keys a Map indexes them.
 */
class KeyStates {
  readonly #keys: string[] = []
  readonly #values: number[] = []
  #index: Map<string, number> | undefined

  get size(): number {
    return this.#keys.length
  }

  keyAt(i: number): string {
    return this.#keys[i]!
  }

  valueAt(i: number): number {
    return this.#values[i]!
  }

  get(key: string): number | undefined {
    const i = this.#find(key)
    return i < 0 ? undefined : this.#values[i]
  }

  set(key: string, value: number): void {
    const i = this.#find(key)
    if (i >= 0) {
      this.#values[i] = value
      return
    }
    this.#index?.set(key, this.#keys.length)
    this.#keys.push(key)
    this.#values.push(value)
    if (!this.#index && this.#keys.length > 16) this.#index = new Map(this.#keys.map((k, j) => [k, j]))
  }

  #find(key: string): number {
    if (this.#index) return this.#index.get(key) ?? -1
    const keys = this.#keys
    for (let i = 0; i < keys.length; i++) if (keys[i] === key) return i
    return -1
  }
}

/** Runs the batch through a small state machine per key; a key that ends without a TTL is a violation. */
function batchTtl(commands: readonly GuardCommand[], ctx: GuardContext, max: number, out: Violation[]): void {
  const keys = new KeyStates()
  // Keys currently without a TTL: when it ends at 0 there is nothing to report or to walk.
  let pending = 0
  for (let i = 0; i < commands.length; i++) {
    const command = commands[i]!
    const profile = classify(command, max)
    const writes = profile.unknown && ctx.isWrite?.(command) === true ? UNKNOWN_WRITES : profile.writes
    for (const write of writes) {
      const from =
        write.from === undefined ? 0 : sourceState(packedState(keys, text(command[write.from]), ctx))
      const sel = write.key
      if (typeof sel === 'number') {
        if (sel < command.length) pending += step(keys, text(command[sel]), write.ttl, from, i, ctx)
      } else {
        for (const key of keysAt(sel, command, ctx)) pending += step(keys, key, write.ttl, from, i, ctx)
      }
    }
  }
  if (pending === 0) return
  for (let k = 0; k < keys.size; k++) {
    const key = keys.keyAt(k)
    const packed = keys.valueAt(k)
    if ((packed & STATE) !== NO_TTL || packed & EXEMPT) continue
    const index = Math.floor(packed / CAUSE)
    const command = commands[index]!
    const profile = classify(command, max)
    const effect = effectOn(profile, command, key, ctx)
    const source = effect === 'inherits' ? inheritedFrom(profile, command, key, ctx) : undefined
    const v = ttlViolation(profile, key, effect, true, source)
    out.push({ ...v, command: redact(profile, command, ctx), index })
  }
}

/**
 * The TTL state a RENAME/COPY destination inherits: the source's as the batch left it; for a
 * source declared persistent or source-of-truth that the batch did not write with a TTL, none.
 */
function sourceState(packed: number): number {
  const state = packed & STATE
  return packed & EXEMPT && state !== HAS_TTL && state !== GONE ? NO_TTL : state
}

function packedState(keys: KeyStates, key: string, ctx: GuardContext): number {
  let packed = keys.get(key)
  if (packed === undefined) {
    const policy = ctx.declarationOf(key)
    packed = 0
    if (policy?.persistent || policy?.sourceOfTruth) packed |= EXEMPT
    if (policy?.keepsTtl) packed |= KEEPS
    keys.set(key, packed)
  }
  return packed
}

/** Applies one write to one key; returns the change in the number of keys without a TTL. */
function step(
  keys: KeyStates,
  key: string,
  effect: TtlEffect,
  from: number,
  index: number,
  ctx: GuardContext,
): number {
  const packed = packedState(keys, key, ctx)
  const state = packed & STATE
  if (packed & EXEMPT) {
    // Exempt keys are never reported; their state is kept only for what RENAME/COPY inherit from them.
    const next = transition(state, effect, from)
    if (next !== state) keys.set(key, (packed & ~STATE) + next)
    return 0
  }
  const next = transition(state, packed & KEEPS && effect === 'creates' ? 'keeps' : effect, from)
  if (next === state) return 0
  const cause = next === NO_TTL ? index : Math.floor(packed / CAUSE)
  keys.set(key, cause * CAUSE + (packed & (EXEMPT | KEEPS)) + next)
  return next === NO_TTL ? 1 : state === NO_TTL ? -1 : 0
}

function inheritedFrom(
  profile: Profile,
  command: GuardCommand,
  key: string,
  ctx: GuardContext,
): string | undefined {
  for (const write of profile.writes)
    if (write.ttl === 'inherits' && keysAt(write.key, command, ctx).includes(key))
      return keysAt(write.from ?? 1, command, ctx)[0]
  return undefined
}

/** The TTL effect a command had on a key (for the message of a batch TTL violation). */
function effectOn(profile: Profile, command: GuardCommand, key: string, ctx: GuardContext): TtlEffect {
  if (profile.unknown) return 'creates'
  for (const write of profile.writes) {
    if (
      write.ttl === 'creates' ||
      write.ttl === 'clears' ||
      write.ttl === 'persists' ||
      write.ttl === 'inherits'
    ) {
      if (keysAt(write.key, command, ctx).includes(key)) return write.ttl
    }
  }
  return 'clears'
}

function transition(state: number, effect: TtlEffect, from: number): number {
  switch (effect) {
    case 'with-ttl':
      return HAS_TTL
    case 'expires':
      return state === NO_TTL ? HAS_TTL : state
    case 'creates':
      return state === HAS_TTL ? HAS_TTL : NO_TTL
    case 'clears':
      return NO_TTL
    case 'persists':
      return state === GONE ? GONE : NO_TTL
    case 'keeps':
      return state
    case 'deletes':
      return GONE
    case 'inherits':
      return from
  }
}

// -- slots -------------------------------------------------------------------------------------

interface Anchor {
  readonly key: string
  readonly slot: number
  readonly index: number
  reported: boolean
}

interface Clash {
  readonly a: string
  readonly b: string
}

function slotOf(ctx: GuardContext, key: string): number {
  return ctx.slotOf ? ctx.slotOf(key) : keySlot(key)
}

function slotClash(keys: readonly string[], ctx: GuardContext): Clash | undefined {
  if (keys.length < 2) return undefined
  const first = keys[0]!
  const slot = slotOf(ctx, first)
  for (let i = 1; i < keys.length; i++) {
    if (slotOf(ctx, keys[i]!) !== slot) return { a: first, b: keys[i]! }
  }
  return undefined
}

function crossSlot(
  name: string,
  clash: Clash,
  ctx: GuardContext,
  transaction: boolean,
): Omit<Violation, 'command'> {
  const where = transaction ? `this MULTI (at ${name}) uses` : `${name} addresses`
  return {
    rule: 'crossslot',
    code: 'GUARD_CROSSSLOT',
    key: clash.b,
    message: `${where} '${clash.a}' (slot ${slotOf(ctx, clash.a)}) and '${clash.b}' (slot ${slotOf(ctx, clash.b)}), which a Cluster refuses with CROSSSLOT`,
    fix: "give the keys one hash tag so they share a slot, e.g. '{user:42}:cart' and '{user:42}:orders'",
  }
}

/** Checks one command of a MULTI against the slot of the transaction's first key. */
function sameSlot(
  command: GuardCommand,
  profile: Profile,
  ctx: GuardContext,
  index: number,
  anchor: Anchor | undefined,
  atomic: boolean,
  out: Violation[],
): Anchor | undefined {
  const at = profile.keys
  if (at === 'none') return anchor
  if (typeof at === 'number') {
    if (at >= command.length) return anchor
    return checkKey(text(command[at]), command, profile, ctx, index, anchor, atomic, out)
  }
  for (const key of ctx.keysOf(command)) {
    anchor = checkKey(key, command, profile, ctx, index, anchor, atomic, out)
    if (anchor.reported) break
  }
  return anchor
}

function checkKey(
  key: string,
  command: GuardCommand,
  profile: Profile,
  ctx: GuardContext,
  index: number,
  anchor: Anchor | undefined,
  atomic: boolean,
  out: Violation[],
): Anchor {
  const slot = slotOf(ctx, key)
  if (!anchor) return { key, slot, index, reported: false }
  if (slot !== anchor.slot) {
    const v = crossSlot(profile.name, { a: anchor.key, b: key }, ctx, true)
    out.push({
      ...v,
      fix: atomic ? v.fix : `${v.fix} (commands between MULTI and EXEC run as one transaction)`,
      command: redact(profile, command, ctx),
      index,
    })
    anchor.reported = true
  }
  return anchor
}

// -- keys and redaction --------------------------------------------------------------------------

function keysAt(sel: KeySel, command: GuardCommand, ctx: GuardContext): readonly string[] {
  if (typeof sel === 'number') return sel < command.length ? [text(command[sel])] : []
  const all = ctx.keysOf(command)
  return sel === 'all' ? all : all.slice(1)
}

const SHOWN_KEYS = 4
const SHOWN_KEY_LENGTH = 100

/** The command name (and subcommand) and its keys: values never appear in an error or event. */
export function redact(profile: Profile, command: GuardCommand, ctx: GuardContext): string {
  const at = profile.keys
  const keys =
    at === 'none'
      ? []
      : typeof at === 'number'
        ? at < command.length
          ? [text(command[at])]
          : []
        : ctx.keysOf(command)
  let out = profile.name
  for (let i = 0; i < keys.length && i < SHOWN_KEYS; i++) out += ` ${showKey(keys[i]!)}`
  if (keys.length > SHOWN_KEYS) out += ` …(+${keys.length - SHOWN_KEYS} keys)`
  return out
}

function showKey(key: string): string {
  const cut = key.length > SHOWN_KEY_LENGTH ? `${key.slice(0, SHOWN_KEY_LENGTH)}…` : key
  // Quote keys that would be ambiguous in one line of text (spaces, quotes, control bytes).
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control bytes are exactly what is looked for
  return /[\s"'\\\u0000-\u001f\u007f]/.test(cut) || cut === '' ? JSON.stringify(cut) : cut
}
