import { def, type Row } from '../profile.js'
import { noKeys, oneKey, slotOnly } from './shared.js'

/**
 * Pub/sub (Redis's pubsub.c). Channels are not keys, so nothing here reads or writes data: the
 * one concern is the slot rule for the sharded forms, whose channels hash like keys —
 * SSUBSCRIBE/SUNSUBSCRIBE of several channels must stay in one slot.
 */
export const PUBSUB: readonly Row[] = [
  // O(subscribers) per message; channels are not keys
  def('PSUBSCRIBE PUBLISH PUBSUB PUNSUBSCRIBE SUBSCRIBE UNSUBSCRIBE', noKeys),
  // the shard channel is a key position
  def('SPUBLISH', oneKey),
  def('SSUBSCRIBE SUNSUBSCRIBE', slotOnly),
]
