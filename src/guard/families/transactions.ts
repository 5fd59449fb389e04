import { def, type Row } from '../profile.js'
import { noKeys, slotOnly } from './shared.js'

/**
 * Transactions (Redis's multi.c). MULTI, EXEC and DISCARD delimit a group whose keys must share a
 * slot — the batch check (policy.ts) judges the commands between them together; WATCH's keys must
 * share one too.
 */
export const TRANSACTIONS: readonly Row[] = [
  def('DISCARD EXEC MULTI UNWATCH', noKeys),
  def('WATCH', slotOnly),
]
