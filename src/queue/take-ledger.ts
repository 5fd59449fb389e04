import { randomBytes } from 'node:crypto'

/**
 * The first lease of a job handed to an idle worker, on the server (the add sets it): the worker
 * renews it on receipt. Should the job still be on the worker's list when it runs out (the worker
 * died while it waited), it is given back, uncounted, this long after its add — not a whole lease
 * later. Once the worker's wait took it, the job is the worker's for its own lease from the add
 * (its registration carries it, take.lua), which is what the worker counts on.
 */
export const RECEIPT_MS = 5000

/** What one take call carries besides its outcomes and count (see take.lua, ARGV 2, 9, 10, 12, 13). */
export interface CallTokens {
  /** This call's lease token. */
  readonly token: string
  /** Earlier calls whose reply was lost (their jobs go back), and those whose reply arrived. */
  readonly revoke: readonly string[]
  readonly confirm: readonly string[]
  /** This worker's registration as idle, made should the call hand over fewer jobs than asked; '' for none. */
  readonly register: string
  /** The earlier registration this call withdraws; '' for none. */
  readonly unregister: string
}

/**
 * A queue worker's account of its take calls between one call and the next: the lease tokens
 * (a random prefix per worker, a counter per call), the calls whose reply was lost or arrived,
 * and its registration as idle — the member of the queue's idle set through which an add hands
 * a job straight to this worker's wake-up list (add.lua). Pure bookkeeping: no I/O.
 *
 * A registration lives from the reply of the call that made it until the next call withdraws it
 * or an add spends it (the job handed over arrives on the wake-up list). It is never withdrawn
 * while a wait is in flight: that wait may be receiving the job handed to it.
 */
export class TakeLedger {
  /** The worker's own part of every token. */
  readonly worker = randomBytes(9).toString('base64url')
  readonly #leaseMs: number
  readonly #wakeKey: (waiter: string) => string
  #seq = 0
  #revoke: string[] = []
  #confirm: string[] = []
  #registered: string | null = null
  /** When the call that made it was sent, by the worker's clock: no add can have spent it earlier. */
  #registeredSince = 0

  constructor(leaseMs: number, wakeKey: (waiter: string) => string) {
    this.#leaseMs = leaseMs
    this.#wakeKey = wakeKey
  }

  /**
   * The wake-up list the next wait blocks on, beside the queue's signal: the registration's own,
   * to which an add pushes the job it hands over (add.lua), or else the worker's.
   */
  get wakeKey(): string {
    return this.#wakeKey(this.#registered ?? this.worker)
  }

  /** The registration in force (null: none), as the idle set holds it. */
  get registered(): string | null {
    return this.#registered
  }

  /** When the call that made the registration in force was sent (performance.now()). */
  get registeredSince(): number {
    return this.#registeredSince
  }

  /**
   * The next call's tokens. `alone`: no other call in flight — only such a call may leave the
   * worker idle, so only it registers; `waiting`: a wait is in flight, so nothing is withdrawn.
   */
  next(count: number, alone: boolean, waiting: boolean): CallTokens {
    const token = `${this.worker}.${(this.#seq++).toString(36)}`
    const call = {
      token,
      revoke: this.#revoke,
      confirm: this.#confirm,
      // The lease of a job handed to it rides in the registration (take.lua's housekeeping).
      register: count > 0 && alone ? `${token}.${this.#leaseMs}~` : '',
      unregister: waiting ? '' : (this.#registered ?? ''),
    }
    this.#revoke = []
    this.#confirm = []
    if (call.unregister !== '') this.#registered = null
    return call
  }

  /**
   * The reply of the call sent at `sentAt` arrived: what it took is confirmed by the next call;
   * short of `count`, it registered.
   */
  replied(call: CallTokens, took: number, count: number, sentAt: number): void {
    if (took > 0) this.#confirm.push(call.token)
    if (call.register !== '' && took < count) {
      this.#registered = call.register
      this.#registeredSince = sentAt
    }
  }

  /**
   * The call failed: it may have run without its reply reaching the worker. The next call gives
   * back what it took, uncounted (or makes it take nothing if it has not run yet), carries its
   * tokens again, and withdraws what it may have registered — unless the worker is closing: then
   * the registration is left to end with its wait (a worker cut off from Redis cannot withdraw it).
   */
  failed(call: CallTokens, took: boolean, closing: boolean): void {
    if (took) this.#revoke.push(call.token)
    this.#revoke.push(...call.revoke)
    this.#confirm.push(...call.confirm)
    const registration = call.register || call.unregister
    if (!closing && registration !== '') this.#registered = registration
  }

  /**
   * A job handed over on the wake-up list, leased to `token`, reached a wait that began under
   * `registeredAtWait`. True: it is this worker's to run (the registration is spent). False: it
   * was handed to a registration withdrawn since; the job goes back when its first lease runs
   * out unrenewed (take.lua's housekeeping).
   */
  handed(token: string, registeredAtWait: string | null): boolean {
    if (registeredAtWait === null || registeredAtWait !== token) return false
    this.#registered = null
    return true
  }
}
