import { strictOptions } from '../common/validate.js'
import { decodeOrNull, encode, type KeyContext, pxArgs, read, writeOne } from './context.js'
import { KeyHandle } from './key.js'
import type { SetOptions, ValueOps } from './types.js'
import { invalid } from './validate.js'

/** `t.string()` and `t.json<T>()`: one value in one string key. */
export class ValueHandle<T> extends KeyHandle implements ValueOps<T> {
  constructor(ctx: KeyContext) {
    super(ctx)
  }

  async get(): Promise<T | null> {
    return decodeOrNull<T>(this.ctx, await read(this.ctx, ['GET', this.ctx.key]))
  }

  /** One SET carrying PX: value and TTL land together, with no MULTI needed. */
  async set(value: T, options: SetOptions = {}): Promise<boolean> {
    strictOptions('set options', options, ['mode'])
    const mode = options.mode
    if (mode !== undefined && mode !== 'ifAbsent' && mode !== 'ifPresent') {
      throw invalid('set', `mode must be 'ifAbsent' or 'ifPresent', got ${String(mode)}`)
    }
    const condition = mode === 'ifAbsent' ? ['NX'] : mode === 'ifPresent' ? ['XX'] : []
    const reply = await writeOne(this.ctx, [
      'SET',
      this.ctx.key,
      encode(this.ctx, value),
      ...pxArgs(this.ctx),
      ...condition,
    ])
    return reply !== null
  }
}
