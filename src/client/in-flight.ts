import type { Reply } from '../common/types.js'
import type { RedisExpertError } from '../errors.js'
import { named, timedOut } from './connection-failures.js'

/**
 * The commands in flight on one connection (connection.ts) and the deadline of each. Replies
 * come back in the order the commands were written, so the commands are a FIFO ring of slots —
 * resolve, reject, arguments, deadline, flags in parallel arrays, slot = seq & mask — with no
 * object per command beyond its promise.
 *
 * Deadlines are checked by one sweep per tick, not a timer per command. The oldest command
 * overdue means nothing behind it can be answered: the connection is stuck. A command due
 * *before* one ahead of it (a short timeout behind a long one) is "out of order": the sweep
 * fails it alone at its own deadline and marks its slot ABANDONED, so that its reply, when it
 * comes, is read and dropped.
 *
 * A base class rather than a field of Connection: the hot path (a command in, its reply out)
 * reads and writes these slots straight off the connection, in Connection's own methods, with
 * no object and no call in between; what is here is the storage and the cold work — growing
 * the ring, the sweep, failing everything in flight.
 */

export type Resolve = (reply: Reply) => void
export type Reject = (error: unknown) => void

// Slot flags.
/** Bulk strings of the reply as Buffers. */
export const BUFFERS = 1
/** The caller was already told (COMMAND_TIMEOUT): the reply is read and dropped. */
export const ABANDONED = 2
/** Inside MULTI: a redirection fails the transaction instead of moving the command. */
export const NO_REDIRECT = 4
/** Strings as bytes, one char per byte, both ways (the codec's latin1 mode). */
export const LATIN1 = 8
/** An error reply resolves as a ReplyError value instead of rejecting (a batch's commands). */
export const ERROR_VALUE = 16

export const noop = () => {}

/** A promise's resolving functions, taken by one shared executor: no closure per command. */
export const captured: { resolve: Resolve; reject: Reject } = { resolve: noop, reject: noop }
export function capture(resolve: Resolve, reject: Reject): void {
  captured.resolve = resolve
  captured.reject = reject
}

/** A sweep tick fine enough for the timeouts' precision, coarse enough to cost nothing. */
export function tickFor(timeoutMs: number): number {
  return Math.min(100, Math.max(5, Math.round(timeoutMs / 20)))
}

export abstract class InFlight {
  protected resolves: (Resolve | undefined)[] = new Array(1024)
  protected rejects: (Reject | undefined)[] = new Array(1024)
  protected commands: (readonly (string | Buffer)[] | undefined)[] = new Array(1024)
  protected deadlines = new Float64Array(1024)
  protected flags = new Uint8Array(1024)
  protected mask = 1023
  /** The oldest command in flight (its seq); `head === tail`: none. */
  protected head = 0
  protected tail = 0
  /** The latest deadline of any command issued; a command due earlier is "out of order". */
  protected frontier = 0
  /** Commands up to this seq may be due before the head: the sweep looks at each of them. */
  protected unorderedUntil = -1
  // Time as commands experience it: a stretch in which the event loop did not turn counts as
  // two ticks at most, so a busy process does not blame the server for replies it has not read.
  protected readonly tickMs: number
  protected now = Date.now()
  #lastWall = this.now

  constructor(commandTimeoutMs: number) {
    this.tickMs = tickFor(commandTimeoutMs)
  }

  get pending(): number {
    return this.tail - this.head
  }

  /**
   * One tick: advances the clock and fails the out-of-order commands now overdue (COMMAND_TIMEOUT).
   * Returns true when the oldest command is overdue: the connection is stuck.
   */
  protected sweep(): boolean {
    const wall = Date.now()
    this.now += Math.min(Math.max(0, wall - this.#lastWall), 2 * this.tickMs)
    this.#lastWall = wall
    if (this.head === this.tail) return false
    const now = this.now
    const mask = this.mask
    // The oldest command is overdue: nothing behind it can be answered.
    if ((this.deadlines[this.head & mask] as number) <= now) return true
    if (this.unorderedUntil < this.head) return false
    for (let seq = this.head + 1; seq <= this.unorderedUntil; seq++) {
      const slot = seq & mask
      const flags = this.flags[slot] as number
      if ((flags & ABANDONED) !== 0 || (this.deadlines[slot] as number) > now) continue
      this.flags[slot] = flags | ABANDONED
      ;(this.rejects[slot] as Reject)(timedOut(this.commands[slot]?.[0]))
    }
    return false
  }

  /** The connection is gone: every command in flight fails, COMMAND_TIMEOUT if overdue, else `error`. */
  protected failAll(error: RedisExpertError): void {
    const now = this.now
    while (this.head !== this.tail) {
      const slot = this.head++ & this.mask
      const reject = this.rejects[slot] as Reject
      const flags = this.flags[slot] as number
      const overdue = (this.deadlines[slot] as number) <= now
      const name = this.commands[slot]?.[0]
      this.clear(slot)
      if ((flags & ABANDONED) === 0) reject(overdue ? timedOut(name) : named(error, name))
    }
  }

  /** Lets go of a settled slot's references (its deadline and flags are overwritten on reuse). */
  protected clear(slot: number): void {
    this.resolves[slot] = undefined
    this.rejects[slot] = undefined
    this.commands[slot] = undefined
  }

  /** Twice the slots, the commands in flight kept at their seq. */
  protected grow(): void {
    const size = this.resolves.length * 2
    const resolves: (Resolve | undefined)[] = new Array(size)
    const rejects: (Reject | undefined)[] = new Array(size)
    const commands: (readonly (string | Buffer)[] | undefined)[] = new Array(size)
    const deadlines = new Float64Array(size)
    const flags = new Uint8Array(size)
    for (let seq = this.head; seq < this.tail; seq++) {
      const from = seq & this.mask
      const to = seq & (size - 1)
      resolves[to] = this.resolves[from]
      rejects[to] = this.rejects[from]
      commands[to] = this.commands[from]
      deadlines[to] = this.deadlines[from] as number
      flags[to] = this.flags[from] as number
    }
    this.resolves = resolves
    this.rejects = rejects
    this.commands = commands
    this.deadlines = deadlines
    this.flags = flags
    this.mask = size - 1
  }
}
