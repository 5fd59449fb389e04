import type { ConnectionOptions as TlsOptions } from 'node:tls'
import { inspect } from 'node:util'
import { invalidArgument } from '../errors.js'

/**
 * The one endpoint rule: where a connection goes and how it logs in, from a URL and/or
 * options. Every socket the toolkit opens — the client, its dedicated connections, the
 * subscriber, the audit, Cluster nodes, Sentinels and the masters they name — is built from
 * an Endpoint, so there is one precedence and one place that holds a secret.
 *
 * Precedence: a setting may come from the URL or from the options. When both give it, they
 * must agree (a URL password and a different `password` option is INVALID_ARGUMENT, not a
 * silent choice). Unset: port 6379, database 0, no credentials, TLS only for `rediss://`.
 *
 * Secrets: the password is held in a private field and read through a getter, so it is not
 * an own enumerable property: `JSON.stringify`, `util.inspect`, `console.log` and object
 * spreads never show it. Every message that names an endpoint uses `url`, which is redacted.
 */
export class Endpoint {
  readonly host: string
  readonly port: number
  /**
   * Node's TLS options when the connection is TLS; undefined for plain TCP. The server name
   * (SNI) is the host's unless these set one (see connection-open.ts), also for other nodes.
   */
  readonly tls: TlsOptions | undefined
  readonly username: string | undefined
  readonly database: number
  readonly #password: string | undefined

  constructor(fields: EndpointFields) {
    this.host = fields.host
    this.port = fields.port
    this.tls = fields.tls
    this.username = fields.username
    this.database = fields.database
    this.#password = fields.password
  }

  get password(): string | undefined {
    return this.#password
  }

  /** `host:port` (IPv6 in brackets): how Redis names a node in CLUSTER and SENTINEL replies. */
  get address(): string {
    return formatAddress(this.host, this.port)
  }

  /** The endpoint as a URL with the password replaced by `***`: safe for messages and logs. */
  get url(): string {
    const scheme = this.tls ? 'rediss' : 'redis'
    const user = this.username === undefined ? '' : encodeURIComponent(this.username)
    const auth = this.#password === undefined ? (user ? `${user}@` : '') : `${user}:***@`
    const db = this.database === 0 ? '' : `/${this.database}`
    return `${scheme}://${auth}${this.address}${db}`
  }

