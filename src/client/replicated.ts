import type { BatchOptions, CallOptions, Command } from '../common/types.js'
import { positiveInt } from '../common/validate.js'
import { RedisExpertError } from '../errors.js'
import { argText } from './command-info.js'
import type { Connection } from './connection.js'

/**
 * `waitReplicas`: a write and `WAIT n ms` in one round trip on a dedicated connection (WAIT
 * counts the replicas that have every write of *its* connection), then NOT_REPLICATED when
 * fewer than `waitReplicas` acknowledged: the write is on the master, but a failover could
 * lose it.
 */
export interface ReplicaWait {
  readonly wanted: number
  readonly waitMs: number
}

/** The call's `waitReplicas` and `replicaTimeoutMs` (default 1000), checked: INVALID_ARGUMENT otherwise. */
export function replicaWait(options: CallOptions | BatchOptions): ReplicaWait {
  const wanted = options.waitReplicas as number
  const waitMs = options.replicaTimeoutMs ?? 1000
  positiveInt('waitReplicas', wanted)
  positiveInt('replicaTimeoutMs', waitMs)
  return { wanted, waitMs }
}

/** `run` (the write) and WAIT, issued in the same tick on `connection`: one write on the socket. */
export async function withReplicas<T>(
  connection: Connection,
  wait: ReplicaWait,
  command: Command,
  timeoutMs: number,
  run: (connection: Connection, timeoutMs: number) => Promise<T>,
): Promise<T> {
  const { wanted, waitMs } = wait
  const result = run(connection, timeoutMs)
  const acknowledged = connection.send(['WAIT', String(wanted), String(waitMs)], false, timeoutMs)
  const [value, count] = await Promise.all([result, acknowledged])
  if (typeof count !== 'number' || count < wanted) {
    const name = argText(command[0]).toUpperCase()
    throw new RedisExpertError(
      'NOT_REPLICATED',
      `${name} was applied on the master, but only ${String(count)} of ${wanted} replicas acknowledged it within ${waitMs} ms: a failover now could lose it`,
      { details: { command: name, wanted, acknowledged: count } },
    )
  }
  return value
}
