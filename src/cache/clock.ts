import { serverTimeMs } from '../kit/server-time.js'

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
    const serverMs = serverTimeMs(reply)
    if (Number.isFinite(serverMs)) this.#offset = Math.round(serverMs - (sentAt + receivedAt) / 2)
  }
}
