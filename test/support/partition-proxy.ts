import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net'

/**
 * A TCP proxy in front of a real redis-server that can be cut off like a network partition: while
 * cut, nothing crosses in either direction, but every socket stays open, so neither side sees an
 * error — a client learns of it only by its own deadlines. What was sent meanwhile is held and
 * delivered when the partition heals, as TCP's retransmissions would.
 */
export interface PartitionProxy {
  readonly url: string
  /** Stops forwarding, both ways. */
  cut(): void
  /** Forwards again, what was held first. */
  heal(): void
  close(): Promise<void>
}

export async function startPartitionProxy(targetPort: number): Promise<PartitionProxy> {
  let isCut = false
  const held: (() => void)[] = []
  const sockets = new Set<Socket>()
  const forward = (from: Socket, to: Socket) =>
    from.on('data', (chunk: Buffer) => {
      if (isCut) held.push(() => to.write(chunk))
      else to.write(chunk)
    })
  const server: Server = createServer((client) => {
    const upstream = tcpConnect(targetPort, '127.0.0.1')
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('error', () => {})
      socket.on('close', () => {
        sockets.delete(socket)
        client.destroy()
        upstream.destroy()
      })
    }
    forward(client, upstream)
    forward(upstream, client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    url: `redis://127.0.0.1:${port}`,
    cut() {
      isCut = true
    },
    heal() {
      isCut = false
      for (const deliver of held.splice(0)) deliver()
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
