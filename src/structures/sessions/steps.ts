import { isNoScript } from '../../atomic/script.js'
import type { Client } from '../../client/client.js'
import type { Command, Reply } from '../../common/types.js'
import { together } from '../common/round-trip.js'

/*
 * A save with a user, a touch with a user and a destroy while migrating each send commands on keys
 * in different slots (the session's, the user's, connect-redis's): they go out in one round trip,
 * and this file is how, including what happens when a script is not cached on the server yet.
 */

/** A Redis command sent with others, and how to run it alone when its script is not cached yet. */
export interface Step {
  readonly command: Command
  readonly alone: () => Promise<Reply>
}

/** A step that is a plain command: alone, it is simply sent again. */
export function plainStep(db: Client, command: Command): Step {
  return { command, alone: () => db.call(command) }
}

/**
 * Commands on keys that may live in different slots, in one round trip: one pipeline on a
 * standalone server, concurrent calls on a Cluster. Scripts not yet cached on the server
 * (NOSCRIPT) make every step run alone, in order (each is idempotent).
 */
export async function runSteps(db: Client, steps: readonly Step[]): Promise<Reply[]> {
  try {
    return await together(
      db,
      steps.map((s) => s.command),
    )
  } catch (error) {
    if (!isNoScript(error)) throw error
    const replies: Reply[] = []
    for (const step of steps) replies.push(await step.alone())
    return replies
  }
}
