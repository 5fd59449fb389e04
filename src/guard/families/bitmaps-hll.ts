import { token } from '../args.js'
import { def, makeProfile, type Row, w } from '../profile.js'
import { REFUSE } from '../refusals.js'
import { createsKey, oneKey, slotOnly } from './shared.js'

/**
 * Bitmaps and HyperLogLogs (Redis's bitops.c and hyperloglog.c): strings underneath, so their
 * reads are bounded by the value's size (BITCOUNT and BITPOS are O(N) in bytes, at most 512 MB
 * but in practice the declared bitmap) and allowed. The hard stops are the TTL — SETBIT,
 * BITFIELD SET/INCRBY and PFADD may create the key without one, PFMERGE's destination too, and
 * BITOP leaves its destination without one — and two internal testing commands, PFDEBUG and
 * PFSELFTEST, refused because they can run for long on the main thread.
 */
export const BITMAPS_AND_HLL: readonly Row[] = [
  // O(1) (GETBIT), O(N) in the value's bytes (BITCOUNT, BITPOS), O(fields) (BITFIELD_RO)
  def('BITCOUNT BITFIELD_RO BITPOS GETBIT', oneKey),
  // O(1) writes that create a missing key without a TTL
  def('PFADD SETBIT', createsKey),
  // O(1) per key (cached cardinalities), several keys: the slot rule
  def('PFCOUNT', slotOnly),
  // O(N) in the sources; the destination may be created without a TTL
  def('PFMERGE', (name) => makeProfile(name, { keys: 'context', multiKey: true, writes: [w(1, 'creates')] })),
  // BITOP op destkey key ...: O(N) in the longest source; the destination is left without a TTL
  def('BITOP', (name) => makeProfile(name, { keys: 'context', multiKey: true, writes: [w(2, 'clears')] })),
  // BITFIELD is a read unless a SET or INCRBY subcommand writes (and may create the key)
  def('BITFIELD', (name) => {
    const read = makeProfile(name, { keys: 1 })
    const creates = makeProfile(name, { keys: 1, writes: [w(1, 'creates')] })
    return (argv) => {
      for (let i = 2; i < argv.length; i++) {
        const t = token(argv[i])
        if (t === 'SET' || t === 'INCRBY') return creates
      }
      return read
    }
  }),
  // internal testing commands: refused
  def('PFSELFTEST', (name) => makeProfile(name, { refusal: REFUSE.pfdebug })),
  def('PFDEBUG', (name) => makeProfile(name, { keys: 2, refusal: REFUSE.pfdebug })),
]
