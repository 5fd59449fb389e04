import type { Client } from '../../client/client.js'
import type { Command, Reply } from '../../common/types.js'
import { namespaceName, oneOf, optionNames, positiveInt, strictOptions } from '../../common/validate.js'
import { invalidArgument } from '../../errors.js'
import type { Keyspace } from '../../keyspace/define.js'
import { t } from '../../keyspace/types.js'
import { declareOn, keyOf, structureKeyspace } from '../../kit/keyspace.js'
import { PERIODS, type Period, periodBounds, periodId, toDate } from '../common/periods.js'
import { int } from '../common/round-trip.js'
import { AROUND, PAGE, RANK } from './scripts.js'

/** Which scores rank first: high (points) or low (times). */
export type Order = 'high' | 'low'
/** How equal scores rank: shared ranks (1, 1, 3) or by member name. */
export type Ties = 'shared' | 'member'
/** How a submitted score combines with the current one: replace it, keep the best, or add to it. */
export type SubmitMode = 'replace' | 'best' | 'incr'

/** A leaderboard's options: name, order, tie policy, periods and how long periods are kept. */
export interface LeaderboardOptions {
  /** The board's name: letters, digits, - . _ ~ (it is also the board's hash tag). */
  readonly name: string
  /** Keyspace namespace, default `lb`. */
  readonly namespace?: string
  /** 'high' (default): higher scores rank first; 'low': lower ones (race times). */
  readonly order?: Order
  /**
   * 'shared' (default): equal scores share a rank (1, 2, 2, 4); 'member': ranks are unique and
   * equal scores are ordered by member, as Redis orders them.
   */
  readonly ties?: Ties
  /** Periodic boards kept besides the all-time one, e.g. ['day', 'week']. */
  readonly periods?: readonly Period[]
  /** Past periods kept after their period ends (TTL), default 1. */
  readonly keep?: number
  /** Largest page (top, page, around·2+1), default 100, at most 1000. */
  readonly maxPage?: number
  /** Milliseconds since the epoch that pick the current period; Date.now by default. */
  readonly clock?: () => number
}

/** A member of a leaderboard with its score and rank. */
export interface BoardEntry {
  readonly member: string
  readonly score: number
  /** 1-based, under the board's tie policy. */
  readonly rank: number
}

/** Which board: all-time (default) or a period's, the current one or the one holding `at`. */
export interface BoardSelector {
  readonly period?: Period | 'all'
  readonly at?: Date | number | string
}

/** A page of a leaderboard and the cursor of the next one. */
export interface Page {
  readonly entries: BoardEntry[]
  /** Pass to `page()` for the next page; undefined on the last. */
  readonly next?: string
}

/** A ranked board, all-time and per period (day, week, month), with a tie policy. */
export interface Leaderboard {
  readonly name: string
  readonly keyspace: Keyspace
  /**
   * Writes the score to the all-time board and every current periodic board in one MULTI (one
   * round trip); resolves to the member's score on the all-time board (or the first periodic one).
   * 'replace' sets it, 'best' keeps the better of old and new (ZADD GT/LT), 'incr' adds to it.
   */
  submit(
    member: string,
    score: number,
    options?: { mode?: SubmitMode; at?: Date | number | string },
  ): Promise<number>
  /** A member's entry (score and rank), or null when absent. */
  rank(member: string, board?: BoardSelector): Promise<BoardEntry | null>
  /** The n best members, with ranks. */
  top(n: number, board?: BoardSelector): Promise<BoardEntry[]>
  /** The n members ranked above and below a member, with ranks. */
  around(member: string, n: number, board?: BoardSelector): Promise<BoardEntry[]>
  /** A page of the board in rank order, and the cursor of the next page. */
  page(options?: BoardSelector & { cursor?: string; limit?: number }): Promise<Page>
  /**
   * Removes a member from the all-time board and from each period's board containing `at` (default now),
   * in one MULTI.
   */
  remove(member: string, options?: { at?: Date | number | string }): Promise<void>
  /** The number of members of a board. */
  count(board?: BoardSelector): Promise<number>
}

const PERIOD_MS: Record<Period, number> = { day: 86_400_000, week: 7 * 86_400_000, month: 31 * 86_400_000 }

const SELECTOR = optionNames<BoardSelector>({ period: true, at: true })
const PAGE_OPTIONS = [...SELECTOR, 'cursor', 'limit']

