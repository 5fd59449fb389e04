export { crc16, keySlot } from '../common/slot.js'
export {
  classify,
  type KeyLocation,
  type KeySel,
  type KeyWrite,
  knownCommands,
  type Profile,
  type ReadRule,
  type Refusal,
  type TtlEffect,
  windowItems,
} from './classify.js'
export { formatViolation, GuardError, isGuardError } from './errors.js'
export {
  assertMode,
  assertReason,
  type EnforceOptions,
  GUARD_MODES,
  Guard,
  type GuardAction,
  type GuardEvent,
  type GuardMode,
  type GuardStats,
  type UnsafeOptions,
} from './modes.js'
export { checkBatch, checkCommand, DEFAULT_MAX_RANGE } from './policy.js'
export {
  CODE_OF_RULE,
  type DurabilityGap,
  GUARD_CODES,
  type GuardArg,
  type GuardBatchOptions,
  type GuardCode,
  type GuardCommand,
  type GuardContext,
  type GuardRule,
  type KeyPolicy,
  type Violation,
} from './types.js'
