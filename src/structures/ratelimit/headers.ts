import type { Decision } from './limiter.js'

/**
 * The standard headers (IETF draft "RateLimit header fields for HTTP"): RateLimit-Limit,
 * RateLimit-Remaining, RateLimit-Reset (seconds until the allowance is full again) and, on a
 * refusal, Retry-After (seconds, RFC 9110). Seconds round up so a client never retries early.
 */
export function rateLimitHeaders(decision: Decision, windowMs: number): Record<string, string> {
  const headers: Record<string, string> = {
    'RateLimit-Policy': `${decision.limit};w=${Math.ceil(windowMs / 1000)}`,
    'RateLimit-Limit': String(decision.limit),
    'RateLimit-Remaining': String(Math.max(0, decision.remaining)),
    'RateLimit-Reset': String(Math.ceil(decision.resetMs / 1000)),
  }
  if (!decision.allowed) headers['Retry-After'] = String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000)))
  return headers
}
