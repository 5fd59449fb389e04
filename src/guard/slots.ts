import { keySlot } from '../common/slot.js'
import { text } from './args.js'
import type { Profile } from './profile.js'
import { redact } from './redact.js'
import type { GuardCommand, GuardContext, Violation } from './types.js'

/**
 * The slot rule ("keys used together share a hash tag"): a multi-key command's keys, and in a
 * MULTI/EXEC every key of every command, must hash to one Cluster slot — checked here so a
 * CROSSSLOT is a refusal before sending, not an error in production.
 */

/** Two keys of one command or transaction in different slots. */
export interface Clash {
  readonly a: string
  readonly b: string
}

function slotOf(ctx: GuardContext, key: string): number {
  return ctx.slotOf ? ctx.slotOf(key) : keySlot(key)
}

/** The first two keys of one command that hash to different slots, if any. */
export function slotClash(keys: readonly string[], ctx: GuardContext): Clash | undefined {
  if (keys.length < 2) return undefined
  const first = keys[0]!
  const slot = slotOf(ctx, first)
  for (let i = 1; i < keys.length; i++) {
    if (slotOf(ctx, keys[i]!) !== slot) return { a: first, b: keys[i]! }
  }
  return undefined
}

/** The crossslot violation: where the two keys are and how to give them one slot. */
export function crossSlot(
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

/**
 * The slot rule across one transaction (a MULTI … EXEC, or an atomic batch): every key of every
 * command must share the slot of its first key. Only the first clash is reported.
 */
export class TransactionSlots {
  readonly #ctx: GuardContext
  /** An atomic batch (the client adds MULTI/EXEC) rather than the caller's own MULTI. */
  readonly #atomic: boolean
  readonly #out: Violation[]
  #first: { readonly key: string; readonly slot: number } | undefined
  #reported = false

  constructor(ctx: GuardContext, atomic: boolean, out: Violation[]) {
    this.#ctx = ctx
    this.#atomic = atomic
    this.#out = out
  }

  /** Checks the keys of the batch's command number `index`. */
  check(command: GuardCommand, profile: Profile, index: number): void {
    const at = profile.keys
    if (this.#reported || at === 'none') return
    if (typeof at === 'number') {
      if (at < command.length) this.#key(text(command[at]), command, profile, index)
      return
    }
    for (const key of this.#ctx.keysOf(command)) {
      this.#key(key, command, profile, index)
      if (this.#reported) return
    }
  }

  #key(key: string, command: GuardCommand, profile: Profile, index: number): void {
    const slot = slotOf(this.#ctx, key)
    if (this.#first === undefined) {
      this.#first = { key, slot }
      return
    }
    if (slot === this.#first.slot) return
    const v = crossSlot(profile.name, { a: this.#first.key, b: key }, this.#ctx, true)
    this.#out.push({
      ...v,
      fix: this.#atomic ? v.fix : `${v.fix} (commands between MULTI and EXEC run as one transaction)`,
      command: redact(profile, command, this.#ctx),
      index,
    })
    this.#reported = true
  }
}
