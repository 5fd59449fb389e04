import type { Executor } from '../../src/common/types.js'

/**
 * `cmdstat_<name>:calls=N` → name → N, as INFO commandstats prints them (lower-case; the
 * commands a script runs are counted too). Round trips are pinned with deltas of these.
 */
export async function commandCalls(db: Executor): Promise<Map<string, number>> {
  const info = String(await db.call(['INFO', 'commandstats']))
  return new Map(
    [...info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)].map((m) => [m[1] as string, Number(m[2])]),
  )
}

/** Commands run between two snapshots, INFO itself excluded; names upper-cased with `upper`. */
export function commandsBetween(
  before: Map<string, number>,
  after: Map<string, number>,
  options: { upper?: boolean } = {},
): Record<string, number> {
  const delta: Record<string, number> = {}
  for (const [name, n] of after) {
    const d = n - (before.get(name) ?? 0)
    if (d > 0 && name !== 'info') delta[options.upper ? name.toUpperCase() : name] = d
  }
  return delta
}

/** Commands run between two snapshots, upper-cased, INFO itself excluded. */
export function callsBetween(
  before: Map<string, number>,
  after: Map<string, number>,
): Record<string, number> {
  return commandsBetween(before, after, { upper: true })
}

/** The commands `fn` made the server run (scripts' inner commands included), upper-cased, INFO excluded. */
export async function commandsOf(db: Executor, fn: () => Promise<unknown>): Promise<Record<string, number>> {
  const before = await commandCalls(db)
  await fn()
  return callsBetween(before, await commandCalls(db))
}
