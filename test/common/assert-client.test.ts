import { describe, expect, it } from 'vitest'
import { assertClient } from '../../src/common/validate.js'

/** The features' one "a client from connect()" check: structural, one sentence. */
describe('assertClient', () => {
  const fn = () => undefined

  it('accepts what has a client’s call, batch, declare and unsafe', () => {
    expect(() => assertClient({ call: fn, batch: fn, declare: fn, unsafe: fn }, 'db')).not.toThrow()
  })

  it('refuses anything else with INVALID_ARGUMENT naming the argument', () => {
    for (const value of [
      undefined,
      null,
      {},
      { call: fn },
      { call: fn, batch: fn, declare: fn },
      'redis://x',
    ])
      expect(() => assertClient(value, 'new Queue: db')).toThrow(
        expect.objectContaining({
          code: 'INVALID_ARGUMENT',
          message: 'new Queue: db must be a client from connect()',
        }),
      )
  })
})