  /** Another node of the same deployment (a Cluster node, the master a Sentinel names): same login and TLS. */
  at(host: string, port: number): Endpoint {
    return new Endpoint({ ...this.#fields(), host, port })
  }

  /** The same node, another logical database. */
  withDatabase(database: number): Endpoint {
    return new Endpoint({ ...this.#fields(), database })
  }

  /** Replaces every occurrence of the secret (raw or %-encoded) in `text`. */
  redact(text: string): string {
    return redactSecret(text, this.#password)
  }

  toString(): string {
    return this.url
  }

  toJSON(): string {
    return this.url
  }

  [inspect.custom](): string {
    return `Endpoint(${this.url})`
  }

  #fields(): EndpointFields {
    return {
      host: this.host,
      port: this.port,
      tls: this.tls,
      username: this.username,
      password: this.#password,
      database: this.database,
    }
  }
}

export interface EndpointFields {
  readonly host: string
  readonly port: number
  readonly tls: TlsOptions | undefined
  readonly username: string | undefined
  readonly password: string | undefined
  readonly database: number
}

/** Settings given as options beside (or instead of) a URL. */
export interface EndpointDefaults {
  readonly username?: string | undefined
  readonly password?: string | undefined
  readonly tls?: boolean | TlsOptions | undefined
  readonly database?: number | undefined
}

/** A server's host and port. */
export interface NodeAddress {
  readonly host: string
  readonly port: number
}

export const DEFAULT_PORT = 6379

/** An endpoint from a `redis://` / `rediss://` URL or a `{ host, port }`, with `defaults` for what it leaves out. */
export function resolveEndpoint(input: string | NodeAddress, defaults: EndpointDefaults = {}): Endpoint {
  const fromUrl = typeof input === 'string' ? parseRedisUrl(input) : fromAddress(input)
  const label = typeof input === 'string' ? redactUrl(input) : formatAddress(input.host, input.port)
  const username = agree('username', fromUrl.username, defaults.username, label)
  const password = agree('password', fromUrl.password, defaults.password, label)
  const database = agree('database', fromUrl.database, defaults.database, label) ?? 0
  const wantsTls = fromUrl.secure || (defaults.tls !== undefined && defaults.tls !== false)
  const tlsOptions = typeof defaults.tls === 'object' && defaults.tls !== null ? defaults.tls : {}
  return new Endpoint({
    host: fromUrl.host,
    port: fromUrl.port,
    tls: wantsTls ? { ...tlsOptions } : undefined,
    username,
    password,
    database,
  })
}

interface UrlParts {
  readonly host: string
  readonly port: number
  readonly secure: boolean
  readonly username: string | undefined
  readonly password: string | undefined
  readonly database: number | undefined
}

/** Parses a Redis URL. Errors name the URL with its password replaced by `***`, never the secret. */
export function parseRedisUrl(url: string): UrlParts {
  if (typeof url !== 'string') throw invalidArgument('url must be a string such as redis://127.0.0.1:6379')
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw invalidArgument(
      `not a URL: ${redactUrl(url)} (expected redis://[user:password@]host:port[/db]; %-encode reserved characters such as / @ : in a password)`,
    )
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')
    throw invalidArgument(
      `unsupported scheme ${parsed.protocol} in ${redactUrl(url)}: use redis:// or rediss://`,
    )
  if (parsed.hostname === '') throw invalidArgument(`no host in ${redactUrl(url)}`)
  const path = parsed.pathname.replace(/^\//, '')
  const database = path === '' ? undefined : Number(path)
  if (database !== undefined && !(Number.isInteger(database) && database >= 0 && /^\d+$/.test(path)))
    throw invalidArgument(`the path of ${redactUrl(url)} must be a database number, such as /0`)
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port ? Number(parsed.port) : DEFAULT_PORT,
    secure: parsed.protocol === 'rediss:',
    username: parsed.username ? decodePart(parsed.username, 'username', url) : undefined,
    password: parsed.password ? decodePart(parsed.password, 'password', url) : undefined,
    database,
  }
}

function fromAddress(address: NodeAddress): UrlParts {
  if (
    typeof address !== 'object' ||
    address === null ||
    typeof address.host !== 'string' ||
    address.host === '' ||
    !Number.isInteger(address.port) ||
    address.port < 1 ||
    address.port > 65535
  )
    throw invalidArgument('a node address is { host: string, port: integer 1–65535 }')
  return {
    host: address.host,
    port: address.port,
    secure: false,
    username: undefined,
    password: undefined,
    database: undefined,
  }
}

function decodePart(text: string, part: 'username' | 'password', url: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    throw invalidArgument(
      `the ${part} in ${redactUrl(url)} has a malformed %-escape (write a literal % as %25)`,
    )
  }
}

function agree<T>(
  name: string,
  inUrl: T | undefined,
  inOptions: T | undefined,
  label: string,
): T | undefined {
  if (inUrl !== undefined && inOptions !== undefined && inUrl !== inOptions)
    throw invalidArgument(
      `${name} is given both in ${label} and as an option, with different values: give it once`,
    )
  return inUrl ?? inOptions
}

/** `host:port`, with an IPv6 host in brackets. */
export function formatAddress(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`
}

/** Parses `host:port` (as CLUSTER and SENTINEL replies and MOVED errors name nodes). */
export function parseAddress(address: string): NodeAddress {
  const at = address.lastIndexOf(':')
  return { host: address.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(address.slice(at + 1)) }
}

/**
 * A URL with its password replaced by `***`, for messages and logs — also when the URL does
 * not parse: everything between `//` and the last `@` is then treated as credentials.
 */
export function redactUrl(url: string): string {
  if (typeof url !== 'string') return '<not a string>'
  const at = url.lastIndexOf('@')
  const start = url.indexOf('//')
  if (at < 0 || start < 0 || at < start) return url
  const userinfo = url.slice(start + 2, at)
  const colon = userinfo.indexOf(':')
  const user = colon < 0 ? '' : userinfo.slice(0, colon)
  // A username alone (no colon) is not secret, but may be a password given as `redis://secret@host`.
  return `${url.slice(0, start + 2)}${user ? `${user}:` : ''}***${url.slice(at)}`
}

/** Replaces `secret` (as given, and %-encoded as in a URL) in `text` by `***`. */
export function redactSecret(text: string, secret: string | undefined): string {
  if (!secret) return text
  let out = text.split(secret).join('***')
  const encoded = encodeURIComponent(secret)
  if (encoded !== secret) out = out.split(encoded).join('***')
  return out
}
