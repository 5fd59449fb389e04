import { badTtl, countItems, has, int, scanCount, token } from '../args.js'
import { def, makeProfile, type Row, reading, refusedTtl, w } from '../profile.js'
import { READ, REFUSE } from '../refusals.js'
import { noKeys, oneKey, slotOnly } from './shared.js'

/**
 * Generic key commands (Redis's db.c, expire.c, sort.c, cluster.c's DUMP/RESTORE/MIGRATE).
 * - KEYS is refused whatever its pattern, even an exact key: it walks the keyspace in one call;
 *   SCAN COUNT is the work of one call (> the limit refused; the default 10 is fine).
 * - DEL frees on the main thread: refused (with UNLINK as a drop-in rewrite, same reply) unless
 *   every key is declared a value kind (string, counter, json, hll, bitmap) or bounded.
 * - DUMP serializes, and SORT/SORT_RO sort, the whole key: O(N + M log M) whatever LIMIT says
 *   (LIMIT bounds the reply only: stricter than "SORT without LIMIT"), so refused unless bounded.
 * - TTL: EXPIRE PEXPIRE EXPIREAT PEXPIREAT (NX, LT or no flag) give an existing key a TTL; XX and
 *   GT do nothing to a key without one, so they give none; a TTL ≤ 0 (a past *AT) deletes the
 *   key, a valid use. A TTL that is not a whole number, or beyond 10 years, is refused. PERSIST
 *   and RESTORE 0 leave the key without a TTL. RENAME, RENAMENX and COPY give the destination the
 *   source's TTL: fine from a key that needs one; from a key declared persistent/source-of-truth
 *   (or left without a TTL earlier in the batch) onto a key whose entry has one, a PEXPIRE must
 *   follow. Deleting (DEL UNLINK MOVE MIGRATE) is fine for the TTL rule; MOVE keeps the key's name.
 * - EXISTS, TOUCH, DEL, UNLINK, RENAME, COPY address several keys: the slot rule.
 */
export const GENERIC: readonly Row[] = [
  // O(1)
  def('EXPIRETIME PEXPIRETIME PTTL TTL TYPE', oneKey),
  def('RANDOMKEY', noKeys),
  // O(keys), the caller's own list
  def('EXISTS TOUCH', slotOnly),
  def('KEYS', (name) => makeProfile(name, { refusal: REFUSE.keys })),
  def('SCAN', (name) => {
    const base = makeProfile(name, { read: READ.scan })
    return (argv, max) => reading(base, countItems(scanCount(argv, 2), false), max)
  }),
  // MOVE keeps the key's name in another db: its declaration is its own
  def('MOVE', (name) => makeProfile(name, { keys: 1, writes: [w(1, 'deletes')] })),
  // O(keys) here; the values are freed in a background thread
  def('UNLINK', (name) =>
    makeProfile(name, { keys: 'context', multiKey: true, writes: [w('all', 'deletes')] }),
  ),
  // O(N) per collection freed, on the main thread
  def('DEL', (name) =>
    makeProfile(name, { keys: 'context', multiKey: true, writes: [w('all', 'deletes')], frees: true }),
  ),
  def('PERSIST', (name) => makeProfile(name, { keys: 1, writes: [w(1, 'persists')] })),
  def('RENAME RENAMENX', (name) =>
    makeProfile(name, { keys: 'context', multiKey: true, writes: [w(2, 'inherits', 1), w(1, 'deletes')] }),
  ),
  def('COPY', (name) =>
    makeProfile(name, { keys: 'context', multiKey: true, writes: [w(2, 'inherits', 1)] }),
  ),
  def('DUMP', (name) => makeProfile(name, { keys: 1, read: READ.dump, items: Number.POSITIVE_INFINITY })),
  def('SORT_RO', (name) => makeProfile(name, { keys: 1, read: READ.sort, items: Number.POSITIVE_INFINITY })),
  def('SORT', (name) => {
    const plain = makeProfile(name, { keys: 1, read: READ.sort, items: Number.POSITIVE_INFINITY })
    return (argv) => {
      // SORT key [BY p] [LIMIT o c] [GET p ...] [ASC|DESC] [ALPHA] [STORE dst]
      for (let i = 2; i < argv.length - 1; i++) {
        const t = token(argv[i])
        if (t === 'STORE') {
          return makeProfile(name, {
            keys: 'context',
            multiKey: true,
            read: READ.sort,
            items: Number.POSITIVE_INFINITY,
            writes: [w(i + 1, 'clears')],
          })
        }
        if (t === 'BY' || t === 'GET') i++
        else if (t === 'LIMIT') i += 2
      }
      return plain
    }
  }),
  def('EXPIRE PEXPIRE EXPIREAT PEXPIREAT', (name) => {
    const relative = !name.endsWith('AT')
    const unit = name[0] === 'E' ? 1000 : 1
    const expires = makeProfile(name, { keys: 1, writes: [w(1, 'expires')] })
    const keeps = makeProfile(name, { keys: 1, writes: [w(1, 'keeps')] })
    const deletes = makeProfile(name, { keys: 1, writes: [w(1, 'deletes')] })
    return (argv) => {
      // A TTL ≤ 0 (a time in the past) deletes the key: a valid use. Not an integer, or too far: refused.
      const bad = badTtl(argv[2], unit, relative ? 'relative' : 'absolute')
      if (bad !== undefined) return refusedTtl(name, bad)
      const t = token(argv[3])
      // XX: only keys that already have a TTL; GT: a key without a TTL counts as infinite. Neither gives one.
      if (t === 'XX' || t === 'GT') return keeps
      const ttl = int(argv[2])
      return relative && ttl !== undefined && ttl <= 0 ? deletes : expires
    }
  }),
  def('RESTORE RESTORE-ASKING', (name) => {
    const withTtl = makeProfile(name, { keys: 1, writes: [w(1, 'with-ttl')] })
    const clears = makeProfile(name, { keys: 1, writes: [w(1, 'clears')] })
    return (argv) => {
      // RESTORE key ttl payload [REPLACE] [ABSTTL] ...: ttl 0 is "no TTL", ABSTTL makes it a unix time in ms.
      if (int(argv[2]) === 0) return clears
      let absolute = false
      for (let i = 4; i < argv.length; i++) if (token(argv[i]) === 'ABSTTL') absolute = true
      const bad = badTtl(argv[2], 1, absolute ? 'absolute' : 'positive')
      return bad === undefined ? withTtl : refusedTtl(name, bad)
    }
  }),
  // MIGRATE deletes its keys here unless COPY
  def('MIGRATE', (name) => {
    const moves = makeProfile(name, { keys: 'context', multiKey: true, writes: [w('all', 'deletes')] })
    const copies = makeProfile(name, { keys: 'context', multiKey: true })
    return (argv) => (has(argv, 6, 'COPY') ? copies : moves)
  }),
  def('OBJECT', () => {
    const keyed = makeProfile('OBJECT', { keys: 2 })
    const help = makeProfile('OBJECT HELP')
    return (argv) => (token(argv[1]) === 'HELP' ? help : keyed)
  }),
]
