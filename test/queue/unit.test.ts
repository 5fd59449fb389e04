import { describe, expect, it } from 'vitest'
import type { Taken } from '../../src/queue/attempt.js'
import { JobLeases } from '../../src/queue/leases.js'
import { resolveJobOptions } from '../../src/queue/options.js'
import { sleep } from '../support/wait.js'

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

describe('JobLeases: when a worker stops counting on a job lease, by its own clock', () => {
  const job = (id: string): Taken => ({
    id,
    name: 'j',
    data: '0',
    attempt: 1,
    attempts: 1,
    timeoutMs: 0,
    stalls: 0,
    repeatKey: '',
    spec: '',
    slot: 0,
    token: 't',
  })

  it('maps a woken take’s server time to this clock, never before its send nor after its reply', () => {
    const leases = new JobLeases(1000, () => {})
    // A call sent at 100 (this clock) ran at server 10 000: server − this clock ≤ 9 900.
    leases.calibrate(10_000, 100)
    expect(leases.startOfWaited(15_000, 200, 5_200)).toBe(5_100)
    // The server time says 150, but the call cannot have run before it was sent (300)…
    expect(leases.startOfWaited(10_050, 300, 400)).toBe(300)
    // …nor after its reply came (4 000).
    expect(leases.startOfWaited(15_000, 200, 4_000)).toBe(4_000)
    // A looser bound does not replace a tighter one through tighten; calibrate always replaces.
    leases.tighten(20_000, 9_000)
    expect(leases.startOfWaited(15_000, 200, 9_000)).toBe(5_100)
    leases.calibrate(20_000, 9_000)
    expect(leases.startOfWaited(15_000, 200, 9_000)).toBe(4_000)
  })

  it('hands a lease that ran out to onRanOut once, minus the drift margin; a renewal moves the end; an ended one never fires', async () => {
    const ranOut: string[] = []
    const leases = new JobLeases(60, (taken) => ranOut.push(taken.id))
    const [a, b, c] = [job('a'), job('b'), job('c')]
    const start = performance.now()
    leases.began([a, b, c], start)
    expect(leases.live()).toEqual([a, b, c])
    leases.renewed([b], start + 40)
    expect(leases.end(c)).toBe(true)
    // a: 60 − (0 + 2) ms after the start; b: 40 ms later than a.
    await sleep(75)
    expect(ranOut).toEqual(['a'])
    expect(leases.live()).toEqual([b])
    await sleep(40)
    expect(ranOut).toEqual(['a', 'b'])
    expect(leases.end(a)).toBe(false)
    // A renewal's late reply for a lease that already ran out does not revive it.
    leases.renewed([a], performance.now())
    expect(leases.live()).toEqual([])
    leases.clear()
  })
})
