import { describe, expect, it } from 'vitest'
import { handedJob } from '../../src/queue/calls.js'
import { resolveJobOptions } from '../../src/queue/options.js'
import { TakeLedger } from '../../src/queue/take-ledger.js'

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

describe('TakeLedger (pure): tokens, lost replies and the registration as idle', () => {
  const ledger = () => new TakeLedger(30_000, (waiter) => `q:idle:${waiter}`)

  it('registers only from a call alone that takes; the next call withdraws it, never during a wait', () => {
    const l = ledger()
    expect(l.next(0, true, false).register).toBe('')
    expect(l.next(4, false, false).register).toBe('')
    // Unregistered, a wait blocks on the worker's own list.
    expect(l.wakeKey).toBe(`q:idle:${l.worker}`)
    const call = l.next(4, true, false)
    expect(call.register).toBe(`${call.token}.30000~`)
    l.replied(call, 1, 4, 123)
    expect(l.registered).toBe(call.register)
    expect(l.registeredSince).toBe(123)
    // Registered, on the registration's: where an add pushes the job it hands over.
    expect(l.wakeKey).toBe(`q:idle:${call.token}.30000~`)
    // A wait is in flight: the job handed to it may be on its way, so nothing is withdrawn.
    expect(l.next(1, false, true).unregister).toBe('')
    const after = l.next(1, true, false)
    expect(after.unregister).toBe(call.register)
    expect(l.registered).toBeNull()
    // A call that took all it asked for made no registration.
    const full = l.next(2, true, false)
    l.replied(full, 2, 2, 0)
    expect(l.registered).toBeNull()
    // What a call took is confirmed by the next one.
    expect(l.next(1, false, false).confirm).toEqual([full.token])
  })

  it('a failed call gives back what it took and withdraws what it may have registered, unless closing', () => {
    const l = ledger()
    const call = l.next(3, true, false)
    l.failed(call, true, false)
    const next = l.next(3, false, false)
    expect(next.revoke).toEqual([call.token])
    expect(next.unregister).toBe(call.register)
    const closing = l.next(3, true, false)
    l.failed(closing, true, true)
    expect(l.registered).toBeNull()
  })

  it('a job handed over runs only if it was handed to the registration the wait began under', () => {
    const l = ledger()
    const call = l.next(1, true, false)
    l.replied(call, 0, 1, 0)
    const registered = l.registered
    expect(l.handed('other.0~', registered)).toBe(false)
    expect(l.registered).toBe(registered)
    expect(l.handed(`${call.token}.30000~`, registered)).toBe(true)
    expect(l.registered).toBeNull()
    expect(l.handed(`${call.token}.30000~`, null)).toBe(false)
  })

  it('a registration carries the lease of a job handed to it, and ends in ~ (take.lua reads both)', () => {
    const call = new TakeLedger(800, (w) => w).next(1, true, false)
    expect(call.register).toBe(`${call.token}.800~`)
    expect(call.register).toMatch(/^[A-Za-z0-9_-]+\.[0-9a-z]+\.800~$/)
  })
})

describe('handedJob (pure): the element an add pushes to an idle worker', () => {
  it('reads the lines, the name last with its newlines; a plain wake-up or a cut element is no job', () => {
    const element = 'w.3~ 1765000000123 2|3|fixed|0|0|1\nid-1\n{"a":"x\\ny"}\nna\nme é'
    expect(handedJob(element)).toEqual({
      taken: {
        id: 'id-1',
        name: 'na\nme é',
        data: '{"a":"x\\ny"}',
        attempt: 1,
        attempts: 3,
        timeoutMs: 0,
        stalls: 0,
        repeatKey: '',
        spec: '',
        slot: 0,
        token: 'w.3~',
      },
      serverNow: 1765000000123,
    })
    expect(handedJob('1')).toBeNull()
    expect(handedJob('w.3~ 1 0|1|fixed|0|0|1\nid-1')).toBeNull()
    expect(handedJob('w.3~ 1 0|1|fixed|0|0|1\nid-1\n5')).toBeNull()
  })
})
