import { def, makeProfile, type Row } from '../profile.js'
import { READ } from '../refusals.js'
import {
  combine,
  combineStore,
  createsKey,
  intersect,
  intersectStore,
  keepsKey,
  keyScan,
  move,
  oneKey,
  pop,
  randomItems,
} from './shared.js'

/**
 * Sets (Redis's t_set.c). SMEMBERS reads the whole set, O(N): refused unless the declaration
 * bounds it. The algebra is judged by what it walks: SINTER and SINTERCARD are O(N·K), N the
 * smallest input, so allowed when the smallest declared bound ≤ the limit (SINTERCARD's LIMIT
 * bounds the reply, not the walk); SUNION and SDIFF are O(total), allowed when the bounds sum to
 * ≤ the limit; the *STORE forms also leave their destination without a TTL. SSCAN COUNT,
 * SRANDMEMBER n and SPOP n are counted. SADD and SMOVE's destination may create the set without a TTL.
 */
export const SETS: readonly Row[] = [
  // O(1) per member asked
  def('SCARD SISMEMBER SMISMEMBER', oneKey),
  // O(1) per member
  def('SADD', createsKey),
  def('SREM', keepsKey),
  // O(N): the whole set, unless bounded
  def('SMEMBERS', (name) =>
    makeProfile(name, { keys: 1, read: READ.smembers, items: Number.POSITIVE_INFINITY }),
  ),
  def('SINTER SINTERCARD', intersect),
  def('SUNION SDIFF', combine),
  def('SINTERSTORE', intersectStore),
  def('SUNIONSTORE SDIFFSTORE', combineStore),
  def('SSCAN', keyScan),
  def('SRANDMEMBER', randomItems),
  def('SPOP', pop),
  def('SMOVE', move),
]
