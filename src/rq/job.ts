import type { Client } from '../client/client.js'
import type { Reply } from '../common/types.js'
import { durationMs, strictOptions } from '../common/validate.js'
import { RedisExpertError } from '../errors.js'
import {
  decodeJobData,
  decodeResultEntry,
  decompressText,
  type JobCall,
  type JsonValue,
  parseUtc,
  type ResultEntry,
  type RqJobStatus,
} from './format.js'
import type { RqKeys } from './keyspace.js'
import { RQ_ALLOW } from './scripts.js'

/** What `RqJob.fetch()` reads from the job hash. */
export interface RqJobInfo {
  readonly id: string
  readonly status: RqJobStatus | null
  readonly call: JobCall | null
  readonly origin: string | null
  readonly description: string | null
  readonly createdAt: Date | null
  readonly enqueuedAt: Date | null
  readonly startedAt: Date | null
  readonly endedAt: Date | null
  readonly workerName: string | null
  readonly meta: JsonValue
  /** The latest entry of the results stream (rq/results.py), when there is one. */
  readonly latestResult: ResultEntry | null
}

/** How `job.result()` waits for an RQ job to end. */
export interface ResultOptions {
  /** How long to wait for the job to end; default 30 s. */
  readonly timeout?: number | `${number}${'ms' | 's' | 'm' | 'h'}`
  /** Longest pause between two polls; default 200 ms (the first polls come after 10, 20, 40 ms …). */
  readonly pollMs?: number
}

const HASH_FIELDS = [
  'status',
  'data',
  'origin',
  'description',
  'created_at',
  'enqueued_at',
  'started_at',
  'ended_at',
  'worker_name',
  'meta',
  'exc_info',
] as const

const asText = (r: Reply | undefined): string | null => (r === null || r === undefined ? null : String(r))

/**
 * A handle on one RQ job (`queue.enqueue()` returns one, `queue.job(id)` makes one for any id).
 * It holds no state beyond the id: every method reads Redis.
 */
export class RqJob<R = JsonValue> {
  readonly id: string
  readonly #db: Client
  readonly #keys: RqKeys

  /** @internal */
  constructor(db: Client, keys: RqKeys, id: string) {
    this.#db = db
    this.#keys = keys
    this.id = id
  }

