import { describe, expect, it } from 'vitest'
import { type Algorithm, createLock } from '../../src/structures/index.js'
import { startRedisForFile } from '../support/redis-fixture.js'
import { runChild, spawnChild } from './helpers.js'

/* Guarantees that only hold across processes: each child is `node --import tsx` on a fixture. */

const { server, db } = await startRedisForFile()

describe('rate limits across 4 processes', () => {
  it('4 × 250 concurrent requests against a limit of 100 allow exactly 100, with every algorithm', async () => {
    const children = Array.from({ length: 4 }, () => runChild('consume.ts', [server.url, '250', 'procs']))
    const counts = (await Promise.all(children.map((c) => c.done))).map(
      (lines) => JSON.parse(lines.at(-1)!) as Record<Algorithm, number>,
    )
    for (const algorithm of ['fixed-window', 'sliding-window', 'sliding-log', 'token-bucket'] as Algorithm[])
      expect(
        counts.reduce((sum, c) => sum + c[algorithm], 0),
        algorithm,
      ).toBe(100)
  }, 60_000)
})

describe('locks across processes', () => {
  it('50 contenders in 5 processes never overlap, and fencing tokens strictly increase', async () => {
    const children = Array.from({ length: 5 }, () => runChild('contender.ts', [server.url, '10']))
    const results = (await Promise.all(children.map((c) => c.done))).map(
      (lines) => JSON.parse(lines.at(-1)!) as { highest: number; fences: number[] },
    )
    expect(Math.max(...results.map((r) => r.highest))).toBe(1)
    const all = results.flatMap((r) => r.fences)
    expect(all).toHaveLength(50)
    expect(new Set(all).size).toBe(50)
    // Each process saw its tokens in acquisition order: strictly increasing.
    for (const { fences } of results)
      for (let i = 1; i < fences.length; i++) expect(fences[i]).toBeGreaterThan(fences[i - 1]!)
    // And the 50 acquisitions drew 50 consecutive tokens: none handed out twice or skipped.
    expect(Math.max(...all) - Math.min(...all)).toBe(49)
  }, 90_000)

  it('a holder killed with SIGKILL loses the lock when its lease expires, not before', async () => {
    const leaseMs = 1500
    const child = spawnChild('holder.ts', [server.url, String(leaseMs)])
    const fence = await new Promise<number>((resolve, reject) => {
      let out = ''
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString()
        const match = /acquired (\d+)/.exec(out)
        if (match) resolve(Number(match[1]))
      })
      child.on('exit', (code) => reject(new Error(`holder exited early (${code})`)))
    })
    const acquiredAt = Date.now()
    child.kill('SIGKILL')
    await new Promise((resolve) => child.once('exit', resolve))
    const locks = createLock(db)
    expect(await locks.acquire('held')).toBeNull()
    const lease = await locks.acquire('held', { waitMs: 5000 })
    const waited = Date.now() - acquiredAt
    expect(lease).not.toBeNull()
    expect(waited).toBeGreaterThanOrEqual(leaseMs - 100)
    expect(waited).toBeLessThan(leaseMs + 1500)
    expect(lease!.fence).toBeGreaterThan(fence)
    await lease!.release()
  }, 30_000)
})
