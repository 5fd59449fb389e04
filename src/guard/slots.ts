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

/** The first key of a MULTI: every later key must share its slot. `reported` once a clash was found. */
export interface Anchor {
  readonly key: string
  readonly slot: number
  readonly index: number
  reported: boolean
}

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

/** Checks one command of a MULTI against the slot of the transaction's first key. */
export function sameSlot(
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
