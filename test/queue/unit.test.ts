import { describe, expect, it } from 'vitest'
import { resolveJobOptions } from '../../src/queue/options.js'

describe('job options (pure)', () => {
  it('defaults and overrides', () => {
    expect(resolveJobOptions(undefined)).toEqual({
      jobId: undefined,
      delayMs: 0,
      priority: 0,
      attempts: 1,
      backoff: { type: 'fixed', delayMs: 0 },
      timeoutMs: 0,
      maxStalls: 1,
    })
    expect(resolveJobOptions({ attempts: 2 }, { attempts: 5, priority: 3 })).toMatchObject({
      attempts: 2,
      priority: 3,
    })
    expect(resolveJobOptions({ maxStalls: 0 }).maxStalls).toBe(0)
    expect(resolveJobOptions({ maxStalls: 5 }).maxStalls).toBe(5)
    expect(() => resolveJobOptions({ maxStalls: -1 })).toThrow(/maxStalls/)
  })
})
