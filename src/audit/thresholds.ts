import { unknownOption } from '../common/validate.js'
import { invalidArgument } from '../errors.js'

/**
 * The numbers behind the rules. Defaults follow the established tools: `redis-cli --bigkeys`
 * and RedisInsight's recommendations for big keys, `MEMORY DOCTOR` for fragmentation and peak.
 */
export interface Thresholds {
  /** big-key: a string longer than this (STRLEN, bytes). */
  readonly bigStringBytes: number
  /** big-key: a hash with more fields. */
  readonly bigHashFields: number
  /** big-key: a set with more members. */
  readonly bigSetMembers: number
  /** big-key: a sorted set with more members. */
  readonly bigZsetMembers: number
  /** big-key: a list with more elements (the fix is list-compress-depth, or a bound). */
  readonly bigListItems: number
  /** big-key: a stream with more entries (the fix is XADD MAXLEN / XTRIM). */
  readonly bigStreamEntries: number
  /** hash-candidate: at least this many sampled strings of one pattern... */
  readonly hashCandidateMinKeys: number
  /** ...each smaller than this (MEMORY USAGE, bytes). */
  readonly hashCandidateMaxBytes: number
  /** encoding: "just past" the listpack limit means at most limit × this factor. */
  readonly encodingNearFactor: number
  /** memory-doctor: fragmentation ratio above this... */
  readonly fragmentationRatio: number
  /** ...and more wasted bytes than this. */
  readonly fragmentationBytes: number
  /** memory-doctor: peak memory above used × this. */
  readonly peakRatio: number
  /** memory-doctor: below this much used memory the checks are meaningless (MEMORY DOCTOR says so too). */
  readonly memoryDoctorMinBytes: number
  /** lua-scripts: more cached scripts than this. */
  readonly cachedScripts: number
  /** clients: more connected clients than this. */
  readonly connectedClients: number
}

/**
 * The thresholds the rules use unless an audit overrides them (sizes past which a key is big, an encoding
 * is near its limit, and so on).
 */
export const DEFAULT_THRESHOLDS: Thresholds = {
  bigStringBytes: 1024 * 1024,
  bigHashFields: 5000,
  bigSetMembers: 100_000,
  bigZsetMembers: 100_000,
  bigListItems: 1000,
  bigStreamEntries: 100_000,
  hashCandidateMinKeys: 50,
  hashCandidateMaxBytes: 200,
  encodingNearFactor: 2,
  fragmentationRatio: 1.4,
  fragmentationBytes: 10 * 1024 * 1024,
  peakRatio: 1.5,
  memoryDoctorMinBytes: 5 * 1024 * 1024,
  cachedScripts: 10,
  connectedClients: 100,
}

/** `big-hash-fields` ↔ `bigHashFields`: the CLI spells thresholds in kebab case. */
export function thresholdName(cliName: string): keyof Thresholds | null {
  const camel = cliName.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())
  return Object.hasOwn(DEFAULT_THRESHOLDS, camel) ? (camel as keyof Thresholds) : null
}

export function kebab(name: keyof Thresholds): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)
}

/** Defaults overridden by `overrides`; INVALID_ARGUMENT for unknown names or non-positive values. */
export function resolveThresholds(overrides: Partial<Record<string, number>> = {}): Thresholds {
  const resolved: Record<string, number> = { ...DEFAULT_THRESHOLDS }
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) continue
    if (!Object.hasOwn(DEFAULT_THRESHOLDS, name))
      throw unknownOption('audit thresholds', name, Object.keys(DEFAULT_THRESHOLDS))
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
      throw invalidArgument(`audit threshold ${name} must be a positive number`, { threshold: name, value })
    resolved[name] = value
  }
  return resolved as unknown as Thresholds
}

/** Parses `--threshold big-hash-fields=10000` values. */
export function parseThresholdArgs(args: readonly string[]): Partial<Record<keyof Thresholds, number>> {
  const parsed: Partial<Record<keyof Thresholds, number>> = {}
  for (const arg of args) {
    const at = arg.indexOf('=')
    const name = at > 0 ? thresholdName(arg.slice(0, at)) : null
    if (name === null)
      throw invalidArgument(
        `--threshold ${JSON.stringify(arg)}: expected name=value with name one of ${Object.keys(
          DEFAULT_THRESHOLDS,
        )
          .map((n) => kebab(n as keyof Thresholds))
          .join(', ')}`,
        { option: '--threshold', value: arg },
      )
    const value = Number(arg.slice(at + 1))
    if (!Number.isFinite(value) || value <= 0)
      throw invalidArgument(`--threshold ${arg}: the value must be a positive number`, {
        option: '--threshold',
        value: arg,
      })
    parsed[name] = value
  }
  return parsed
}
