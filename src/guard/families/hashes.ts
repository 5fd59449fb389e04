import { token } from '../args.js'
import { def, makeProfile, type Row, w } from '../profile.js'
import { READ } from '../refusals.js'
import { createsKey, keepsKey, keyScan, oneKey, randomItems } from './shared.js'

/**
 * Hashes (Redis's t_hash.c). The unbounded reads are the whole-hash ones — HGETALL, HKEYS, HVALS
 * are O(N) and refused unless the key's declaration bounds it (maxItems ≤ the limit) — and the
 * counted ones: HSCAN COUNT and HRANDFIELD n above the limit (a negative n returns -n fields
 * whatever the hash holds). The writes that may create the hash (HSET, HSETNX, HMSET, HINCRBY*)
 * need a TTL later in the same batch unless the declaration exempts the key; the field-TTL
 * commands (HEXPIRE & co) change an existing hash only, and so does HSETEX with a field expiry.
 */
export const HASHES: readonly Row[] = [
  // O(1) per field asked
  def('HEXISTS HEXPIRETIME HGET HLEN HMGET HPEXPIRETIME HPTTL HSTRLEN HTTL', oneKey),
  // O(1) per field; create a missing hash without a TTL
  def('HINCRBY HINCRBYFLOAT HMSET HSET HSETNX', createsKey),
  // O(1) per field, existing hash only (field TTLs are not the key's TTL)
  def('HDEL HEXPIRE HEXPIREAT HGETDEL HGETEX HPERSIST HPEXPIRE HPEXPIREAT', keepsKey),
  // O(N): the whole hash, unless bounded
  def('HGETALL HKEYS HVALS', (name) =>
    makeProfile(name, { keys: 1, read: READ.hgetall, items: Number.POSITIVE_INFINITY }),
  ),
  def('HSCAN', keyScan),
  def('HRANDFIELD', randomItems),
  def('HSETEX', (name) => {
    // Redis 8: fields written with an expiry vanish by themselves, so the key cannot outlive them.
    const expiring = makeProfile(name, { keys: 1, writes: [w(1, 'keeps')] })
    const creates = makeProfile(name, { keys: 1, writes: [w(1, 'creates')] })
    return (argv) => {
      for (let i = 2; i < argv.length; i++) {
        const t = token(argv[i])
        if (t === 'FIELDS') break
        if (t === 'EX' || t === 'PX' || t === 'EXAT' || t === 'PXAT') return expiring
      }
      return creates
    }
  }),
]
