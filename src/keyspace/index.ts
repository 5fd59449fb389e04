/**
 * The keyspace: one declaration → typed keys, TTL on every write, the Key Schema table and
 * the decision log.
 */
export type { DecisionRecord } from './decisions.js'
export { decideEntry } from './decisions.js'
export type { Durability, EntryDeclaration, EntryPolicy, Role } from './declaration.js'
export { ROLES } from './declaration.js'
export {
  assertDisjoint,
  defineKeyspace,
  type Entry,
  type EntryDeclarations,
  isKeyspace,
  KEYSPACE_BRAND,
  type KeyArgs,
  type KeyParams,
  type Keyspace,
  type KeyspaceApi,
  type ParamNames,
  type ParsedParams,
} from './define.js'
export { describeEntry, type SchemaRow } from './describe.js'
export {
  DEFAULT_LISTPACK_LIMITS,
  EMBSTR_MAX_BYTES,
  type EncodingInput,
  type EncodingPrediction,
  type ListpackLimits,
  listpackBytes,
  MAX_BULK_BYTES,
  predictEncoding,
  type ServerTraits,
} from './encoding.js'
export { decodeParam, EMPTY_SENTINEL, encodeParam, type ParamValue } from './escape.js'
export { type OperationPlan, operationsFor } from './operations.js'
export { DELIMITERS } from './pattern.js'
export { type ReportFormat, renderDecisions, renderSchema } from './render.js'
export {
  type BitmapType,
  type CounterType,
  type Fields,
  type HashType,
  type HllType,
  type JsonType,
  type ListType,
  type SetType,
  type StreamType,
  type StringType,
  type TypeDescriptor,
  type TypeKind,
  type TypeSpec,
  t,
  type ZsetType,
} from './types.js'
