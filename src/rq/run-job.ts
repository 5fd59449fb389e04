import type { Client } from '../client/client.js'
import {
  DEFAULT_FAILURE_TTL_S,
  failureEntry,
  type JsonValue,
  successEntry,
  timestampS,
  utcformat,
} from './format.js'
import type { RqKeys } from './keyspace.js'
import { FAIL, FINISH, RQ_CALL } from './scripts.js'

/** A job the START script moved to the StartedJobRegistry: its hash fields as START read them. */
export interface Started {
  readonly id: string
  readonly queue: string
  readonly keys: RqKeys
  readonly fields: (Buffer | null)[]
}

/**
 * Runs the handler with RQ's death penalty: past `timeoutS` (unless -1: no limit) the signal
 * fires and the run fails with rq.timeouts.JobTimeoutException, as RQ's own message.
 */
export async function withTimeout(
  run: () => unknown,
  timeoutS: number,
  abort: AbortController,
): Promise<unknown> {
  const started = Promise.resolve().then(run)
  if (timeoutS <= 0) return started
  let timer: NodeJS.Timeout | undefined
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error(`Task exceeded maximum timeout value (${timeoutS} seconds)`)
      error.name = 'rq.timeouts.JobTimeoutException'
      abort.abort(error)
      reject(error)
    }, timeoutS * 1000)
  })
  try {
    return await Promise.race([started, limit])
  } finally {
    clearTimeout(timer)
  }
}

/** The FINISH script: result in the results stream, FinishedJobRegistry, status finished. */
export async function finishJob(
  db: Client,
  job: Started,
  value: JsonValue | undefined,
  resultTtl: number,
): Promise<void> {
  const entry = successEntry(value)
  await FINISH.run(
    db,
    {
      job: job.keys.job(job.id),
      started: job.keys.started,
      finished: job.keys.finished,
      results: job.keys.results(job.id),
    },
    {
      id: job.id,
      endedAt: utcformat(Date.now()),
      resultTtl,
      now: timestampS(Date.now()),
      returnValue: entry[3] ?? '',
    },
    RQ_CALL,
  )
}

/** The FAIL script: 'failed' (FailedJobRegistry), 'gone', or the retry it scheduled. */
export async function failJob(
  db: Client,
  job: Started,
  exc: string,
  failureTtl: number,
  retry: boolean,
): Promise<string> {
  const k: RqKeys = job.keys
  const outcome = await FAIL.run(
    db,
    {
      job: k.job(job.id),
      started: k.started,
      failed: k.failed,
      results: k.results(job.id),
      queue: k.queue,
      scheduled: k.scheduled,
      queues: k.queues,
    },
    {
      id: job.id,
      endedAt: utcformat(Date.now()),
      failureTtl,
      now: timestampS(Date.now()),
      excString: failureEntry(exc)[3]!,
      retry: retry ? '1' : '0',
    },
    RQ_CALL,
  )
  return String(outcome)
}

/**
 * Python may enqueue ids with characters a key parameter escapes (`user:42`): the keyspace
 * cannot name `rq:job:user:42`, so the job is failed through db.unsafe with RQ's raw key names.
 */
export async function failOddJob(db: Client, id: string, keys: RqKeys, message: string): Promise<void> {
  const rawJob = `${keys.jobPrefix}${id}`
  await db.unsafe({ reason: 'fail an RQ job whose id the rq keyspace cannot express' }, (raw) =>
    FAIL.run(
      raw,
      {
        job: rawJob,
        started: keys.started,
        failed: keys.failed,
        results: `${keys.jobPrefix.replace(/job:$/, 'results:')}${id}`,
        queue: keys.queue,
        scheduled: keys.scheduled,
        queues: keys.queues,
      },
      {
        id,
        endedAt: utcformat(Date.now()),
        failureTtl: DEFAULT_FAILURE_TTL_S,
        now: timestampS(Date.now()),
        excString: failureEntry(`redis_expert.MessageInvalid: ${message}`)[3]!,
        retry: '0',
      },
      RQ_CALL,
    ),
  )
}

/** An integer field of the job hash (RQ writes them in decimal); undefined when absent or not a number. */
export function intField(raw: Buffer | null | undefined): number | undefined {
  if (!raw || raw.length === 0) return undefined
  const n = Number(raw.toString('utf8'))
  return Number.isSafeInteger(n) ? n : undefined
}

/**
 * The exc_info text Python readers expect: a traceback whose last line is `Type: message`
 * (rq/worker.py formats traceback.format_exception). Here: the JavaScript stack, then that line.
 */
export function excString(error: unknown): string {
  if (error instanceof Error) {
    const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line))
    const type = error.name || 'Error'
    return `Traceback (most recent call last, TypeScript):\n${frames.join('\n')}\n${type}: ${error.message}`
  }
  return `Error: ${typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error))}`
}
