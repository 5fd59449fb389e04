export { crc16, keySlot } from '../common/slot.js'
export { windowItems } from './args.js'
export { classify, knownCommands } from './classify.js'
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
export type { KeyLocation, KeySel, KeyWrite, Profile, ReadRule, Refusal, TtlEffect } from './profile.js'
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
