import { fileURLToPath } from 'node:url'
import { type PythonProcess, spawnPython } from '../support/python.js'

export { commandsOf } from '../support/commandstats.js'
export { codeOf } from '../support/errors.js'
export { sleep, waitFor } from '../support/wait.js'

export const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url))

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
