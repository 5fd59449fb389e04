import { describe, expect, it } from 'vitest'
import { nonNegativeInt, positiveInt, safeInt } from '../../src/common/validate.js'

/** The one set of integer checks (common/validate.ts): what, value, fallback, max. */

const failure = (fn: () => unknown) => {
  try {
    fn()
  } catch (error) {
    return error as { code: string; message: string; details: Record<string, unknown> }
  }
  throw new Error('did not throw')
}

describe('integer checks', () => {
  it('positiveInt: 1..max (2^31 by default), the fallback for undefined only', () => {
    expect(positiveInt('count', 5)).toBe(5)
    expect(positiveInt('count', undefined, 7)).toBe(7)
    expect(failure(() => positiveInt('count', 0))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'count must be an integer from 1 to 2147483648',
      details: { count: 0 },
    })
    expect(failure(() => positiveInt('count', null, 7)).code).toBe('INVALID_ARGUMENT')
    expect(positiveInt('n', 2 ** 40, undefined, Number.MAX_SAFE_INTEGER)).toBe(2 ** 40)
    expect(failure(() => positiveInt('n', 1.5, undefined, Number.MAX_SAFE_INTEGER)).message).toBe(
      'n must be a positive integer',
    )
  })

  it('nonNegativeInt and safeInt', () => {
    expect(nonNegativeInt('offset', 0)).toBe(0)
    expect(failure(() => nonNegativeInt('offset', -1)).message).toBe('offset must be a non-negative integer')
    expect(failure(() => nonNegativeInt('offset', 9, undefined, 8)).message).toBe(
      'offset must be an integer from 0 to 8',
    )
    expect(safeInt('by', -3)).toBe(-3)
    for (const bad of [1.5, Number.NaN, 2 ** 53, '1', null])
      expect(failure(() => safeInt('by', bad)).message).toBe('by must be a safe integer')
  })
})
