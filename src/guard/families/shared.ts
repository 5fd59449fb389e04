import { countItems, int, optionValue, scanCount, text, token, windowItems } from '../args.js'
import { type Entry, makeProfile, type Profile, reading, w } from '../profile.js'
import { READ } from '../refusals.js'

/**
 * Row builders that several families use, because Redis gives several types the same command
 * shape (the pops of lists, sets and sorted sets; the set algebra of sets and sorted sets; GEOADD
 * on a sorted set). Each builds the entry of one command name.
 */

/** Keyless: nothing to check (connection, server and transaction commands, PUBLISH). */
export const noKeys = (name: string): Entry => makeProfile(name)

/** A single-key read that is O(1), O(log N) or bounded by its own arguments. */
export const oneKey = (name: string): Entry => makeProfile(name, { keys: 1 })

/** Several keys whose cost is the caller's own argument list: the slot rule only. */
export const slotOnly = (name: string): Entry => makeProfile(name, { keys: 'context', multiKey: true })

/** A write that keeps an existing key's TTL but creates a missing key without one (HSET, INCR, SADD). */
export const createsKey = (name: string): Entry => makeProfile(name, { keys: 1, writes: [w(1, 'creates')] })

/** A write to an existing key only (HDEL, LPUSHX, SREM): its TTL stays. */
export const keepsKey = (name: string): Entry => makeProfile(name, { keys: 1, writes: [w(1, 'keeps')] })

/** BLPOP BRPOP BZPOPMIN BZPOPMAX: one item from the first non-empty key; O(1) / O(log N). */
export const blockingPop = (name: string): Entry =>
  makeProfile(name, { keys: 'context', multiKey: true, writes: [w('all', 'keeps')] })

/** LRANGE, ZREVRANGE (and ZRANGE by index): the width of the index window, whole key when it spans both signs. */
export function indexWindow(name: string): Entry {
  const base = makeProfile(name, { keys: 1, read: READ.window })
  return (argv, max) => reading(base, windowItems(int(argv[2]), int(argv[3])), max)
}

/** HSCAN SSCAN ZSCAN: COUNT is the work of one call; > max refused unless the key is bounded. */
export function keyScan(name: string): Entry {
  const base = makeProfile(name, { keys: 1, read: READ.keyScan })
  return (argv, max) => reading(base, countItems(scanCount(argv, 3), false), max)
}

/**
 * SRANDMEMBER HRANDFIELD ZRANDMEMBER n: n ≤ max or bounded; a negative n returns -n items
 * (repeats allowed) whatever the key holds, so no declaration can bound it.
 */
export function randomItems(name: string): Entry {
  const base = makeProfile(name, { keys: 1, read: READ.random })
  const repeat = makeProfile(name, { keys: 1, read: READ.randomRepeat })
  return (argv, max) => {
    const count = int(argv[2])
    return count !== undefined && count < 0 ? reading(repeat, -count, max) : reading(base, count ?? 0, max)
  }
}

/** SPOP LPOP RPOP ZPOPMIN ZPOPMAX key n: O(n) (× log N for sorted sets); n ≤ max or bounded. */
export function pop(name: string): Entry {
  const base = makeProfile(name, { keys: 1, read: READ.pop, writes: [w(1, 'keeps')] })
  return (argv, max) => reading(base, countItems(int(argv[2]), false), max)
}

/** LMPOP ZMPOP BLMPOP BZMPOP numkeys key ... [COUNT n]: as pop, from the first non-empty key. */
export function multiPop(name: string): Entry {
  const at = name.startsWith('B') ? 2 : 1
  const base = makeProfile(name, {
    keys: 'context',
    multiKey: true,
    read: READ.mpop,
    writes: [w('all', 'keeps')],
  })
  return (argv, max) => {
    const numkeys = int(argv[at]) ?? 0
    return reading(base, countItems(optionValue(argv, at + 1 + numkeys, 'COUNT'), false), max)
  }
}

/**
 * LMOVE BLMOVE RPOPLPUSH BRPOPLPUSH SMOVE source destination: O(1); the destination may be
 * created without a TTL. Same source and destination: a rotation of an existing list.
 */
export function move(name: string): Entry {
  const moves = makeProfile(name, {
    keys: 'context',
    multiKey: true,
    writes: [w(1, 'keeps'), w(2, 'creates')],
  })
  const rotate = makeProfile(name, { keys: 1, writes: [w(1, 'keeps')] })
  return (argv) => (text(argv[1]) === text(argv[2]) ? rotate : moves)
}

/** GEOADD ZADD: O(log N) per item; creates the key without a TTL, unless XX (existing members only). */
export function addUnlessXX(name: string): Entry {
  const creates = makeProfile(name, { keys: 1, writes: [w(1, 'creates')] })
  const keeps = makeProfile(name, { keys: 1, writes: [w(1, 'keeps')] })
  return (argv): Profile => {
    // Options come before the first score/longitude, which is never a letter token.
    for (let i = 2; i < argv.length; i++) {
      const t = token(argv[i])
      if (t === 'XX') return keeps
      if (t !== 'NX' && t !== 'GT' && t !== 'LT' && t !== 'CH' && t !== 'INCR') break
    }
    return creates
  }
}

// -- set algebra (sets and sorted sets): read the sources, overwrite the destination of *STORE

/** SINTER SINTERCARD ZINTER ZINTERCARD: O(N·K), N the smallest input; allowed when the smallest bound ≤ max. */
export const intersect = (name: string): Entry =>
  makeProfile(name, { keys: 'context', multiKey: true, read: READ.inter, items: Number.POSITIVE_INFINITY })

/** SUNION SDIFF ZUNION ZDIFF: O(total size); allowed when the bounds sum to ≤ max. */
export const combine = (name: string): Entry =>
  makeProfile(name, { keys: 'context', multiKey: true, read: READ.union, items: Number.POSITIVE_INFINITY })

/** SINTERSTORE ZINTERSTORE dst ...: as intersect over the sources; the destination is left without a TTL. */
export const intersectStore = (name: string): Entry =>
  makeProfile(name, {
    keys: 'context',
    multiKey: true,
    read: { ...READ.inter, keys: 'rest' },
    items: Number.POSITIVE_INFINITY,
    writes: [w(1, 'clears')],
  })

/** SUNIONSTORE SDIFFSTORE ZUNIONSTORE ZDIFFSTORE dst ...: as combine; the destination is left without a TTL. */
export const combineStore = (name: string): Entry =>
  makeProfile(name, {
    keys: 'context',
    multiKey: true,
    read: { ...READ.union, keys: 'rest' },
    items: Number.POSITIVE_INFINITY,
    writes: [w(1, 'clears')],
  })
