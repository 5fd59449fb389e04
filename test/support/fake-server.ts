import { createServer, type Server, type Socket } from 'node:net'

/**
 * A real TCP server that misbehaves on purpose: it answers what connect() asks (so that a
 * client connects), then does what `onCommand` says with every other command. For the
 * faults a real redis-server cannot be made to show: garbage, half-written replies, huge
 * lengths, silence after accepting.
 */
export interface FakeServer {
  readonly port: number
  readonly url: string
  readonly sockets: Set<Socket>
  close(): Promise<void>
}

export type FakeBehaviour = 'silent' | ((socket: Socket, command: string[]) => void)

export async function startFakeServer(behaviour: FakeBehaviour, answerHandshake = true): Promise<FakeServer> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    if (behaviour === 'silent') return
    let pending = ''
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1')
      for (;;) {
        const parsed = parseCommand(pending)
        if (!parsed) break
        pending = pending.slice(parsed.used)
        const name = parsed.command[0]?.toUpperCase() ?? ''
        const canned = answerHandshake ? CONNECT_REPLIES[name] : undefined
        if (canned !== undefined) socket.write(canned)
        else behaviour(socket, parsed.command)
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

/** What connect() asks before the test's own commands: the handshake PING, COMMAND and the probe. */
const CONNECT_REPLIES: Record<string, string> = {
  PING: '+PONG\r\n',
  COMMAND: '*0\r\n',
  INFO: '$0\r\n\r\n',
  CONFIG: '*0\r\n',
  MODULE: '*0\r\n',
}

/** One RESP array of bulk strings from the start of `text`, or null when incomplete. */
function parseCommand(text: string): { command: string[]; used: number } | null {
  if (!text.startsWith('*')) return null
  let at = text.indexOf('\r\n')
  if (at < 0) return null
  const count = Number(text.slice(1, at))
  let offset = at + 2
  const command: string[] = []
  for (let i = 0; i < count; i++) {
    at = text.indexOf('\r\n', offset)
    if (at < 0) return null
    const length = Number(text.slice(offset + 1, at))
    const start = at + 2
    if (text.length < start + length + 2) return null
    command.push(text.slice(start, start + length))
    offset = start + length + 2
  }
  return { command, used: offset }
}
