import { strictOptions } from '../common/validate.js'
import { checkBound, decode, encode, read, write } from './context.js'
import { KeyHandle } from './key.js'
import { asArray, asInteger } from './replies.js'
import { scanPages } from './scan.js'
import type { BoundedSetOps, CollectionScanOptions, SetOps } from './types.js'
import { atLeastOne, scanCount } from './validate.js'

/** `t.set<T>()`: members go through the entry codec (decimal for `t.set({ integers: true })`). */
export class SetHandle<T> extends KeyHandle implements SetOps<T>, BoundedSetOps<T> {
  async add(...members: T[]): Promise<number> {
    const encoded = atLeastOne('add', 'member', members).map((m) => encode(this.ctx, m))
    const [reply] = await write(this.ctx, [['SADD', this.ctx.key, ...encoded]])
    return asInteger(reply ?? null, 'SADD')
  }

  async remove(...members: T[]): Promise<number> {
    const encoded = atLeastOne('remove', 'member', members).map((m) => encode(this.ctx, m))
    const [reply] = await write(this.ctx, [['SREM', this.ctx.key, ...encoded]])
    return asInteger(reply ?? null, 'SREM')
  }

  async isMember(member: T): Promise<boolean> {
    const reply = await read(this.ctx, ['SISMEMBER', this.ctx.key, encode(this.ctx, member)])
    return asInteger(reply, 'SISMEMBER') === 1
  }

  async card(): Promise<number> {
    return asInteger(await read(this.ctx, ['SCARD', this.ctx.key]), 'SCARD')
  }

  async members(): Promise<T[]> {
    this.assertBounded('members', 'SMEMBERS', 'iterate with scan()')
    const reply = asArray(await read(this.ctx, ['SMEMBERS', this.ctx.key]), 'SMEMBERS')
    checkBound(this.ctx, 'SMEMBERS', reply.length)
    return reply.map((m) => decode<T>(this.ctx, m))
  }

  scan(options: CollectionScanOptions = {}): AsyncIterableIterator<T> {
    strictOptions('scan options', options, ['count'])
    return this.#scan(scanCount('scan', options.count))
  }

  async *#scan(count: number): AsyncIterableIterator<T> {
    for await (const page of scanPages(this.ctx, 'SSCAN', { count })) {
      for (const member of page) yield decode<T>(this.ctx, member)
    }
  }
}
