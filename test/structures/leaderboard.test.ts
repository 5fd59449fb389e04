import { describe, expect, it } from 'vitest'
import { createLeaderboard } from '../../src/structures/index.js'
import { startRedisForFile } from '../support/redis-fixture.js'
import { codeOf, commandsOf } from './helpers.js'

const { db } = await startRedisForFile()

describe('leaderboard', () => {
  it('replace, best-of (GT / LT) and increment', async () => {
    const board = createLeaderboard(db, { name: 'modes' })
    expect(await board.submit('ann', 10)).toBe(10)
    expect(await board.submit('ann', 5)).toBe(5)
    expect(await board.submit('ann', 3, { mode: 'best' })).toBe(5)
    expect(await board.submit('ann', 8, { mode: 'best' })).toBe(8)
    expect(await board.submit('ann', 2, { mode: 'incr' })).toBe(10)
    const race = createLeaderboard(db, { name: 'laps', order: 'low' })
    await race.submit('bo', 61.2)
    expect(await race.submit('bo', 65, { mode: 'best' })).toBe(61.2)
    expect(await race.submit('bo', 59.9, { mode: 'best' })).toBe(59.9)
  })

  it('ranks with the declared tie policy, top N and the N around a member', async () => {
    const shared = createLeaderboard(db, { name: 'ties-shared' })
    const member = createLeaderboard(db, { name: 'ties-member', ties: 'member' })
    const scores: [string, number][] = [
      ['a', 50],
      ['b', 40],
      ['c', 40],
      ['d', 30],
      ['e', 20],
    ]
    for (const [m, s] of scores) {
      await shared.submit(m, s)
      await member.submit(m, s)
    }
    expect((await shared.top(5)).map((e) => [e.member, e.rank])).toEqual([
      ['a', 1],
      ['c', 2],
      ['b', 2],
      ['d', 4],
      ['e', 5],
    ])
    expect((await member.top(5)).map((e) => e.rank)).toEqual([1, 2, 3, 4, 5])
    expect(await shared.rank('b')).toEqual({ member: 'b', rank: 2, score: 40 })
    expect(await member.rank('b')).toEqual({ member: 'b', rank: 3, score: 40 })
    expect(await shared.rank('nobody')).toBeNull()
    expect((await shared.around('d', 1)).map((e) => [e.member, e.rank])).toEqual([
      ['b', 2],
      ['d', 4],
      ['e', 5],
    ])
    expect((await shared.around('a', 2)).map((e) => e.member)).toEqual(['a', 'c', 'b'])
    expect(await shared.around('nobody', 2)).toEqual([])
    expect(await shared.count()).toBe(5)
  })

  it('cursor paging: every member whose score holds still is seen exactly once, whatever else moves', async () => {
    const board = createLeaderboard(db, { name: 'paging' })
    for (let i = 0; i < 95; i++) await board.submit(`p${i}`, i % 10)
    const seen: string[] = []
    let cursor: string | undefined
    let pages = 0
    do {
      const page = await board.page({ limit: 20, ...(cursor ? { cursor } : {}) })
      seen.push(...page.entries.map((e) => e.member))
      cursor = page.next
      if (pages++ === 1) {
        await board.submit('p94', 100) // not seen yet, jumps ahead of the cursor: never seen
        await board.submit('p0', -1) // not seen yet, drops further behind: seen once
        await board.remove(page.entries.at(-1)!.member) // the cursor member itself leaves
      }
    } while (cursor)
    expect(new Set(seen).size).toBe(seen.length)
    expect(seen.sort()).toEqual(Array.from({ length: 94 }, (_, i) => `p${i}`).sort())
    const first = await board.page({ limit: 3 })
    expect(first.entries.map((e) => e.rank)).toEqual([1, 2, 2])
  })

  it('periodic boards: written with the all-time board in one MULTI, expiring after their period', async () => {
    const at = Date.UTC(2030, 4, 15, 12) // Wednesday 2030-05-15, ISO week 20 (in the future: the keys must not expire)
    const board = createLeaderboard(db, {
      name: 'seasons',
      periods: ['day', 'week', 'month'],
      keep: 1,
      clock: () => at,
    })
    const commands = await commandsOf(db, () => board.submit('zed', 7))
    expect(commands).toEqual({ MULTI: 1, EXEC: 1, ZADD: 4, PEXPIREAT: 3, ZSCORE: 1 })
    await board.submit('zed', 3, { at: Date.UTC(2030, 4, 16, 1), mode: 'incr' })
    expect((await board.rank('zed', { period: 'day' }))?.score).toBe(7)
    expect((await board.rank('zed', { period: 'day', at: '2030-05-16T10:00:00Z' }))?.score).toBe(3)
    expect((await board.rank('zed', { period: 'week' }))?.score).toBe(10)
    expect((await board.rank('zed'))?.score).toBe(10)
    const dayKey = (board.keyspace.entries.find((e) => e.name === 'day')!.key as (p: object) => string)({
      id: '2030-05-15',
    })
    expect(dayKey).toBe('lb:{seasons}:day:2030-05-15')
    // Expires one day after the day ends: at 2030-05-17T00:00Z.
    expect(Number(await db.call(['PEXPIRETIME', dayKey]))).toBe(Date.UTC(2030, 4, 17))
    const weekKey = (board.keyspace.entries.find((e) => e.name === 'week')!.key as (p: object) => string)({
      id: '2030-W20',
    })
    expect(Number(await db.call(['PEXPIRETIME', weekKey]))).toBe(Date.UTC(2030, 4, 27))
    expect(Number(await db.call(['PTTL', 'lb:{seasons}:all']))).toBe(-1)
  })

  it('reads are one round trip and bounded', async () => {
    const board = createLeaderboard(db, { name: 'bounded', maxPage: 50 })
    await board.submit('x', 1)
    await board.rank('x')
    await board.around('x', 1)
    await board.page()
    expect(await commandsOf(db, () => board.top(10))).toEqual({ ZREVRANGE: 1 })
    expect((await commandsOf(db, () => board.rank('x'))).EVALSHA).toBe(1)
    expect((await commandsOf(db, () => board.around('x', 3))).EVALSHA).toBe(1)
    expect((await commandsOf(db, () => board.page({ limit: 10 }))).EVALSHA).toBe(1)
    expect(await codeOf(board.top(51))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(board.around('x', 25))).toBe('INVALID_ARGUMENT')
  })

  it('bad input: typed errors', async () => {
    expect(await codeOf(() => createLeaderboard(db, { name: 'bad name' }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => createLeaderboard(db, { name: 'x', periods: ['year' as never] }))).toBe(
      'INVALID_ARGUMENT',
    )
    expect(await codeOf(() => createLeaderboard(db, { name: 'x', order: 'up' as never }))).toBe(
      'INVALID_ARGUMENT',
    )
    const board = createLeaderboard(db, { name: 'bad' })
    expect(await codeOf(board.submit('', 1))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(board.submit('a', Number.NaN))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(board.submit('a', 1, { mode: 'max' as never }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(board.top(0))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(board.page({ cursor: 'garbage' }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(board.rank('a', { period: 'week' }))).toBeUndefined()
    expect(await codeOf(board.rank('a', { period: 'decade' as never }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(board.top(1, { period: 'day', at: 'not a date' }))).toBe('INVALID_ARGUMENT')
  })
})
