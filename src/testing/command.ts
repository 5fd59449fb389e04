import { Connection } from '../client/connection.js'
import { resolveEndpoint } from '../client/endpoint.js'
import { RedisExpertError } from '../errors.js'

/**
 * One command to one server over a fresh loopback connection, for the launcher's own setup
 * (cluster assembly, sentinel readiness) and for tests that must ask one node directly. It
 * is the client's own Connection (one codec, one bounded handshake), opened, used once and
 * dropped: no routing, no guard, no reconnects.
 */

/** A RESP2 reply: simple and bulk strings as text, integers as numbers, nil as null. */
export type SetupReply = string | number | null | SetupReply[]

/** An error reply (`-ERR ...`): the message is the server's text. */
export class ServerReplyError extends Error {
  override readonly name = 'ServerReplyError'
}

export interface CommandOptions {
  /** The whole exchange (connect, send, read) is abandoned past this. Default 5 s. */
  readonly timeoutMs?: number
}

/** Sends `args` to host:port and resolves with the reply; rejects on an error reply, a socket error or the timeout. */
export async function sendCommand(
  host: string,
  port: number,
  args: readonly (string | number)[],
  options: CommandOptions = {},
): Promise<SetupReply> {
  const timeoutMs = options.timeoutMs ?? 5000
  const connection = await Connection.open({
    endpoint: resolveEndpoint({ host, port }),
    connectTimeoutMs: timeoutMs,
    commandTimeoutMs: timeoutMs,
  })
  try {
    return (await connection.send(args.map(String))) as SetupReply
  } catch (error) {
    if (error instanceof RedisExpertError && error.code === 'COMMAND_ERROR')
      throw new ServerReplyError(String(error.details.reply ?? error.message))
    throw error
  } finally {
    connection.destroy()
  }
}

/** A flat field/value reply (`SENTINEL MASTER`, `CONFIG GET`) as a map. */
export function fieldsOf(reply: SetupReply): Map<string, string> {
  const fields = new Map<string, string>()
  if (!Array.isArray(reply)) return fields
  for (let i = 0; i + 1 < reply.length; i += 2) fields.set(String(reply[i]), String(reply[i + 1]))
  return fields
}

/** Polls `check` every 50 ms until it holds; throws past the deadline (each check must itself be bounded). */
export async function until(deadline: number, what: string, check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