  /** rq/job.py get_status: HGET status — one round trip; null when the job does not exist (any more). */
  async status(): Promise<RqJobStatus | null> {
    const status = asText(await this.#db.call(['HGET', this.#keys.job(this.id), 'status']))
    return status === null ? null : (status as RqJobStatus)
  }

  /** The job hash and its latest result: one round trip (HMGET + XREVRANGE COUNT 1, pipelined). */
  async fetch(): Promise<RqJobInfo | null> {
    const [fields, latest] = await this.#read(HASH_FIELDS)
    const f = Object.fromEntries(HASH_FIELDS.map((name, i) => [name, fields[i] ?? null])) as Record<
      (typeof HASH_FIELDS)[number],
      Buffer | null
    >
    if (f.data === null && f.status === null) return null
    let call: JobCall | null = null
    try {
      call = decodeJobData(f.data)
    } catch {
      // A job another serializer wrote: the hash is still worth reporting.
    }
    const str = (b: Buffer | null) => (b === null ? null : b.toString('utf8'))
    let meta: JsonValue = {}
    if (f.meta !== null && f.meta.length > 0) {
      try {
        meta = JSON.parse(f.meta.toString('utf8')) as JsonValue
      } catch {
        meta = null
      }
    }
    return {
      id: this.id,
      status: statusOf(str(f.status)),
      call,
      origin: str(f.origin),
      description: str(f.description),
      createdAt: parseUtc(str(f.created_at)),
      enqueuedAt: parseUtc(str(f.enqueued_at)),
      startedAt: parseUtc(str(f.started_at)),
      endedAt: parseUtc(str(f.ended_at)),
      workerName: str(f.worker_name) || null,
      meta,
      latestResult: latest,
    }
  }

  /**
   * Waits for the job to end and returns its return value (rq/job.py return_value: the latest
   * entry of the results stream). Polls — one round trip each (HMGET status, exc_info + XREVRANGE
   * COUNT 1), 10 ms after the first and doubling to `pollMs` — rather than blocking: a blocking
   * read needs a connection per waiting caller, and a job that ends without a result entry
   * (result_ttl 0, or moved to failed by registry cleanup) would never wake it.
   *
   * A failed job rejects with TASK_FAILED (details: excInfo — the Python traceback — excType,
   * excMessage, status); no end within the timeout rejects with RESULT_TIMEOUT.
   */
  async result(options?: ResultOptions): Promise<R> {
    const o = strictOptions('result options', options, ['timeout', 'pollMs'])
    const timeoutMs = durationMs('timeout', o.timeout, 30_000)
    const pollMs = durationMs('pollMs', o.pollMs, 200)
    const deadline = Date.now() + timeoutMs
    let pause = 10
    let status: RqJobStatus | null = null
    for (;;) {
      const [fields, latest] = await this.#read(['status', 'exc_info'] as const)
      status = statusOf(fields[0] ? fields[0].toString('utf8') : null)
      if (status === 'finished') {
        if (latest?.type === 'successful') return latest.returnValue as R
        return null as R // finished without a stored result: rq returns None too
      }
      if (status === 'failed' || status === 'stopped' || status === 'canceled') {
        const excInfo =
          latest?.type === 'failed' ? latest.excString : fields[1] ? decompressText(fields[1]) : null
        throw taskFailed(this.id, status, excInfo)
      }
      const left = deadline - Date.now()
      if (left <= 0) break
      await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)))
      pause = Math.min(pause * 2, pollMs)
    }
    throw new RedisExpertError(
      'RESULT_TIMEOUT',
      status === null
        ? `RQ job ${this.id} does not exist (never enqueued, expired, or deleted with result_ttl 0)`
        : `RQ job ${this.id} did not end within ${timeoutMs} ms (status '${status}')`,
      { details: { jobId: this.id, status, timeoutMs } },
    )
  }

  async #read<const F extends readonly string[]>(
    fields: F,
  ): Promise<[(Buffer | null)[], ResultEntry | null]> {
    const [hash, stream] = (await this.#db.batch(
      [
        ['HMGET', this.#keys.job(this.id), ...fields],
        ['XREVRANGE', this.#keys.results(this.id), '+', '-', 'COUNT', 1],
      ],
      { buffers: true, allow: RQ_ALLOW },
    )) as [(Buffer | null)[], Reply[]]
    const entry = stream[0] as [Buffer, Buffer[]] | undefined
    let latest: ResultEntry | null = null
    if (entry) {
      const map: Record<string, string> = {}
      for (let i = 0; i + 1 < entry[1].length; i += 2) map[String(entry[1][i])] = String(entry[1][i + 1])
      latest = decodeResultEntry(String(entry[0]), map)
    }
    return [hash, latest]
  }
}

/** The status as stored; RQ versions after 1.13 may add values, which pass through as text. */
function statusOf(text: string | null): RqJobStatus | null {
  return text === null ? null : (text as RqJobStatus)
}

/** TASK_FAILED with what Python left: the traceback, and its last line split into type and message. */
export function taskFailed(jobId: string, status: string, excInfo: string | null): RedisExpertError {
  const last = (excInfo ?? '').trimEnd().split('\n').pop() ?? ''
  const m = /^([A-Za-z_][\w.]*)(?::\s?([\s\S]*))?$/.exec(last)
  const excType = m ? (m[1] ?? null) : null
  const excMessage = m ? (m[2] ?? '') : last
  return new RedisExpertError(
    'TASK_FAILED',
    `RQ job ${jobId} ${status}${excType ? `: ${excType}${excMessage ? `: ${excMessage}` : ''}` : ''}`,
    { details: { jobId, status, excInfo, excType, excMessage } },
  )
}
