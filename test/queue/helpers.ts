import { onTestFinished } from 'vitest'
import type { RedisExpertClient } from '../../src/connect.js'
import { type Queue, Worker } from '../../src/queue/index.js'
import { spawnFixture } from '../messaging/helpers.js'

/** Spawns a worker fixture (test/queue/fixtures); resolves its output so far on demand; killed when the test ends. */
export function queueFixture(fixture: string, args: readonly string[]) {
  const proc = spawnFixture(`../../queue/fixtures/${fixture}`, args)
  let out = ''
  proc.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString()
  })
  proc.stderr.on('data', (chunk: Buffer) => {
    out += chunk.toString()
  })
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
  onTestFinished(async () => {
    proc.kill('SIGKILL')
    await exited
  })
  return { proc, out: () => out, exited }
}

/** A worker that runs the queue's jobs (again: data × 2), recording each run's attempt and stalls. */
export function rerun(db: RedisExpertClient, q: Queue<number>) {
  const runs: { attempt: number; stalls: number }[] = []
  const worker = new Worker<number, number>(
    db,
    q.name,
    (job) => {
      runs.push({ attempt: job.attempt, stalls: job.stalls })
      return job.data * 2
    },
    { pollMs: 50 },
  )
  onTestFinished(() => worker.close())
  return { runs, worker }
}
