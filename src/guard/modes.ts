import { AsyncLocalStorage } from 'node:async_hooks'
import { EventEmitter } from 'node:events'
import { strictOptions } from '../common/validate.js'
import { invalidArgument } from '../errors.js'
import { GuardError } from './errors.js'
import { checkBatch, checkCommand } from './policy.js'
import {
  GUARD_CODES,
  type GuardBatchOptions,
  type GuardCode,
  type GuardCommand,
  type GuardContext,
  type Violation,
} from './types.js'

/** strict: refuse (throw); warn: emit a `violation` event and go on; off: do not even look. */
export type GuardMode = 'strict' | 'warn' | 'off'

/** The guard's modes: strict throws, warn emits and sends, off skips the checks. */
export const GUARD_MODES: readonly GuardMode[] = ['strict', 'warn', 'off']

/** What happened to a violation. */
export type GuardAction = 'refused' | 'warned' | 'allowed' | 'rewritten'

/** The payload of the `violation` event: the violation, the mode, what was done, and the reason. */
export interface GuardEvent extends Violation {
  readonly mode: GuardMode
  readonly action: GuardAction
  /** Why an escape hatch let it through (db.unsafe's reason, or the per-call allow list). */
  readonly reason?: string
}

/** The guard's counters since start, for metrics and `db.stats()`. */
export interface GuardStats {
  readonly mode: GuardMode
  /** Violations seen per code, whatever was done about them. */
  readonly violations: Readonly<Record<GuardCode, number>>
  readonly refused: number
  readonly warned: number
  readonly allowed: number
  /** Commands replaced by a drop-in that satisfies the rule (DEL → UNLINK). */
  readonly rewritten: number
  /**
   * Whole reads of a bounded entry (hash get, set members, zset and list ranges) whose reply held
   * more items than the declared maxItems: the declaration that allowed them is wrong. Each is
   * also a GUARD_UNBOUNDED violation (refused in strict, warned in warn).
   */
  readonly exceeded: number
}

/** Per-call exceptions to the guard's mode: an `unsafe` reason or accepted codes. */
export interface EnforceOptions {
  /** Let every violation through, reported with this reason (what db.unsafe passes). */
  readonly unsafeReason?: string
  /** Codes this one call accepts, e.g. `['GUARD_UNBOUNDED']`; reported as allowed. */
  readonly allow?: readonly GuardCode[]
}

/** Options of `db.unsafe`: the reason, logged with every violation let through. */
export interface UnsafeOptions {
  /** Why the hard stops do not apply here; required, reported with every violation let through. */
  readonly reason: string
}

interface GuardEvents {
  violation: [GuardEvent]
}

/** The reason of an escape hatch: a non-empty string, or an INVALID_ARGUMENT error. */
export function assertReason(options: unknown): string {
  const reason = (options as { reason?: unknown } | null | undefined)?.reason
  if (typeof reason !== 'string' || reason.trim() === '') {
    throw invalidArgument(
      "unsafe() needs { reason: '...' }: a non-empty string saying why the guard may be bypassed",
    )
  }
  return reason
}

/** The guard mode, checked: INVALID_ARGUMENT naming the three modes for anything else. */
export function assertMode(mode: unknown): GuardMode {
  if (!GUARD_MODES.includes(mode as GuardMode)) {
    throw invalidArgument(`guard mode must be one of ${GUARD_MODES.join(', ')}; got ${String(mode)}`)
  }
  return mode as GuardMode
}

/**
 * Applies a mode to violations and keeps count. One Guard per connected client; `active` tells the
 * hot path whether to compute violations at all (off: it must not).
 */
export class Guard extends EventEmitter<GuardEvents> {
  #mode: GuardMode
  readonly #scope = new AsyncLocalStorage<string>()
  readonly #violations: Record<GuardCode, number> = zeroCounts()
  #refused = 0
  #warned = 0
  #allowed = 0
  #rewritten = 0
  #exceeded = 0

  constructor(mode: GuardMode = 'strict') {
    super()
    this.#mode = assertMode(mode)
  }

  get mode(): GuardMode {
    return this.#mode
  }

  set mode(mode: GuardMode) {
    this.#mode = assertMode(mode)
  }

  /** False in 'off' mode: callers skip checkCommand/checkBatch entirely. */
  get active(): boolean {
    return this.#mode !== 'off'
  }

