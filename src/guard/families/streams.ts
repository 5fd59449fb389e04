import { countItems, has, int, optionValue, token } from '../args.js'
import { def, makeProfile, type Row, reading, w } from '../profile.js'
import { READ } from '../refusals.js'
import { keepsKey, oneKey } from './shared.js'

/**
 * Streams (Redis's t_stream.c). Every read is counted: XRANGE, XREVRANGE, XREAD and XREADGROUP
 * need COUNT ≤ the limit (per stream), else they read the whole range — XREADGROUP '>' can be a
 * whole backlog; XINFO STREAM FULL defaults to COUNT 10 and COUNT 0 is every entry and PEL;
 * XPENDING's count and XAUTOCLAIM's COUNT (default 100) follow the same rule. XADD creates the
 * stream without a TTL unless NOMKSTREAM, and so does XGROUP CREATE .. MKSTREAM; the rest
 * (XACK, XCLAIM, XDEL, XTRIM, XSETID, XREADGROUP's PEL) change an existing stream only.
 */
export const STREAMS: readonly Row[] = [
  // O(1)
  def('XLEN', oneKey),
  // O(1) per ID (XTRIM O(evicted)), existing stream only
  def('XACK XCLAIM XDEL XSETID XTRIM', keepsKey),
  // O(log N + M): M is COUNT, or the whole range without it
  def('XRANGE XREVRANGE', (name) => {
    const base = makeProfile(name, { keys: 1, read: READ.stream })
    return (argv, max) => {
      const count = optionValue(argv, 4, 'COUNT')
      return reading(base, count === undefined ? Number.POSITIVE_INFINITY : countItems(count, true), max)
    }
  }),
  def('XREAD XREADGROUP', (name) => {
    const group = name === 'XREADGROUP'
    const base = makeProfile(name, {
      keys: 'context',
      multiKey: true,
      read: READ.xread,
      writes: group ? [w('all', 'keeps')] : [],
    })
    return (argv, max) => {
      // XREAD [COUNT n] [BLOCK ms] STREAMS ...; XREADGROUP GROUP g c [COUNT n] [BLOCK ms] [NOACK] STREAMS ...
      let count: number | undefined
      for (let i = group ? 4 : 1; i < argv.length; i++) {
        const t = token(argv[i])
        if (t === 'STREAMS') break
        if (t === 'COUNT') count = int(argv[++i])
        else if (t === 'BLOCK') i++
      }
      return reading(base, count === undefined ? Number.POSITIVE_INFINITY : countItems(count, true), max)
    }
  }),
  // O(1) (plus the trim); creates the stream without a TTL unless NOMKSTREAM
  def('XADD', (name) => {
    const creates = makeProfile(name, { keys: 1, writes: [w(1, 'creates')] })
    const keeps = makeProfile(name, { keys: 1, writes: [w(1, 'keeps')] })
    return (argv) => {
      // XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT n]] id field value ...
      for (let i = 2; i < argv.length; i++) {
        const t = token(argv[i])
        if (t === 'NOMKSTREAM') return keeps
        if (t === 'MAXLEN' || t === 'MINID') {
          const next = token(argv[i + 1])
          i += next === '=' || next === '~' ? 2 : 1
        } else if (t === 'LIMIT') i++
        else break // the entry ID: what follows are fields and values
      }
      return creates
    }
  }),
  def('XGROUP', () => {
    const create = makeProfile('XGROUP CREATE', { keys: 2, writes: [w(2, 'keeps')] })
    const mkstream = makeProfile('XGROUP CREATE', { keys: 2, writes: [w(2, 'creates')] })
    const other = makeProfile('XGROUP', { keys: 2, writes: [w(2, 'keeps')] })
    const help = makeProfile('XGROUP HELP')
    return (argv) => {
      const sub = token(argv[1])
      if (sub === 'HELP') return help
      if (sub !== 'CREATE') return other
      return has(argv, 5, 'MKSTREAM') ? mkstream : create
    }
  }),
  def('XINFO', () => {
    const stream = makeProfile('XINFO STREAM', { keys: 2, read: READ.xinfo })
    const other = makeProfile('XINFO', { keys: 2 })
    const help = makeProfile('XINFO HELP')
    return (argv, max) => {
      const sub = token(argv[1])
      if (sub === 'HELP') return help
      if (sub !== 'STREAM') return other
      if (!has(argv, 3, 'FULL')) return stream
      const count = optionValue(argv, 4, 'COUNT')
      // FULL defaults to COUNT 10; COUNT 0 means every entry.
      return reading(stream, count === 0 ? Number.POSITIVE_INFINITY : (count ?? 10), max)
    }
  }),
  def('XPENDING', (name) => {
    const base = makeProfile(name, { keys: 1, read: READ.xpending })
    return (argv, max) => {
      // XPENDING key group [[IDLE ms] start end count [consumer]]
      const at = token(argv[3]) === 'IDLE' ? 5 : 3
      return argv.length > at ? reading(base, countItems(int(argv[at + 2]), false), max) : base
    }
  }),
  def('XAUTOCLAIM', (name) => {
    const base = makeProfile(name, { keys: 1, read: READ.xautoclaim, writes: [w(1, 'keeps')] })
    return (argv, max) => reading(base, countItems(optionValue(argv, 6, 'COUNT'), false), max)
  }),
]
