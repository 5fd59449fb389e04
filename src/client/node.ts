import type { BatchOptions, CallOptions, Command, Executor, Reply } from '../common/types.js'
import { translateError } from './errors.js'
import type { GuardGate } from './gate.js'
import type { NodeSender } from './topology.js'
import { pipelineReplies, settleBatch, wireArgs } from './wire.js'

/**
 * One server of the deployment (the server itself, or one Cluster master), for work that
 * must visit every master: SCAN, INFO, the probe, the audit. Same guard, errors and
 * timeouts as the client; no routing.
 */
export class NodeExecutor implements Executor {
  readonly address: string
  readonly #sender: NodeSender
  readonly #timeoutMs: number
  readonly #gate: GuardGate

  constructor(sender: NodeSender, timeoutMs: number, gate: GuardGate) {
    this.address = sender.address
    this.#sender = sender
    this.#timeoutMs = timeoutMs
    this.#gate = gate
  }

  async call<T extends Reply = Reply>(command: Command, options?: CallOptions): Promise<T> {
    const args = wireArgs(this.#gate.active ? this.#gate.command(command, options?.allow) : command)
    try {
      return (await this.#sender.send(
        args,
        options?.buffers === true,
        options?.timeoutMs ?? this.#timeoutMs,
      )) as T
    } catch (error) {
      throw translateError(error, command, false)
    }
  }

  async batch(commands: readonly Command[], options?: BatchOptions): Promise<Reply[]> {
    const checked = this.#gate.active
      ? this.#gate.batch(commands, options?.atomic === true, options?.allow)
      : commands
    const wire = checked.map(wireArgs)
    const buffers = options?.buffers === true
    const timeoutMs = options?.timeoutMs ?? this.#timeoutMs
    if (options?.atomic !== true) {
      // A pipeline: commands issued back to back leave in one write; no MULTI machinery.
      const sends = wire.map((args) => this.#sender.send(args, buffers, timeoutMs))
      return pipelineReplies(sends, checked, (error, command) => translateError(error, command, false))
    }
    return settleBatch(
      commands,
      () => this.#sender.transaction(wire, buffers, timeoutMs),
      (error) => translateError(error, ['MULTI'], false),
    )
  }
}
