/** Typed operations: a keyspace's entries bound to an executor, each write carrying its TTL. */
export {
  type BindOptions,
  type BoundEntry,
  type BoundKeyspace,
  bindKeyspace,
  type OpsFor,
} from './bind.js'
export type * from './types.js'
