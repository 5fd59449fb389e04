import { countItems, int, token, windowItems } from '../args.js'
import { def, makeProfile, type Row, reading, w } from '../profile.js'
import { READ } from '../refusals.js'
import type { GuardCommand } from '../types.js'
import {
  addUnlessXX,
  blockingPop,
  combine,
  combineStore,
  createsKey,
  indexWindow,
  intersect,
  intersectStore,
  keepsKey,
  keyScan,
  multiPop,
  oneKey,
  pop,
  randomItems,
} from './shared.js'

/**
 * Sorted sets (Redis's t_zset.c). Ranges are judged by what they return: by index, the window's
 * width (a window spanning both signs, 0 -1, is the whole key); by score or lex (ZRANGE BYSCORE/
 * BYLEX, Z[REV]RANGEBY{SCORE,LEX}), LIMIT count ≤ the limit, else the whole key (a negative count
 * is all) — the offset is free, Redis 7 skips it by rank in O(log N). ZRANGESTORE reads as ZRANGE
 * and leaves its destination without a TTL. The algebra, pops, ZSCAN and ZRANDMEMBER follow the
 * sets' rules. ZREMRANGEBY* are O(log N + M) maintenance writes the data model owns: allowed.
 * ZADD and ZINCRBY may create the key without a TTL; ZADD XX changes existing members only.
 */
export const SORTED_SETS: readonly Row[] = [
  // O(1) or O(log N) per member asked
  def('ZCARD ZCOUNT ZLEXCOUNT ZMSCORE ZRANK ZREVRANK ZSCORE', oneKey),
  // O(log N); creates a missing key without a TTL
  def('ZINCRBY', createsKey),
  def('ZADD', addUnlessXX),
  // O(log N + M), existing key only
  def('ZREM ZREMRANGEBYLEX ZREMRANGEBYRANK ZREMRANGEBYSCORE', keepsKey),
  def('BZPOPMIN BZPOPMAX', blockingPop),
  def('ZINTER ZINTERCARD', intersect),
  def('ZUNION ZDIFF', combine),
  def('ZINTERSTORE', intersectStore),
  def('ZUNIONSTORE ZDIFFSTORE', combineStore),
  // O(log N + M), M the window
  def('ZREVRANGE', indexWindow),
  def('ZRANGE', (name) => {
    const byIndex = makeProfile(name, { keys: 1, read: READ.window })
    const byScore = makeProfile(name, { keys: 1, read: READ.byScore })
    return (argv, max) =>
      isByScore(argv, 4)
        ? reading(byScore, limitItems(argv, 4), max)
        : reading(byIndex, windowItems(int(argv[2]), int(argv[3])), max)
  }),
  def('ZRANGESTORE', (name) => {
    const opts = { keys: 'context', multiKey: true, writes: [w(1, 'clears')] } as const
    const byIndex = makeProfile(name, { ...opts, read: { ...READ.window, keys: 2 } })
    const byScore = makeProfile(name, { ...opts, read: { ...READ.byScore, keys: 2 } })
    return (argv, max) =>
      isByScore(argv, 5)
        ? reading(byScore, limitItems(argv, 5), max)
        : reading(byIndex, windowItems(int(argv[3]), int(argv[4])), max)
  }),
  def('ZRANGEBYSCORE ZREVRANGEBYSCORE ZRANGEBYLEX ZREVRANGEBYLEX', (name) => {
    const base = makeProfile(name, { keys: 1, read: READ.byScore })
    return (argv, max) => reading(base, limitItems(argv, 4), max)
  }),
  def('ZSCAN', keyScan),
  def('ZRANDMEMBER', randomItems),
  def('ZPOPMIN ZPOPMAX', pop),
  def('ZMPOP BZMPOP', multiPop),
]

/** ZRANGE's BYSCORE/BYLEX: a score range, bounded only by LIMIT (an index range is bounded by its window). */
function isByScore(argv: GuardCommand, from: number): boolean {
  for (let i = from; i < argv.length; i++) {
    const t = token(argv[i])
    if (t === 'BYSCORE' || t === 'BYLEX') return true
    if (t === 'LIMIT') i += 2
  }
  return false
}

function limitItems(argv: GuardCommand, from: number): number {
  for (let i = from; i < argv.length; i++) {
    if (token(argv[i]) === 'LIMIT') return countItems(int(argv[i + 2]), true)
  }
  return Number.POSITIVE_INFINITY
}
