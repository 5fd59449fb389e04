import { connect as netConnect } from 'node:net'

/**
 * One command to one server over a fresh loopback socket, for the launcher's own setup
 * (cluster assembly, sentinel readiness). Not a client: no pipelining, no reconnects, no
 * RESP3 — just enough RESP2 to read the replies of the few commands the launcher sends.
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
export function sendCommand(
  host: string,
  port: number,
  args: readonly (string | number)[],
  options: CommandOptions = {},
): Promise<SetupReply> {
  const timeoutMs = options.timeoutMs ?? 5000
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host, port })
    let buffered = Buffer.alloc(0)
    let settled = false
    const finish = (error: Error | null, reply?: SetupReply) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      if (error) reject(error)
      else resolve(reply ?? null)
    }
    const what = `${String(args[0] ?? '')}${args[1] === undefined ? '' : ` ${String(args[1])}`}`
    const timer = setTimeout(
      () => finish(new Error(`${host}:${port} did not answer ${what} within ${timeoutMs} ms`)),
      timeoutMs,
    )
    socket.on('error', (error) => finish(error))
    socket.on('close', () =>
      finish(new Error(`${host}:${port} closed the connection before answering ${what}`)),
    )
    socket.on('connect', () => socket.write(encode(args)))
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk])
      let parsed: Parsed | undefined
      try {
        parsed = parse(buffered, 0)
      } catch (error) {
        finish(error as Error)
        return
      }
      if (!parsed) return
      if (parsed.value instanceof ServerReplyError) finish(parsed.value)
      else finish(null, parsed.value)
    })
  })
}

function encode(args: readonly (string | number)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)]
  for (const arg of args) {
    const bytes = Buffer.from(String(arg), 'utf8')
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'))
  }
  return Buffer.concat(parts)
}

interface Parsed {
  readonly value: SetupReply | ServerReplyError
  readonly end: number
}

/** Parses one reply starting at `at`; undefined while it is incomplete. An error nested in an array (EXEC) is kept as its text. */
function parse(buffer: Buffer, at: number): Parsed | undefined {
  const lineEnd = buffer.indexOf('\r\n', at)
  if (lineEnd < 0) return undefined
  const type = String.fromCharCode(buffer[at] ?? 0)
  const line = buffer.toString('utf8', at + 1, lineEnd)
  const next = lineEnd + 2
  switch (type) {
    case '+':
      return { value: line, end: next }
    case '-':
      return { value: new ServerReplyError(line), end: next }
    case ':':
      return { value: Number(line), end: next }
    case '$': {
      const length = Number(line)
      if (length < 0) return { value: null, end: next }
      if (buffer.length < next + length + 2) return undefined
      return { value: buffer.toString('utf8', next, next + length), end: next + length + 2 }
    }
    case '*': {
      const count = Number(line)
      if (count < 0) return { value: null, end: next }
      const items: SetupReply[] = []
      let end = next
      for (let i = 0; i < count; i++) {
        const item = parse(buffer, end)
        if (!item) return undefined
        items.push(item.value instanceof ServerReplyError ? item.value.message : item.value)
        end = item.end
      }
      return { value: items, end }
    }
    default:
      throw new Error(`unexpected reply type ${JSON.stringify(type)} in ${JSON.stringify(line.slice(0, 80))}`)
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
