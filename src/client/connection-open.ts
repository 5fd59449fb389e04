import { isIP, connect as netConnect, type Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import type { Reply } from '../common/types.js'
import { RedisExpertError } from '../errors.js'
import { lost, reasonCode } from './connection-failures.js'
import type { Endpoint } from './endpoint.js'
import type { ParsedReply } from './resp-parser.js'

/**
 * Opening a Connection (connection.ts): its settings, the socket (TCP or TLS), the handshake's
 * commands, and the one deadline over all of it — a server that accepts and stays silent fails
 * the open, as does one that refuses the login.
 */
export interface ConnectionSettings {
  readonly endpoint: Endpoint
  readonly clientName?: string | undefined
  /** TCP + TLS + handshake. */
  readonly connectTimeoutMs: number
  /** The default deadline of a command; also sets the sweep's tick. */
  readonly commandTimeoutMs: number
  /** Commands run after login, before the connection counts as open (e.g. READONLY on a replica). */
  readonly setup?: readonly (readonly string[])[]
  /**
   * Pub/sub: replies that answer no command (messages, subscription confirmations) go here
   * instead of being a protocol error.
   */
  readonly onPush?: (reply: ParsedReply) => void
  /** Pub/sub: replies that arrive with no command in flight keep their bulk strings as Buffers. */
  readonly pushBuffers?: boolean
  /** The socket never keeps the process alive on its own (pub/sub, background work). */
  readonly unref?: boolean
  /**
   * Cluster: called for a MOVED, ASK, TRYAGAIN, CLUSTERDOWN or LOADING reply to a command sent
   * outside a transaction. It takes over settling the caller's promise (by sending the command
   * elsewhere, or later) — no extra promise per command on the hot path.
   */
  readonly redirect?: Redirect
}

/** A caller's command that a Cluster redirection sends again: its promise already exists. */
export interface Resend {
  readonly args: readonly (string | Buffer)[]
  readonly buffers: boolean
  /** What is left of the command's deadline, ms. */
  readonly timeoutMs: number
  readonly resolve: (reply: Reply) => void
  readonly reject: (error: unknown) => void
}

/** `from` is the connection that got the reply: TRYAGAIN and the like are retried on it. */
export type Redirect = (reply: string, call: Resend, from: { forward(call: Resend): void }) => void

/** The socket to the endpoint, TCP or TLS, connecting. */
export function openSocket(settings: ConnectionSettings): Socket {
  const { endpoint } = settings
  const socket = endpoint.tls
    ? tlsConnect({
        host: endpoint.host,
        port: endpoint.port,
        // SNI names a host, never an IP address (RFC 6066); the options may set their own.
        ...(isIP(endpoint.host) ? {} : { servername: endpoint.host }),
        ...endpoint.tls,
      })
    : netConnect({ host: endpoint.host, port: endpoint.port })
  socket.setNoDelay(true)
  socket.setKeepAlive(true, 5000)
  if (settings.unref) socket.unref()
  return socket
}

/**
 * AUTH, CLIENT SETNAME, SELECT, the setup commands and a PING — pipelined in one write, so that
 * "open" means the server answered them all.
 */
export function handshakeCommands(settings: ConnectionSettings): (readonly string[])[] {
  const { endpoint, clientName, setup } = settings
  const commands: (readonly string[])[] = []
  if (endpoint.password !== undefined)
    commands.push(
      endpoint.username ? ['AUTH', endpoint.username, endpoint.password] : ['AUTH', endpoint.password],
    )
  if (clientName) commands.push(['CLIENT', 'SETNAME', clientName])
  if (endpoint.database !== 0) commands.push(['SELECT', String(endpoint.database)])
  for (const command of setup ?? []) commands.push(command)
  commands.push(['PING'])
  return commands
}

/** CONNECTION_FAILED with why (timeout, refused, TLS, login refused) — never the password. */
export function connectFailure(endpoint: Endpoint, reason: string, cause?: unknown): RedisExpertError {
  const code = reasonCode(reason)
  const hint = code === 'refused' ? ` — is a redis-server running at ${endpoint.address}?` : ''
  return new RedisExpertError(
    'CONNECTION_FAILED',
    endpoint.redact(`could not connect to ${endpoint.url}: ${reason}${hint}`),
    { details: { address: endpoint.address, reason: code }, cause },
  )
}

/** What opening needs from the Connection being opened. */
export interface Opening {
  /** Bytes from the socket, for the reply parser (for the connection's whole life). */
  receive(chunk: Buffer): void
  /** Sends the handshake's commands; settles once every one is answered. */
  handshake(): Promise<void>
  /** The handshake was answered in time: the connection is open. */
  opened(): void
  /** Drops the connection; whatever is in flight fails with `error`. */
  destroy(error: RedisExpertError): void
}

/**
 * Wires the socket to the connection and runs the handshake once it connects, all within
 * `connectTimeoutMs`. Rejects with CONNECTION_FAILED (and the connection destroyed); the
 * caller decides whether to try again.
 */
export function runOpening(socket: Socket, settings: ConnectionSettings, opening: Opening): Promise<void> {
  const { endpoint, connectTimeoutMs } = settings
  return new Promise((resolve, reject) => {
    let settled = false
    const fail = (reason: string, cause?: unknown) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      const failure = connectFailure(endpoint, reason, cause)
      opening.destroy(failure)
      reject(failure)
    }
    const timer = setTimeout(
      () => fail(`no answer within connectTimeoutMs (${connectTimeoutMs} ms)`),
      connectTimeoutMs,
    )
    socket.on('data', opening.receive)
    socket.on('error', (error: Error) => {
      // The close that follows fails the commands; before the handshake, say why.
      if (!settled) fail(endpoint.redact(error.message))
    })
    socket.on('close', () => {
      if (!settled) fail('the server closed the connection during the handshake')
      opening.destroy(lost('the connection closed'))
    })
    socket.once(endpoint.tls ? 'secureConnect' : 'connect', () => {
      opening.handshake().then(
        () => {
          if (settled) return
          settled = true
          clearTimeout(timer)
          opening.opened()
          resolve()
        },
        (error: unknown) =>
          fail(
            error instanceof RedisExpertError ? String(error.details.reply ?? error.message) : String(error),
          ),
      )
    })
  })
}