  /** The reason of the innermost `unsafe` scope the caller runs in, if any. */
  get unsafeReason(): string | undefined {
    return this.#scope.getStore()
  }

  /**
   * Runs `fn` (sync or async) with the guard bypassed: violations inside are allowed and reported
   * with `reason`. The scope follows async continuations started inside `fn` (AsyncLocalStorage).
   */
  unsafe<T>(options: UnsafeOptions, fn: () => T): T {
    const reason = assertReason(options)
    strictOptions('unsafe options', options, ['reason'])
    if (typeof fn !== 'function') throw invalidArgument('unsafe() needs a function to run')
    return this.#scope.run(reason, fn)
  }

  /** checkCommand + enforce; nothing at all when off. */
  check(command: GuardCommand, context: GuardContext, options?: EnforceOptions): void {
    if (this.#mode === 'off') return
    const violations = checkCommand(command, context)
    if (violations.length > 0) this.enforce(violations, options)
  }

  /** checkBatch + enforce; nothing at all when off. */
  checkBatch(
    commands: readonly GuardCommand[],
    batch: GuardBatchOptions,
    context: GuardContext,
    options?: EnforceOptions,
  ): void {
    if (this.#mode === 'off') return
    const violations = checkBatch(commands, batch, context)
    if (violations.length > 0) this.enforce(violations, options)
  }

  /**
   * strict: throws the first violation not let through by an escape hatch, as a GuardError (every
   * violation is still counted and emitted); warn: emits and returns; off: does nothing.
   */
  enforce(violations: readonly Violation[], options?: EnforceOptions): void {
    if (this.#mode === 'off' || violations.length === 0) return
    const mode = this.#mode
    const unsafeReason = options?.unsafeReason ?? this.#scope.getStore()
    if (options?.unsafeReason !== undefined) assertReason({ reason: options.unsafeReason })
    const refused: Violation[] = []
    for (const violation of violations) {
      this.#violations[violation.code]++
      let action: GuardAction
      let reason: string | undefined
      if (unsafeReason !== undefined) {
        action = 'allowed'
        reason = unsafeReason
      } else if (options?.allow?.includes(violation.code)) {
        action = 'allowed'
        reason = `allow: ${violation.code}`
      } else {
        action = mode === 'strict' ? 'refused' : 'warned'
      }
      if (action === 'allowed') this.#allowed++
      else if (action === 'warned') this.#warned++
      else {
        this.#refused++
        refused.push(violation)
      }
      const event: GuardEvent =
        reason === undefined ? { ...violation, mode, action } : { ...violation, mode, action, reason }
      this.emit('violation', event)
    }
    if (refused.length > 0) throw new GuardError(refused[0]!, refused)
  }

  /**
   * Records that a violating command was replaced by its `rewrite` (DEL → UNLINK) instead of
   * being refused: counted and reported, in strict and warn alike.
   */
  rewrote(violation: Violation): void {
    if (this.#mode === 'off') return
    this.#violations[violation.code]++
    this.#rewritten++
    this.emit('violation', { ...violation, mode: this.#mode, action: 'rewritten' })
  }

  /**
   * A read already done returned more than its declared bound (`violation.rule` 'unbounded'):
   * counted in `exceeded`, then enforced like any violation — strict throws it (the caller learns
   * the declaration is wrong; the data stays in Redis), warn emits it, an escape hatch allows it.
   */
  exceededBound(violation: Violation): void {
    if (this.#mode === 'off') return
    this.#exceeded++
    this.enforce([violation])
  }

  /** The mode and the counts of violations per code, refused, warned and allowed ones. */
  stats(): GuardStats {
    return {
      mode: this.#mode,
      violations: { ...this.#violations },
      refused: this.#refused,
      warned: this.#warned,
      allowed: this.#allowed,
      rewritten: this.#rewritten,
      exceeded: this.#exceeded,
    }
  }

  /** Zeroes the counters (for tests and per-interval metrics). */
  resetStats(): void {
    for (const code of GUARD_CODES) this.#violations[code] = 0
    this.#refused = 0
    this.#warned = 0
    this.#allowed = 0
    this.#rewritten = 0
    this.#exceeded = 0
  }
}

function zeroCounts(): Record<GuardCode, number> {
  const counts = {} as Record<GuardCode, number>
  for (const code of GUARD_CODES) counts[code] = 0
  return counts
}
