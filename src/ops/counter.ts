import { safeInt } from '../common/validate.js'
import { decodeOrNull, encode, pxArgs, read, write, writeOne } from './context.js'
import { KeyHandle } from './key.js'
import { asInteger } from './replies.js'
import type { CounterOps } from './types.js'

/** `t.counter()`: an integer in a string, changed on the server with INCRBY. */
export class CounterHandle extends KeyHandle implements CounterOps {
  async get(): Promise<number | null> {
    return decodeOrNull<number>(this.ctx, await read(this.ctx, ['GET', this.ctx.key]))
  }

  incr(): Promise<number> {
    return this.incrBy(1)
  }

  async incrBy(by: number): Promise<number> {
    const n = safeInt('incrBy by', by)
    const [reply] = await write(this.ctx, [['INCRBY', this.ctx.key, n]])
    return asInteger(reply ?? null, 'INCRBY')
  }

  async set(value: number): Promise<void> {
    const n = safeInt('set value', value)
    await writeOne(this.ctx, ['SET', this.ctx.key, encode(this.ctx, n), ...pxArgs(this.ctx)])
  }
}
