/**
 * Early refresh: whether a fresh hit should start a background reload now, so that a hot key
 * is reloaded before it expires and no caller ever sees it miss.
 *
 * - XFetch (probabilistic early expiration, Vattani et al.): refresh when
 *   `now − loadMs·β·ln(U) ≥ freshUntil`, U uniform in (0, 1]. The chance rises as expiry nears
 *   and is weighted by how long a load takes, so slow loads start earlier. Callers in many
 *   processes draw independently; the lease makes sure only one of them reloads.
 * - A floor: with less than two load times left, always refresh — XFetch alone can, by
 *   chance, wait too long for a loader that is fast relative to the read interval.
 * - Refresh-ahead (`ratio`): refresh once that fraction of the TTL has passed.
 */
export interface EarlyRefreshPolicy {
  readonly beta: number
  readonly ratio: number | null
}

export function shouldRefreshEarly(
  policy: EarlyRefreshPolicy,
  now: number,
  createdAt: number,
  freshUntil: number,
  loadMs: number,
  random: () => number,
): boolean {
  if (!Number.isFinite(freshUntil) || freshUntil <= now) return false
  const left = freshUntil - now
  const delta = Math.max(1, loadMs)
  if (left <= 2 * delta) return true
  if (policy.ratio !== null && createdAt >= 0 && now - createdAt >= policy.ratio * (freshUntil - createdAt))
    return true
  // −ln(U) never exceeds ~37 for a double U in (0, 1]: further from expiry than that many
  // weighted load times, no draw can say yes, so the hit path skips the random draw.
  if (policy.beta === 0 || left > 37 * delta * policy.beta) return false
  // 1 − random() is in (0, 1]: never log(0).
  return now - delta * policy.beta * Math.log(1 - random()) >= freshUntil
}
