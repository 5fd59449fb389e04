import { RedisExpertError } from '../errors.js'

export function encodeFailed(codec: string, reason: string, cause?: unknown): RedisExpertError {
  return new RedisExpertError('ENCODE_FAILED', `${codec} codec cannot encode the value: ${reason}`, {
    cause,
    details: { codec },
  })
}

export function decodeFailed(codec: string, reason: string, cause?: unknown): RedisExpertError {
  return new RedisExpertError('DECODE_FAILED', `${codec} codec cannot decode the stored value: ${reason}`, {
    cause,
    details: { codec },
  })
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
