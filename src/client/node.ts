import type { BucketedDeadlines, LoopClock } from './deadlines.js'
import type { NodeSender } from './driver.js'
import { translateError } from './errors.js'
import type { GuardGate } from './gate.js'
import type { BatchOptions, CallOptions, Command, Executor, Reply } from './types.js'
import { pipelineReplies, settleBatch, wireArgs } from './wire.js'

/**
 * One server of the deployment (the server itself, or one Cluster master), for work that
 * must visit every master: SCAN, INFO, the probe, the audit. Same guard, errors and
 * timeouts as the client; no routing.
 */
export class NodeExecutor implements Executor {
  readonly address: string
  readonly #sender: NodeSender
  readonly #deadlines: BucketedDeadlines
  readonly #clock: LoopClock
  readonly #timeoutMs: number
  readonly #gate: GuardGate

  constructor(
    sender: NodeSender,
    deadlines: BucketedDeadlines,
    clock: LoopClock,
    timeoutMs: number,
    gate: GuardGate,
  ) {
    this.address = sender.address
    this.#sender = sender
    this.#deadlines = deadlines
    this.#clock = clock
    this.#timeoutMs = timeoutMs
    this.#gate = gate
  }

  async call<T extends Reply = Reply>(command: Command, options?: CallOptions): Promise<T> {
    const args = wireArgs(this.#gate.active ? this.#gate.command(command, options?.allow) : command)
    const tick = this.#deadlines.track(this.#clock.deadline(options?.timeoutMs ?? this.#timeoutMs))
    try {
      return (await this.#sender.send(args, options?.buffers === true)) as T
    } catch (error) {
      throw translateError(error, command, this.#deadlines.isOverdue(tick, this.#clock.now))
    } finally {
      this.#deadlines.done(tick)
    }
  }

  async batch(commands: readonly Command[], options?: BatchOptions): Promise<Reply[]> {
    const checked = this.#gate.active
      ? this.#gate.batch(commands, options?.atomic === true, options?.allow)
      : commands
    const wire = checked.map(wireArgs)
    const tick = this.#deadlines.track(this.#clock.deadline(options?.timeoutMs ?? this.#timeoutMs))
    const overdue = () => this.#deadlines.isOverdue(tick, this.#clock.now)
    try {
      if (options?.atomic !== true) {
        // A pipeline: commands issued back to back leave in one write; no MULTI machinery.
        const buffers = options?.buffers === true
        const sends = wire.map((args) => this.#sender.send(args, buffers))
        return await pipelineReplies(sends, checked, (error, command) =>
          translateError(error, command, overdue()),
        )
      }
      return await settleBatch(
        commands,
        () => this.#sender.sendBatch(wire, options?.atomic === true, options?.buffers === true),
        (error) => translateError(error, ['MULTI'], overdue()),
      )
    } finally {
      this.#deadlines.done(tick)
    }
  }
}
