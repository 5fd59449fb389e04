import type { RedisExpertError } from '../errors.js'
import type { Command, RedisArg, Reply } from './types.js'

/**
 * The commands in flight on one connection, and their deadlines, at no per-command cost
 * beyond two counters and an array slot.
 *
 * Replies on a connection come back in the order the commands were sent, so the in-flight
 * commands are a FIFO: command number `completed` is always the oldest one. The reply
 * handlers are created once per connection (no closure per command, which would double
 * the garbage of a busy pipeline), and find the command a reply belongs to by position.
 * Only the command's name is kept, for error messages: holding the whole argument array
 * until the reply would keep every in-flight command alive through garbage collections.
 *
 * Deadlines follow the same order: a command cannot be answered before those sent ahead
 * of it, so its effective deadline is the latest deadline of any command up to it (the
 * `frontier`). A sweep, once per tick, records marks `{ seq, deadline }` — "every command
 * before `seq` is due by `deadline`" — and reports the connection stuck when the oldest
 * unanswered mark is past due.
 */
export class OrderedInFlight {
  issued = 0
  completed = 0
  #ring: (RedisArg | undefined)[] = new Array(1024)
  #mask = 1023
  #frontier = 0
  readonly #marks: { seq: number; deadline: number }[] = []
  /** Set when the connection is abandoned because a command timed out: commands before it timed out. */
  #timedOutBefore = -1

  constructor(readonly translate: (error: unknown, command: Command, overdue: boolean) => RedisExpertError) {}

  /** Records a command about to be sent; `deadline` is an absolute time in ms. */
  issue(command: Command, deadline: number): void {
    if (this.issued - this.completed > this.#mask) this.#grow()
    this.#ring[this.issued & this.#mask] = command[0]
    this.issued++
    if (deadline > this.#frontier) this.#frontier = deadline
  }

  readonly onReply = (reply: Reply): Reply => {
    this.#ring[this.completed & this.#mask] = undefined
    this.completed++
    return reply
  }

  readonly onError = (error: unknown): never => {
    const at = this.completed
    const name = this.#ring[at & this.#mask] ?? '?'
    this.#ring[at & this.#mask] = undefined
    this.completed++
    throw this.translate(error, [name], at < this.#timedOutBefore)
  }

  /** Called once per tick. True when the oldest command in flight is past its deadline. */
  sweep(now: number): boolean {
    const last = this.#marks[this.#marks.length - 1]
    if (this.issued > (last?.seq ?? 0)) this.#marks.push({ seq: this.issued, deadline: this.#frontier })
    while (this.#marks.length > 0 && (this.#marks[0] as { seq: number }).seq <= this.completed)
      this.#marks.shift()
    const oldest = this.#marks[0]
    if (!oldest || oldest.deadline > now) return false
    this.#timedOutBefore = oldest.seq
    return true
  }

  get pending(): number {
    return this.issued - this.completed
  }

  #grow(): void {
    const size = this.#ring.length * 2
    const ring: (RedisArg | undefined)[] = new Array(size)
    for (let seq = this.completed; seq < this.issued; seq++)
      ring[seq & (size - 1)] = this.#ring[seq & this.#mask]
    this.#ring = ring
    this.#mask = size - 1
  }
}
