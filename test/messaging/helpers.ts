import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Executor } from '../../src/common/types.js'
import type { RedisExpertClient } from '../../src/connect.js'
import { callsBetween, commandCalls } from '../support/commandstats.js'

export { commandsOf } from '../support/commandstats.js'
export { codeOf } from '../support/errors.js'
export { sleep, waitFor } from '../support/wait.js'

/** Starts `node --import tsx fixtures/<fixture>` with stdout piped. */
export function spawnFixture(fixture: string, args: readonly string[]) {
  const file = fileURLToPath(new URL(`./fixtures/${fixture}`, import.meta.url))
  return spawn(process.execPath, ['--import', 'tsx', file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
}

/** The group's pending count (XPENDING summary). */
export async function pendingCount(db: Executor, key: string, group: string): Promise<number> {
  const reply = await db.call(['XPENDING', key, group])
  return Array.isArray(reply) ? Number(reply[0]) : 0
}

/** The group's consumer names (XINFO CONSUMERS). */
export async function consumerNames(db: Executor, key: string, group: string): Promise<string[]> {
  const reply = (await db.call(['XINFO', 'CONSUMERS', key, group])) as (string | number)[][]
  return reply.map((c) => String(c[c.indexOf('name') + 1])).sort()
}

/** Like commandsOf, summed over every master (on a Cluster a command runs on its key's node). */
export async function commandsOnMasters(
  db: RedisExpertClient,
  fn: () => Promise<unknown>,
): Promise<Record<string, number>> {
  const masters = await db.masters()
  const before = await Promise.all(masters.map((m) => commandCalls(m)))
  await fn()
  const after = await Promise.all(masters.map((m) => commandCalls(m)))
  const total: Record<string, number> = {}
  after.forEach((a, i) => {
    for (const [name, n] of Object.entries(callsBetween(before[i]!, a))) total[name] = (total[name] ?? 0) + n
  })
  return total
}
