import { type ErrorCode, RedisExpertError } from '../errors.js'

/**
 * The codes messaging raises besides the shared ones. `MessagingCode` once src/errors.ts lists
 * them; `ErrorCode` until then, so this compiles either way (the device of structures/common/errors.ts).
 */
export type MessagingCode = 'PUBSUB_OVERFLOW'
type Code = [MessagingCode] extends [ErrorCode] ? MessagingCode : ErrorCode

export function messagingError(
  code: MessagingCode,
  message: string,
  details: Record<string, unknown> = {},
): RedisExpertError {
  return new RedisExpertError(code as string as Code, message, { details })
}
