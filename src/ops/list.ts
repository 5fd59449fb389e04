import type { Command } from '../common/types.js'
import { safeInt } from '../common/validate.js'
import { RedisExpertError } from '../errors.js'
import { checkBound, decode, decodeOrNull, encode, read, write } from './context.js'
import { KeyHandle } from './key.js'
import { asArray, asInteger } from './replies.js'
import type { ListOps } from './types.js'
import { atLeastOne } from './validate.js'

/**
 * `t.list<T>()`. A list with `maxItems` is a capped list: every push trims it to its bound in
 * the same MULTI (LTRIM), dropping the oldest elements from the far end.
 */
export class ListHandle<T> extends KeyHandle implements ListOps<T> {
  push(...values: T[]): Promise<number> {
    return this.#push('RPUSH', 'push', values)
  }

  unshift(...values: T[]): Promise<number> {
    return this.#push('LPUSH', 'unshift', values)
  }

  async #push(command: 'RPUSH' | 'LPUSH', op: string, values: readonly T[]): Promise<number> {
    const encoded = atLeastOne(op, 'value', values).map((v) => encode(this.ctx, v))
    const commands: Command[] = [[command, this.ctx.key, ...encoded]]
    const max = this.ctx.policy.maxItems
    // RPUSH appends at the tail, so the oldest are at the head: keep the last `max`; LPUSH mirrors it.
    if (max !== null)
      commands.push(
        command === 'RPUSH' ? ['LTRIM', this.ctx.key, -max, -1] : ['LTRIM', this.ctx.key, 0, max - 1],
      )
    const [reply] = await write(this.ctx, commands)
    return Math.min(asInteger(reply ?? null, command), max ?? Number.POSITIVE_INFINITY)
  }

  async pop(): Promise<T | null> {
    const [reply] = await write(this.ctx, [['RPOP', this.ctx.key]])
    return decodeOrNull<T>(this.ctx, reply ?? null)
  }

  async shift(): Promise<T | null> {
    const [reply] = await write(this.ctx, [['LPOP', this.ctx.key]])
    return decodeOrNull<T>(this.ctx, reply ?? null)
  }

  async range(start: number, stop: number): Promise<T[]> {
    const from = safeInt('range start', start)
    const to = safeInt('range stop', stop)
    if (this.ctx.policy.maxItems === null && from >= 0 !== to >= 0) {
      throw new RedisExpertError(
        'UNBOUNDED_READ',
        `range(${from}, ${to}) on '${this.ctx.policy.name}' spans the whole unbounded list; use a window of one sign (e.g. 0..99 or -100..-1), or declare maxItems`,
        {
          details: {
            entry: this.ctx.policy.name,
            key: this.ctx.key,
            command: 'LRANGE',
            start: from,
            stop: to,
          },
        },
      )
    }
    const reply = asArray(await read(this.ctx, ['LRANGE', this.ctx.key, from, to]), 'LRANGE')
    checkBound(this.ctx, 'LRANGE', reply.length)
    return reply.map((value) => decode<T>(this.ctx, value))
  }

  async len(): Promise<number> {
    return asInteger(await read(this.ctx, ['LLEN', this.ctx.key]), 'LLEN')
  }
}
