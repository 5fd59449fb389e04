import { Socket } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { startRedisForFile } from '../support/redis-fixture.js'

/*
 * When the connection writes. An idle connection sends a request before the event loop turns
 * (a lone request waits for no I/O phase: this is the latency of an idle queue's add), and a
 * batch added in one go still leaves in one write; under load, every command of a turn shares
 * one write. Socket writes are counted by watching net.Socket's own write.
 */

const { db } = await startRedisForFile()

/** The socket writes carrying `marker`, and whether the event loop had turned when each happened. */
function watchWrites(marker: string): { writes: { turned: boolean }[]; loop: { turned: boolean } } {
  const loop = { turned: false }
  const writes: { turned: boolean }[] = []
  const write = Socket.prototype.write
  vi.spyOn(Socket.prototype, 'write').mockImplementation(function (this: Socket, ...args: unknown[]) {
    const [chunk] = args
    if (String(chunk).includes(marker)) writes.push({ turned: loop.turned })
    return (write as (...a: unknown[]) => boolean).apply(this, args)
  })
  return { writes, loop }
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('the connection’s writes', () => {
  it('on an idle connection, a batch leaves in one write before the event loop turns', async () => {
    // Let the connection settle: nothing in flight.
    await db.call(['PING'])
    const { writes, loop } = watchWrites('w:idle')
    setImmediate(() => {
      loop.turned = true
    })
    const replies = db.batch([
      ['SET', '{w:idle}:a', '1', 'PX', 60_000],
      ['SET', '{w:idle}:b', '2', 'PX', 60_000],
      ['MGET', '{w:idle}:a', '{w:idle}:b'],
    ])
    expect(await replies).toEqual(['OK', 'OK', ['1', '2']])
    expect(writes).toEqual([{ turned: false }])
  })

  it('under load, the commands of 1000 callers share a few writes, each caller its own reply', async () => {
    const { writes } = watchWrites('w:load')
    const callers = Array.from({ length: 1000 }, async (_, c) => {
      for (let i = 0; i < 5; i++) {
        const reply = await db.call(['ECHO', `w:load:${c}:${i}`])
        expect(reply).toBe(`w:load:${c}:${i}`)
      }
    })
    await Promise.all(callers)
    expect(writes.length).toBeGreaterThan(0)
    expect(writes.length).toBeLessThan(5000 / 20)
  })
})
