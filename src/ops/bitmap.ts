import { nonNegativeInt, safeInt } from '../common/validate.js'
import { read, write } from './context.js'
import { KeyHandle } from './key.js'
import { asInteger } from './replies.js'
import type { BitCountRange, BitmapOps } from './types.js'
import { invalid } from './validate.js'

/** Largest SETBIT offset Redis accepts: a 512 MB string. */
const MAX_OFFSET = 2 ** 32 - 1

/** `t.bitmap()`: bits addressed by integer offsets, in a string. */
export class BitmapHandle extends KeyHandle implements BitmapOps {
  async setBit(offset: number, bit: 0 | 1): Promise<0 | 1> {
    const at = nonNegativeInt('setBit offset', offset, undefined, MAX_OFFSET)
    if (bit !== 0 && bit !== 1) throw invalid('setBit', `bit must be 0 or 1, got ${String(bit)}`)
    const [reply] = await write(this.ctx, [['SETBIT', this.ctx.key, at, bit]])
    return asInteger(reply ?? null, 'SETBIT') === 1 ? 1 : 0
  }

  async getBit(offset: number): Promise<0 | 1> {
    const at = nonNegativeInt('getBit offset', offset, undefined, MAX_OFFSET)
    return asInteger(await read(this.ctx, ['GETBIT', this.ctx.key, at]), 'GETBIT') === 1 ? 1 : 0
  }

  async count(range?: BitCountRange): Promise<number> {
    if (range === undefined) return asInteger(await read(this.ctx, ['BITCOUNT', this.ctx.key]), 'BITCOUNT')
    const start = safeInt('count start', range.start)
    const end = safeInt('count end', range.end)
    const unit = range.unit ?? 'byte'
    if (unit !== 'byte' && unit !== 'bit')
      throw invalid('count', `unit must be 'byte' or 'bit', got ${String(unit)}`)
    const command = ['BITCOUNT', this.ctx.key, start, end, ...(unit === 'bit' ? ['BIT'] : [])]
    return asInteger(await read(this.ctx, command), 'BITCOUNT')
  }
}
