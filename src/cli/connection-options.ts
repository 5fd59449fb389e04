import type { Command } from 'commander'
import { redactSecret, redactUrl } from '../client/endpoint.js'
import type { ConnectOptions } from '../client/index.js'
import { invalidArgument, RedisExpertError } from '../errors.js'

/**
 * How every command that talks to a server connects: `--url` (and `--cluster`) and the two
 * timeouts, validated before anything is opened. The URL goes to `connect()` as it is: the one
 * endpoint rule (client/endpoint.ts) parses it, and every message names it with the password
 * replaced by `***` — a password with `/`, `@`, `%2F` or a malformed `%` is never printed.
 *
 * `--connect-timeout` bounds the whole connect (TCP, TLS, login, PING, retries): a server that
 * accepts and never answers fails within it, so a CI job with `--fail-on` cannot hang.
 */
export interface ConnectionCliOptions {
  readonly url?: string
  readonly cluster?: boolean
  readonly connectTimeout?: string
  readonly commandTimeout?: string
}

/** Adds `--connect-timeout` and `--command-timeout` to a command. */
export function withTimeoutOptions(command: Command): Command {
  return command
    .option(
      '--connect-timeout <ms>',
      'fail when the server has not completed the connection (TCP, TLS, login, PING) within this many ms (default 5000)',
    )
    .option(
      '--command-timeout <ms>',
      'fail a command the server has not answered within this many ms (default 5000)',
    )
}

/** The largest delay Node's timers take (2^31 - 1 ms, about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1

/** A timeout option: a whole number of milliseconds ≥ 1; INVALID_ARGUMENT naming the option otherwise. */
export function parseTimeoutMs(option: string, value: unknown): number {
  const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_TIMER_MS)
    throw invalidArgument(
      `${option} must be a whole number of milliseconds between 1 and ${MAX_TIMER_MS}, got ${JSON.stringify(value)}`,
      { option, value },
    )
  return n
}

/** The timeouts given on the command line, as `connect()` options (absent ones keep its defaults). */
export function timeoutOptions(
  options: Pick<ConnectionCliOptions, 'connectTimeout' | 'commandTimeout'>,
): Pick<ConnectOptions, 'connectTimeoutMs' | 'commandTimeoutMs'> {
  return {
    ...(options.connectTimeout === undefined
      ? {}
      : { connectTimeoutMs: parseTimeoutMs('--connect-timeout', options.connectTimeout) }),
    ...(options.commandTimeout === undefined
      ? {}
      : { commandTimeoutMs: parseTimeoutMs('--command-timeout', options.commandTimeout) }),
  }
}

/** `connect()` options for a `--url` (a Cluster root node with `--cluster`) and the timeouts. */
export function connectOptions(
  url: string,
  cluster: boolean,
  timeouts: Pick<ConnectOptions, 'connectTimeoutMs' | 'commandTimeoutMs'>,
): ConnectOptions {
  return cluster ? { cluster: { rootNodes: [url] }, ...timeouts } : { url, ...timeouts }
}

/**
 * `text` without the secret of `url`, for the CLI's last word on a failure: every message from
 * connect() is redacted already, this also covers an error from anywhere else. What counts as
 * the secret is what `redactUrl` (the one rule) hides — also when the URL does not parse —
 * replaced as given, %-decoded and %-encoded.
 */
export function withoutUrlSecret(text: string, url: string | undefined): string {
  if (typeof url !== 'string' || url === '') return text
  const redacted = redactUrl(url)
  let out = text.split(url).join(redacted)
  const mark = redacted.indexOf('***')
  if (mark < 0) return out
  const before = redacted.slice(0, mark)
  const after = redacted.slice(mark + 3)
  if (!url.startsWith(before) || !url.endsWith(after)) return out
  const secret = url.slice(before.length, url.length - after.length)
  out = redactSecret(out, secret)
  try {
    out = redactSecret(out, decodeURIComponent(secret))
  } catch {
    // A malformed %-escape: the secret as given is all there is to hide.
  }
  return out
}

/** The `--url` of a command line (`--url X` or `--url=X`), for redacting the last error. */
export function urlArgument(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (arg === '--url') return argv[i + 1]
    if (arg.startsWith('--url=')) return arg.slice('--url='.length)
  }
  return undefined
}

/**
 * A refused connection, with what a newcomer can do about it: start a server, or point `--url`
 * at a running one. Other errors come back unchanged.
 */
export function withConnectionHint(error: unknown): unknown {
  if (!(error instanceof RedisExpertError) || error.code !== 'CONNECTION_FAILED') return error
  if (error.details.reason !== 'refused') return error
  const at = typeof error.details.address === 'string' ? error.details.address : 'that address'
  const port = /:(\d+)$/.exec(at)?.[1]
  return new RedisExpertError(
    error.code,
    `${error.message}\n  start one (redis-server${port ? ` --port ${port}` : ''}), or point --url at a running server`,
    { cause: error.cause ?? error, details: error.details },
  )
}
