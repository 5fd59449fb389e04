import { describe, expect, it } from 'vitest'
import { LeaseClock } from '../../src/kit/lease-clock.js'
import { sleep } from '../support/wait.js'

describe('LeaseClock: when a worker stops counting on a lease, by its own clock', () => {
  it('reads when a take’s leases began: its send, its wait’s timeout, or its server time mapped to this clock', () => {
    const leases = new LeaseClock<string>(1000, () => {})
    const call = { serverNow: 0, sentAt: 0, receivedAt: 0, waitMs: 0, woken: false }
    // Sent at 100 (this clock), ran at server 10 000: began at 100; server − this clock ≤ 9 900.
    expect(leases.startOf({ ...call, serverNow: 10_000, sentAt: 100, receivedAt: 101 })).toBe(100)
    // Woken by an add at server 15 000: began at 5 100 by this clock…
    const woken = { ...call, waitMs: 5000, woken: true }
    expect(leases.startOf({ ...woken, serverNow: 15_000, sentAt: 200, receivedAt: 5_200 })).toBe(5_100)
    // …never after its reply came…
    expect(leases.startOf({ ...woken, serverNow: 15_000, sentAt: 200, receivedAt: 4_000 })).toBe(4_000)
    // …and a woken call's own, looser bound (20 000 − 9 000) does not replace the tighter one.
    expect(leases.startOf({ ...woken, serverNow: 20_000, sentAt: 9_000, receivedAt: 10_200 })).toBe(10_100)
    // Never before it was sent (the bound says 150): its own bound is tighter, and now the freshest.
    expect(leases.startOf({ ...woken, serverNow: 10_050, sentAt: 300, receivedAt: 400 })).toBe(300)
    expect(leases.startOf({ ...woken, serverNow: 20_000, sentAt: 9_000, receivedAt: 10_300 })).toBe(10_250)
    // A wait that timed out ran waitMs after its send at the earliest, and so did what it handed
    // over: a fresh bound, 9 000.
    const timedOut = { ...call, serverNow: 30_000, sentAt: 16_000, receivedAt: 21_001, waitMs: 5000 }
    expect(leases.startOf(timedOut)).toBe(21_000)
    // A timed-out reply that came before the timeout by this clock (the server's clock jumped):
    // only the send is certain.
    expect(leases.startOf({ ...timedOut, receivedAt: 20_000 })).toBe(16_000)
    leases.startOf(timedOut)
    expect(leases.startOf({ ...woken, serverNow: 31_000, sentAt: 21_000, receivedAt: 23_000 })).toBe(22_000)
  })

  it('hands a lease that ran out to onRanOut once, minus the drift margin; a renewal moves the end; an ended one never fires', async () => {
    const ranOut: string[] = []
    const leases = new LeaseClock<string>(60, (held) => ranOut.push(held))
    const [a, b, c] = ['a', 'b', 'c']
    const start = performance.now()
    leases.began([a, b, c], start)
    expect(leases.live()).toEqual([a, b, c])
    leases.renewed([b], start + 40)
    expect(leases.end(c)).toBe(true)
    // a: 60 − (0 + 2) ms after the start; b: 40 ms later than a.
    await sleep(75)
    expect(ranOut).toEqual(['a'])
    // A lapsed lease is still renewed while its handler runs (it may ignore its signal)…
    expect(leases.live()).toEqual([b, a])
    await sleep(40)
    expect(ranOut).toEqual(['a', 'b'])
    // …but never counted on again: a renewal's late reply does not revive it, and it does not fire twice.
    leases.renewed([a], performance.now())
    expect(leases.end(a)).toBe(false)
    expect(leases.live()).toEqual([b])
    await sleep(80)
    expect(ranOut).toEqual(['a', 'b'])
    leases.clear()
    expect(leases.live()).toEqual([])
  })

  /** Holds the event loop until `at` (performance.now()), as a CPU-bound handler does. */
  const holdUntil = (at: number) => {
    while (performance.now() < at);
  }

  it('with the event loop held past an end: a renewal sent before it, whose reply is read in that turn, keeps the lease', async () => {
    const ranOut: string[] = []
    const leases = new LeaseClock<string>(1000, (held) => ranOut.push(held))
    const start = performance.now()
    leases.began(['a'], start)
    await sleep(100)
    // A renewal sent before the end (start + 988); its reply is read at start + 1000, after the
    // lease's timer fired (timers run first), in the turn that ends the hold.
    const sentAt = performance.now()
    setTimeout(() => leases.renewed(['a'], sentAt), start + 1000 - sentAt)
    holdUntil(start + 1020)
    await sleep(10)
    expect(ranOut).toEqual([])
    expect(leases.counts('a')).toBe(true)
    leases.clear()
  })

  it('a renewal sent after an end by this clock revives nothing: the lease may have run out on the server first', async () => {
    const ranOut: string[] = []
    const leases = new LeaseClock<string>(60, (held) => ranOut.push(held))
    leases.began(['a'], performance.now())
    holdUntil(performance.now() + 100)
    leases.renewed(['a'], performance.now())
    await sleep(10)
    expect(ranOut).toEqual(['a'])
    expect(leases.counts('a')).toBe(false)
    leases.clear()
  })
})
