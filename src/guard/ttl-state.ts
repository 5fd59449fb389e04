import { text } from './args.js'
import { classify } from './classify.js'
import { type Profile, type TtlEffect, UNKNOWN_WRITES } from './profile.js'
import { keysAt, redact } from './redact.js'
import type { GuardCommand, GuardContext, KeyPolicy, Violation } from './types.js'

/**
 * The TTL rule ("never write a cache key without a TTL") across a batch. A key may be written
 * without a TTL by one command as long as a later command of the same batch gives it one (or
 * deletes it); `batchTtl` follows every key through the batch with a small state machine, packed in
 * one number per key, and reports the keys that end without a TTL. Also here: which declarations
 * exempt a key, and the sentences of a TTL violation (policy.ts uses them for single commands).
 */

/** Persistent and source-of-truth keys need no TTL; keepsTtl keys are only ever updated in place. */
export function exemptFromTtl(policy: KeyPolicy | undefined, effect: TtlEffect): boolean {
  if (!policy) return false
  if (policy.persistent || policy.sourceOfTruth) return true
  return effect === 'creates' && policy.keepsTtl === true
}

export type TtlViolation = Omit<Violation, 'command' | 'index'>

/** The TTL violation of `effect` on `key`: the sentence and the fix, for one command or a batch. */
export function ttlViolation(
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
export function batchTtl(
  commands: readonly GuardCommand[],
  ctx: GuardContext,
  max: number,
  out: Violation[],
): void {
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
