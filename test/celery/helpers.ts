import { fileURLToPath } from 'node:url'
import type { Executor } from '../../src/client/types.js'
import { callsBetween, commandCalls } from '../support/commandstats.js'
import { type PythonProcess, spawnPython } from '../support/python.js'

export { codeOf } from '../support/errors.js'

export const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url))

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls `check` until it is true; fails after `timeoutMs` naming `what`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

/** The commands `fn` made the server run (scripts' inner commands included), INFO excluded. */
export async function commandsOf(db: Executor, fn: () => Promise<unknown>): Promise<Record<string, number>> {
  const before = await commandCalls(db)
  await fn()
  return callsBetween(before, await commandCalls(db))
}

/** A real Python Celery worker on `queues` (fixtures/tasks.py), started and ready. */
export async function startPythonWorker(
  url: string,
  queues: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<PythonProcess> {
  const worker = spawnPython(
    [
      '-m',
      'celery',
      '-A',
      'tasks',
      'worker',
      '--pool=solo',
      '--without-heartbeat',
      '--without-gossip',
      '--without-mingle',
      '-Q',
      queues.join(','),
      '--loglevel=INFO',
      '-n',
      `py-${process.pid}@localhost`,
    ],
    { cwd: fixtures, env: { BROKER_URL: url, ...env } },
  )
  await worker.waitForOutput(/ready\./, 30_000)
  return worker
}
