import type { Client } from '../client/client.js'
import { json } from '../codec/index.js'
import type { Command, RedisArg, Reply } from '../common/types.js'
import { invalidArgument } from '../errors.js'
import type { Finished, Taken } from './attempt.js'
import type { QueueKeys } from './keyspace.js'
import { unpackOptions } from './options.js'
import { EXTEND, PROGRESS, TAKE } from './scripts.js'
import type { CallTokens } from './take-ledger.js'

/** Outcomes per take call, and leases per extend call, at most. */
export const MAX_BATCH = 1000

export interface TakeCall extends CallTokens {
  readonly leaseMs: number
  readonly resultTtlMs: number
  readonly eventsMaxLen: number
  /** Jobs to take at most (0: settle only). */
  readonly count: number
  readonly finished: readonly Finished[]
  /** The longest the worker waits idle, hence the longest its registration lasts. */
  readonly pollMs: number
}

/** The take script's EVALSHA line for one call. */
export function takeLine(keys: QueueKeys, call: TakeCall): Command {
  const groups: RedisArg[] = []
  for (const f of call.finished) groups.push(f.taken.id, f.taken.token, f.outcome, f.value, f.jitter)
  return TAKE.command(
    {
      wait: keys.wait,
      delayed: keys.delayed,
      active: keys.active,
      dead: keys.dead,
      seq: keys.seq,
      paused: keys.paused,
      completed: keys.completed,
      events: keys.events,
      signal: keys.signal,
      idle: keys.idle,
    },
    {
      leaseMs: call.leaseMs,
      token: call.token,
      jobPrefix: keys.jobPrefix,
      takePrefix: keys.takePrefix,
      count: call.count,
      resultTtlMs: call.resultTtlMs,
      eventsMaxLen: call.eventsMaxLen,
      jitter: Math.random(),
      revoke: call.revoke.join(' '),
      confirm: call.confirm.join(' '),
      finished: call.finished.length,
      register: call.register,
      unregister: call.unregister,
      pollMs: call.pollMs,
    },
    groups,
  )
}

/** The jobs of a take reply (`reply[1]`), leased to `token`. */
export function takenJobs(reply: readonly Reply[], token: string): Taken[] {
  return (reply[1] as Reply[][]).map((r) =>
    taken(
      String(r[0]),
      String(r[1]),
      String(r[2]),
      Number(r[3]),
      String(r[4]),
      Number(r[5]),
      String(r[6] ?? ''),
      String(r[7] ?? ''),
      Number(r[8] ?? 0),
      token,
    ),
  )
}

/**
 * A job an add handed to this worker (add.lua): its wake-up list's element — the lines 'token
 * now opts' (the add's server time), the id, the data, then the name, which alone may hold a
 * newline. Null for a plain wake-up ('1').
 */
export function handedJob(element: string): { taken: Taken; serverNow: number } | null {
  // Offsets and slices only (no split, no array): this runs between the add and the handler.
  const header = element.indexOf('\n')
  const idEnd = element.indexOf('\n', header + 1)
  const dataEnd = idEnd < 0 ? -1 : element.indexOf('\n', idEnd + 1)
  if (header < 0 || dataEnd < 0) return null
  const tokenEnd = element.indexOf(' ')
  const nowEnd = element.indexOf(' ', tokenEnd + 1)
  return {
    taken: taken(
      element.slice(header + 1, idEnd),
      element.slice(dataEnd + 1),
      element.slice(idEnd + 1, dataEnd),
      1,
      element.slice(nowEnd + 1, header),
      0,
      '',
      '',
      0,
      element.slice(0, tokenEnd),
    ),
    serverNow: Number(element.slice(tokenEnd + 1, nowEnd)),
  }
}

/** A taken job: one constructor, so that every job has the same shape. */
function taken(
  id: string,
  name: string,
  data: string,
  attempt: number,
  opts: string,
  stalls: number,
  repeatKey: string,
  spec: string,
  slot: number,
  token: string,
): Taken {
  const { attempts, timeoutMs } = attemptsAndTimeout(opts)
  return { id, name, data, attempt, attempts, timeoutMs, stalls, repeatKey, spec, slot, token }
}

/** Of the packed options (see packOptions), what a worker needs; most jobs share theirs. */
let lastOpts = ''
let lastParsed = { attempts: 1, timeoutMs: 0 }
function attemptsAndTimeout(opts: string): { attempts: number; timeoutMs: number } {
  if (opts !== lastOpts) {
    const o = unpackOptions(opts)
    lastParsed = { attempts: o.attempts, timeoutMs: o.timeoutMs }
    lastOpts = opts
  }
  return lastParsed
}

/** One extend call: its script line and the jobs it renews. */
export interface ExtendCall {
  readonly line: Command
  readonly jobs: readonly Taken[]
}

/** The extend script's calls renewing the leases of `held` (one per MAX_BATCH jobs). */
export function extendCalls(keys: QueueKeys, leaseMs: number, held: readonly Taken[]): ExtendCall[] {
  const calls: ExtendCall[] = []
  for (let start = 0; start < held.length; start += MAX_BATCH) {
    const jobs = held.slice(start, start + MAX_BATCH)
    const groups: RedisArg[] = []
    for (const taken of jobs) groups.push(taken.id, taken.token)
    calls.push({
      line: EXTEND.command(
        { active: keys.active },
        { jobPrefix: keys.jobPrefix, leaseMs, count: jobs.length },
        groups,
      ),
      jobs,
    })
  }
  return calls
}

/**
 * Renews the leases of `held` for their holder (one extend call per MAX_BATCH jobs, in parallel);
 * `renewed` gets each call's jobs still held, `onError` each call's failure. Resolves with the ids
 * no longer the holder's: their leases ran out and the jobs were recovered.
 */
export async function extendLeases(
  db: Client,
  keys: QueueKeys,
  leaseMs: number,
  held: readonly Taken[],
  renewed: (jobs: Taken[]) => void,
  onError: (error: unknown) => void,
): Promise<Set<string>> {
  const lost = new Set<string>()
  await Promise.all(
    extendCalls(keys, leaseMs, held).map(({ line, jobs }) =>
      EXTEND.runCommand<Reply[]>(db, line).then((ids) => {
        for (const id of ids) lost.add(String(id))
        renewed(jobs.filter((taken) => !lost.has(taken.id)))
      }, onError),
    ),
  )
  return lost
}

/** job.updateProgress: one script, for the lease holder only; false when the lease is gone. */
export async function recordProgress(
  db: Client,
  keys: QueueKeys,
  taken: Taken,
  progress: unknown,
  eventsMaxLen: number,
): Promise<boolean> {
  let encoded: string
  try {
    encoded = json.encode(progress === undefined ? null : progress) as string
  } catch (error) {
    throw invalidArgument(`updateProgress: the value is not JSON: ${(error as Error).message}`)
  }
  const reply = await PROGRESS.run(
    db,
    { job: keys.job(taken.id), events: keys.events },
    { id: taken.id, token: taken.token, progress: encoded, eventsMaxLen },
  )
  return Number(reply) === 1
}
