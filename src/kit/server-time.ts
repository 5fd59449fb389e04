/** A `TIME` reply (seconds, microseconds; strings or Buffers) in ms, as the scripts compute it; NaN if it is not one. */
export function serverTimeMs(reply: unknown): number {
  if (!Array.isArray(reply) || reply.length < 2) return Number.NaN
  return Number(String(reply[0])) * 1000 + Math.floor(Number(String(reply[1])) / 1000)
}
