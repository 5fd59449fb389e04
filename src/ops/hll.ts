import { keySlot } from '../common/slot.js'
import { RedisExpertError } from '../errors.js'
import { read, write } from './context.js'
import { KeyHandle } from './key.js'
import { asInteger } from './replies.js'
import type { HllOps, KeyRef } from './types.js'
import { atLeastOne, invalid } from './validate.js'

/** `t.hll()`: a HyperLogLog. Elements are strings (hashed by the server, never stored). */
export class HllHandle extends KeyHandle implements HllOps {
  async add(...elements: string[]): Promise<boolean> {
    for (const element of atLeastOne('add', 'element', elements)) {
      if (typeof element !== 'string') throw invalid('add', `elements must be strings, got ${typeof element}`)
    }
    const [reply] = await write(this.ctx, [['PFADD', this.ctx.key, ...elements]])
    return asInteger(reply ?? null, 'PFADD') === 1
  }

  async count(...others: KeyRef[]): Promise<number> {
    const keys = this.#sameSlot('count', others)
    return asInteger(await read(this.ctx, ['PFCOUNT', this.ctx.key, ...keys]), 'PFCOUNT')
  }

  async merge(...sources: KeyRef[]): Promise<void> {
    const keys = this.#sameSlot('merge', atLeastOne('merge', 'source', sources))
    await write(this.ctx, [['PFMERGE', this.ctx.key, ...keys]])
  }

  /**
   * Multi-key commands must address one slot on a Cluster. Refused everywhere, not only on a
   * Cluster, so that what works on one server keeps working on a Cluster.
   */
  #sameSlot(op: string, refs: readonly KeyRef[]): string[] {
    const slot = keySlot(this.ctx.key)
    return refs.map((ref) => {
      const key =
        typeof ref === 'string' ? ref : typeof ref === 'object' && ref !== null ? ref.key : undefined
      if (typeof key !== 'string') throw invalid(op, 'each key is a string or a handle with .key')
      if (keySlot(key) !== slot) {
        throw new RedisExpertError(
          'CROSS_SLOT',
          `${op}: ${key} and ${this.ctx.key} hash to different Cluster slots; give their patterns a shared hash tag ({<param>})`,
          { details: { keys: [this.ctx.key, key], slots: [slot, keySlot(key)] } },
        )
      }
      return key
    })
  }
}
