/** The ground every layer stands on: the command and reply types, key slots, durations, validation. */
export { crc16, keySlot } from './slot.js'
export { formatTtl, jitteredTtl, MAX_TTL_MS, parseTtl, type TtlSpec, type TtlUnit } from './ttl.js'
export * from './types.js'
