import { RedisExpertError } from '../errors.js'
import type { NodeExecutor } from './node.js'
import { buildNodeProbe } from './probe.js'
import type { ServerProbe } from './probe-types.js'

/**
 * `db.probe()`: asks every master what it is (INFO, CONFIG GET *, MODULE LIST, in parallel)
 * and builds the probe from the replies (probe.ts, pure). What a server refuses to tell — an
 * ACL without CONFIG or MODULE, a renamed command — narrows the probe instead of failing it,
 * because connect() and everything built on it (the durability check, the audit) depend on it.
 */
export async function probeMasters(
  nodes: readonly NodeExecutor[],
  mode: 'standalone' | 'cluster' | 'sentinel',
): Promise<ServerProbe> {
  const masters = await Promise.all(
    nodes.map(async (node) => {
      const [info, config, modules] = await Promise.all([
        // INFO too may be forbidden or renamed: the probe then says so (infoReadable: false).
        node.call(['INFO']).then(String, (error: unknown) => {
          if (refusedCommand(error)) return null
          throw error
        }),
        // CONFIG may be forbidden by ACL (NOPERM) or renamed away (unknown command): fall back to INFO.
        node.call(['CONFIG', 'GET', '*']).catch(() => null),
        // MODULE LIST likewise (MODULE is @admin): INFO's modules section then names them.
        node.call(['MODULE', 'LIST']).catch(() => null),
      ])
      return buildNodeProbe(node.address, { info, config, modules })
    }),
  )
  const [first] = masters
  if (!first) throw new RedisExpertError('CONNECTION_UNAVAILABLE', 'probe: no master is reachable')
  return { ...first, mode: mode === 'cluster' ? 'cluster' : 'standalone', masters }
}

/** The server refused the command: NOPERM (ACL), or renamed away (unknown command). */
function refusedCommand(error: unknown): boolean {
  if (!(error instanceof RedisExpertError) || error.code !== 'COMMAND_ERROR') return false
  return error.details.redisCode === 'NOPERM' || /unknown command/i.test(String(error.details.reply ?? ''))
}
