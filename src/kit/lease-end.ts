/**
 * When a holder must stop counting on a lease, by this process's monotonic clock
 * (`performance.now()`): `leaseMs` after the lease (re)started on the server — taken at the
 * earliest it can have started, e.g. when the call that started it was sent — less a margin for
 * drift between this clock and the server's (Redlock's: 1 % of the lease, plus 2 ms). Locks,
 * semaphores and queue jobs share it, so that a holder cut off from Redis learns it has lost the
 * lease before anyone else can take it.
 */
export function leaseEndsAt(startedAt: number, leaseMs: number): number {
  return startedAt + leaseMs - (Math.floor(leaseMs / 100) + 2)
}