/** Every option of LeaderboardOptions: anything else is refused, naming the closest. */
const LEADERBOARD_OPTIONS = optionNames<LeaderboardOptions>({
  name: true,
  namespace: true,
  order: true,
  ties: true,
  periods: true,
  keep: true,
  maxPage: true,
  clock: true,
})

/** A leaderboard over sorted sets, all-time and per period, with ranks computed under its tie policy. */
export function createLeaderboard(db: Client, options: LeaderboardOptions): Leaderboard {
  const o = strictOptions('createLeaderboard options', options, LEADERBOARD_OPTIONS)
  if (typeof o.name !== 'string' || !/^[A-Za-z0-9_.~-]{1,100}$/.test(o.name))
    throw invalidArgument('name must be 1–100 letters, digits, - . _ ~', { name: o.name })
  const name = o.name
  const namespace = namespaceName('namespace', o.namespace, 'lb')
  const order = oneOf<Order>('order', o.order, ['high', 'low'], 'high')
  const ties = oneOf<Ties>('ties', o.ties, ['shared', 'member'], 'shared')
  const rawPeriods: unknown = o.periods ?? []
  const periods: readonly Period[] = Array.isArray(rawPeriods) ? (rawPeriods as Period[]) : []
  if (
    !Array.isArray(rawPeriods) ||
    periods.some((p) => !PERIODS.includes(p)) ||
    new Set(periods).size !== periods.length
  )
    throw invalidArgument(`periods must be distinct values of ${PERIODS.join(', ')}`, { periods: o.periods })
  const keep = o.keep === 0 ? 0 : positiveInt('keep', o.keep, 1, 1000)
  const maxPage = positiveInt('maxPage', o.maxPage, 100, 1000)
  const clock = (o.clock ?? Date.now) as () => number
  if (typeof clock !== 'function') throw invalidArgument('clock must be a function')

  // The board name is written into the patterns (not a parameter): each board is its own
  // declaration, with its own TTLs, and all its boards share the hash tag {name}.
  const keyspace = structureKeyspace(namespace, {
    all: {
      pattern: `{${name}}:all`,
      type: t.zset(),
      role: 'state',
      ttl: 'persistent',
      description: `all-time board '${name}' (${order} first, ties ${ties})`,
    },
    day: periodEntry(name, 'day', keep),
    week: periodEntry(name, 'week', keep),
    month: periodEntry(name, 'month', keep),
  })
  declareOn(db, keyspace as unknown as Keyspace)

  const boardKey = (board: BoardSelector | undefined, known: readonly string[] = SELECTOR): string => {
    if (board !== undefined && (typeof board !== 'object' || board === null))
      throw invalidArgument('the board selector must be an object like { period: "week" }')
    strictOptions('board selector', board, known)
    const period = oneOf<Period | 'all'>('period', board?.period, ['all', ...PERIODS], 'all')
    if (period === 'all') return keyspace.all.key()
    const id = periodId(period, toDate('at', board?.at, clock))
    return keyOf(keyspace, period, { id })
  }
  const checkMember = (member: unknown): string => {
    if (typeof member !== 'string' || member === '' || Buffer.byteLength(member) > 1024)
      throw invalidArgument('member must be a non-empty string of at most 1024 bytes', { member })
    return member
  }
  const checkCount = (what: string, n: unknown, max: number) => positiveInt(what, n, undefined, max)
  const common = { order, ties }

  return Object.freeze({
    name,
    keyspace: keyspace as unknown as Keyspace,
    async submit(member: string, score: number, opts?: { mode?: SubmitMode; at?: Date | number | string }) {
      checkMember(member)
      if (typeof score !== 'number' || !Number.isFinite(score))
        throw invalidArgument('score must be a finite number', { score })
      const mode = oneOf<SubmitMode>('mode', opts?.mode, ['replace', 'best', 'incr'], 'replace')
      const now = toDate('at', opts?.at, clock)
      const commands: Command[] = []
      const boards = [keyspace.all.key(), ...periods.map((p) => keyOf(keyspace, p, { id: periodId(p, now) }))]
      boards.forEach((key, i) => {
        if (mode === 'incr') commands.push(['ZINCRBY', key, score, member])
        else if (mode === 'best') commands.push(['ZADD', key, order === 'high' ? 'GT' : 'LT', score, member])
        else commands.push(['ZADD', key, score, member])
        const period = i === 0 ? undefined : periods[i - 1]
        if (period)
          commands.push(['PEXPIREAT', key, periodBounds(period, now).end + keep * PERIOD_MS[period]])
      })
      commands.push(['ZSCORE', boards[0]!, member])
      const replies = await db.batch(commands, { atomic: true })
      return Number(replies.at(-1))
    },
    async rank(member: string, board?: BoardSelector) {
      const reply = (await RANK.run(
        db,
        { board: boardKey(board) },
        { ...common, member: checkMember(member) },
      )) as [number, string] | null
      return reply === null ? null : { member, rank: reply[0], score: Number(reply[1]) }
    },
    async top(n: number, board?: BoardSelector) {
      const count = checkCount('n', n, maxPage)
      const key = boardKey(board)
      const reply = (await db.call([
        order === 'high' ? 'ZREVRANGE' : 'ZRANGE',
        key,
        0,
        count - 1,
        'WITHSCORES',
      ])) as string[]
      return entries(reply, 0, 1, ties)
    },
    async around(member: string, n: number, board?: BoardSelector) {
      const side = checkCount('n', n, Math.floor((maxPage - 1) / 2))
      const reply = (await AROUND.run(
        db,
        { board: boardKey(board) },
        { ...common, member: checkMember(member), n: side },
      )) as Reply[] | null
      return reply === null ? [] : entries(reply.slice(2) as string[], int(reply[0]), int(reply[1]), ties)
    },
    async page(opts?: BoardSelector & { cursor?: string; limit?: number }) {
      const limit = checkCount('limit', opts?.limit ?? Math.min(20, maxPage), maxPage)
      const cursor = opts?.cursor === undefined ? null : decodeCursor(opts.cursor)
      const reply = (await PAGE.run(
        db,
        { board: boardKey(opts, PAGE_OPTIONS) },
        { ...common, score: cursor ? cursor.s : '', member: cursor ? cursor.m : '', limit },
      )) as Reply[]
      const list = entries(reply.slice(2) as string[], int(reply[0]), int(reply[1]), ties)
      const last = list.at(-1)
      return list.length === limit && last ? { entries: list, next: encodeCursor(last) } : { entries: list }
    },
    async remove(member: string, opts?: { at?: Date | number | string }) {
      checkMember(member)
      const now = toDate('at', opts?.at, clock)
      const boards = [keyspace.all.key(), ...periods.map((p) => keyOf(keyspace, p, { id: periodId(p, now) }))]
      await db.batch(
        boards.map((key) => ['ZREM', key, member]),
        { atomic: true },
      )
    },
    async count(board?: BoardSelector) {
      return int(await db.call(['ZCARD', boardKey(board)]))
    },
  })
}

