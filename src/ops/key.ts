import { RedisExpertError } from '../errors.js'
import { type KeyContext, writeOne } from './context.js'
import { asInteger } from './replies.js'
import type { TtlReply } from './types.js'

/** Operations every key has; the per-type handles extend it. */
export class KeyHandle {
  protected readonly ctx: KeyContext

  constructor(ctx: KeyContext) {
    this.ctx = ctx
  }

  get key(): string {
    return this.ctx.key
  }

  /** UNLINK rather than DEL: a large collection is freed in the background, not on the event loop. */
  async delete(): Promise<boolean> {
    return asInteger(await writeOne(this.ctx, ['UNLINK', this.ctx.key]), 'UNLINK') > 0
  }

  async exists(): Promise<boolean> {
    return asInteger(await this.ctx.executor.call(['EXISTS', this.ctx.key]), 'EXISTS') > 0
  }

  async ttl(): Promise<TtlReply> {
    const ms = asInteger(await this.ctx.executor.call(['PTTL', this.ctx.key]), 'PTTL')
    return ms === -2 ? 'missing' : ms === -1 ? 'persistent' : ms
  }

  /** Whole-collection reads exist only for entries whose maxItems bounds them. */
  protected assertBounded(op: string, command: string, instead: string): void {
    if (this.ctx.policy.maxItems !== null) return
    throw new RedisExpertError(
      'UNBOUNDED_READ',
      `${op} (${command}) on '${this.ctx.policy.name}' is an O(N) read of a collection with no declared bound; ${instead}, or declare maxItems`,
      { details: { entry: this.ctx.policy.name, key: this.ctx.key, command } },
    )
  }
}
