import { describe, expect, it } from 'vitest'
import { backoffDelay, resolveJobOptions } from '../../src/queue/options.js'

describe('job options (pure)', () => {
  it('defaults and overrides', () => {
    expect(resolveJobOptions(undefined)).toEqual({
      jobId: undefined,
      delayMs: 0,
      priority: 0,
      attempts: 1,
      backoff: { type: 'fixed', delayMs: 0 },
      timeoutMs: 0,
    })
    expect(resolveJobOptions({ attempts: 2 }, { attempts: 5, priority: 3 })).toMatchObject({
      attempts: 2,
      priority: 3,
    })
  })

  it('backoff: fixed or doubling, within ±50 %', () => {
    for (let i = 0; i < 100; i++) {
      const fixed = backoffDelay('fixed', 100, 3)
      expect(fixed).toBeGreaterThanOrEqual(50)
      expect(fixed).toBeLessThanOrEqual(150)
      const third = backoffDelay('exponential', 100, 3)
      expect(third).toBeGreaterThanOrEqual(200)
      expect(third).toBeLessThanOrEqual(600)
    }
    expect(backoffDelay('exponential', 0, 3)).toBe(0)
  })
})
