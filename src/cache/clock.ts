/**
 * The server's clock as seen from this process: envelopes carry server-clock times so that
 * every process judges freshness alike, whatever its own clock says. The offset is measured
 * once (TIME) when the cache is created; its error is half a round trip.
 */
export class ServerClock {
  #offset = 0

  now(): number {
    return Date.now() + this.#offset
  }

  /** `TIME` reply → offset, measured around the call that fetched it. */
  calibrate(reply: unknown, sentAt: number, receivedAt: number): void {
    if (!Array.isArray(reply) || reply.length < 2) return
    const serverMs = Number(reply[0]) * 1000 + Math.floor(Number(reply[1]) / 1000)
    if (Number.isFinite(serverMs)) this.#offset = Math.round(serverMs - (sentAt + receivedAt) / 2)
  }
}
