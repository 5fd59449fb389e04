import { int, optionValue } from '../args.js'
import { def, makeProfile, type Row, reading } from '../profile.js'
import { READ } from '../refusals.js'
import { blockingPop, createsKey, indexWindow, keepsKey, move, multiPop, oneKey, pop } from './shared.js'

/**
 * Lists (Redis's t_list.c). Reads are judged by how far they walk: LRANGE by its window (one sign,
 * e.g. 0 999 or -1000 -1, is exact; a window spanning both signs, 0 -1, depends on N: the whole
 * list), LINDEX by its distance from the nearer end, LPOS by MAXLEN (none: the whole list), the
 * pops by their count — each within the limit, or the key's declaration bounds it. LREM, LINSERT,
 * LSET and LTRIM are O(N) maintenance writes the data model owns: allowed. LPUSH/RPUSH and a move's
 * destination may create the list without a TTL; LPUSHX/RPUSHX touch an existing list only.
 */
export const LISTS: readonly Row[] = [
  // O(1)
  def('LLEN', oneKey),
  // O(1) per element; create a missing list without a TTL
  def('LPUSH RPUSH', createsKey),
  // existing list only; LINSERT LREM LSET LTRIM are O(N) maintenance, allowed
  def('LINSERT LPUSHX LREM LSET LTRIM RPUSHX', keepsKey),
  def('BLPOP BRPOP', blockingPop),
  // O(S + N), S the offset from the nearer end, N the window
  def('LRANGE', indexWindow),
  def('LPOP RPOP', pop),
  def('LMPOP BLMPOP', multiPop),
  def('LMOVE BLMOVE RPOPLPUSH BRPOPLPUSH', move),
  // LPOS scans the list: MAXLEN ≤ max, or bounded
  def('LPOS', (name) => {
    const base = makeProfile(name, { keys: 1, read: READ.lpos })
    return (argv, max) => {
      const maxlen = optionValue(argv, 3, 'MAXLEN')
      return reading(base, maxlen === undefined || maxlen <= 0 ? Number.POSITIVE_INFINITY : maxlen, max)
    }
  }),
  // LINDEX i: O(distance from its end): abs(i) ≤ max, or bounded
  def('LINDEX', (name) => {
    const base = makeProfile(name, { keys: 1, read: READ.lindex })
    return (argv, max) => {
      const index = int(argv[2])
      return reading(base, index === undefined ? 0 : index >= 0 ? index + 1 : -index, max)
    }
  }),
]
