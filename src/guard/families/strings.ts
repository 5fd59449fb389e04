import { badTtl, token } from '../args.js'
import { def, makeProfile, type Row, refusedTtl, w } from '../profile.js'
import { createsKey, oneKey, slotOnly } from './shared.js'

/**
 * Strings (Redis's t_string.c). A string is one value: no read of it can be unbounded (GETRANGE
 * and LCS are bounded by the value's size), so the family's hard stop is the TTL.
 * - SET without EX/PX/EXAT/PXAT, GETSET and MSET leave the key without a TTL.
 * - SET NX, SET KEEPTTL without XX (KEEPTTL keeps only an existing TTL: stricter than the issue's
 *   list), SETNX, MSETNX and the in-place writes (APPEND SETRANGE INCR* DECR*) may create the key
 *   without one. Both are allowed when the same batch gives the key a TTL afterwards, or its
 *   declaration exempts it (persistent, source-of-truth; keepsTtl for "may create").
 * - SET XX drops an existing TTL (persists); SET XX KEEPTTL changes an existing key only.
 * - A TTL argument Redis would refuse ('abc', 1.5, < 1) or one beyond 10 years (MAX_TTL_MS; the
 *   *AT forms measured from this process's clock) is refused: in a batch it would leave the key
 *   without the TTL it was meant to get.
 * - MGET, MSET, MSETNX and LCS address several keys: the slot rule.
 */
export const STRINGS: readonly Row[] = [
  // O(1); GETRANGE/SUBSTR O(length asked), bounded by the value
  def('GET GETRANGE STRLEN SUBSTR', oneKey),
  // MGET O(keys), the caller's own list; LCS O(len(a)·len(b)) of two values
  def('LCS MGET', slotOnly),
  // O(1) writes in place: keep an existing TTL, create a missing key without one
  def('APPEND DECR DECRBY INCR INCRBY INCRBYFLOAT SETNX SETRANGE', createsKey),
  def('GETSET', (name) => makeProfile(name, { keys: 1, writes: [w(1, 'clears')] })),
  def('GETDEL', (name) => makeProfile(name, { keys: 1, writes: [w(1, 'deletes')] })),
  def('SETEX PSETEX', (name) => {
    const withTtl = makeProfile(name, { keys: 1, writes: [w(1, 'with-ttl')] })
    const unit = name === 'SETEX' ? 1000 : 1
    return (argv) => {
      const bad = badTtl(argv[2], unit, 'positive')
      return bad === undefined ? withTtl : refusedTtl(name, bad)
    }
  }),
  // O(keys): MSET leaves every key without a TTL; MSETNX may create them without one
  def('MSET', (name) => makeProfile(name, { keys: 'context', multiKey: true, writes: [w('all', 'clears')] })),
  def('MSETNX', (name) =>
    makeProfile(name, { keys: 'context', multiKey: true, writes: [w('all', 'creates')] }),
  ),
  def('SET', (name) => {
    const withTtl = makeProfile(name, { keys: 1, writes: [w(1, 'with-ttl')] })
    const clears = makeProfile(name, { keys: 1, writes: [w(1, 'clears')] })
    const creates = makeProfile(name, { keys: 1, writes: [w(1, 'creates')] })
    const persists = makeProfile(name, { keys: 1, writes: [w(1, 'persists')] })
    const keeps = makeProfile(name, { keys: 1, writes: [w(1, 'keeps')] })
    return (argv) => {
      // SET key value [NX|XX] [GET] [EX s|PX ms|EXAT t|PXAT t|KEEPTTL]
      let nx = false
      let xx = false
      let keepTtl = false
      for (let i = 3; i < argv.length; i++) {
        const t = token(argv[i])
        switch (t) {
          case 'EX':
          case 'PX':
          case 'EXAT':
          case 'PXAT': {
            const bad = badTtl(
              argv[i + 1],
              t[0] === 'E' ? 1000 : 1,
              t.endsWith('AT') ? 'absolute' : 'positive',
            )
            return bad === undefined ? withTtl : refusedTtl(name, bad)
          }
          case 'KEEPTTL':
            keepTtl = true
            break
          case 'NX':
            nx = true
            break
          case 'XX':
            xx = true
            break
        }
      }
      if (keepTtl) return xx ? keeps : creates
      if (xx) return persists // overwrites an existing key and drops its TTL; no-op on a missing one
      return nx ? creates : clears
    }
  }),
  // GETEX EX/PX/EXAT/PXAT gives an existing key a TTL; GETEX PERSIST removes it; plain GETEX is GET
  def('GETEX', (name) => {
    const read = makeProfile(name, { keys: 1 })
    const expires = makeProfile(name, { keys: 1, writes: [w(1, 'expires')] })
    const persists = makeProfile(name, { keys: 1, writes: [w(1, 'persists')] })
    return (argv) => {
      const t = token(argv[2])
      if (t === 'PERSIST') return persists
      if (t !== 'EX' && t !== 'PX' && t !== 'EXAT' && t !== 'PXAT') return read
      const bad = badTtl(argv[3], t[0] === 'E' ? 1000 : 1, t.endsWith('AT') ? 'absolute' : 'positive')
      return bad === undefined ? expires : refusedTtl(name, bad)
    }
  }),
]