function periodEntry(name: string, period: Period, keep: number) {
  return {
    pattern: `{${name}}:${period}:<id>`,
    type: t.zset(),
    role: 'state',
    ttl: (1 + keep) * PERIOD_MS[period],
    description: `${period}ly board '${name}': expires ${keep} ${period}(s) after its ${period} ends`,
  } as const
}

/** Ranks of a window starting at index `start` whose first entry has rank `first`. */
function entries(flat: readonly string[], start: number, first: number, ties: Ties): BoardEntry[] {
  const out: BoardEntry[] = []
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const score = Number(flat[i + 1])
    const index = i / 2
    const previous = out[index - 1]
    const rank =
      index === 0
        ? first
        : ties === 'shared' && previous && previous.score === score
          ? previous.rank
          : start + index + 1
    out.push({ member: flat[i]!, score, rank })
  }
  return out
}

function encodeCursor(entry: BoardEntry): string {
  return Buffer.from(JSON.stringify({ s: entry.score, m: entry.member })).toString('base64url')
}

function decodeCursor(cursor: unknown): { s: number; m: string } {
  if (typeof cursor === 'string') {
    try {
      const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
        s?: unknown
        m?: unknown
      }
      if (typeof parsed.s === 'number' && Number.isFinite(parsed.s) && typeof parsed.m === 'string')
        return { s: parsed.s, m: parsed.m }
    } catch {
      // Reported below.
    }
  }
  throw invalidArgument('cursor must be a value returned by page() as next', { cursor })
}
