import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'
import { RedisExpertError } from '../errors.js'

/** Which server the launcher runs: Redis, or Valkey (the Linux Foundation fork of Redis 7.2). */
export type ServerKind = 'redis' | 'valkey'

const INSTALL_HINTS: Record<ServerKind, string> = {
  redis:
    'Install Redis 7 and put redis-server on PATH: `apt-get install -y redis-server redis-tools` (Debian/Ubuntu), ' +
    '`brew install redis` (macOS), or set REDIS_SERVER_BIN to its full path.',
  valkey:
    'Install Valkey 8 and put valkey-server on PATH: `apt-get install -y -t bookworm-backports valkey-server ' +
    'valkey-tools` (Debian 12, with bookworm-backports in the apt sources), `apt-get install -y valkey-server ' +
    'valkey-tools` (Debian 13, Ubuntu 25.04+), `brew install valkey` (macOS), or set VALKEY_SERVER_BIN to its full path.',
}

/** The environment variable that overrides each kind's server binary. */
const BINARY_OVERRIDES: Record<ServerKind, string> = {
  redis: 'REDIS_SERVER_BIN',
  valkey: 'VALKEY_SERVER_BIN',
}

/** Finds an executable on PATH (or the override), the way a shell would. */
export function findExecutable(name: string, override?: string, hint = INSTALL_HINTS.redis): string {
  if (override) {
    if (isExecutable(override)) return override
    throw new RedisExpertError('REDIS_SERVER_NOT_FOUND', `${override} is not an executable file. ${hint}`)
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue
    const candidate = join(dir, name)
    if (isExecutable(candidate)) return candidate
  }
  throw new RedisExpertError('REDIS_SERVER_NOT_FOUND', `${name} was not found on PATH. ${hint}`, {
    details: { executable: name },
  })
}

/**
 * The server kind to run: the explicit choice, else `REDIS_EXPERT_SERVER` (`redis` or
 * `valkey`), else Redis.
 */
export function serverKind(explicit?: ServerKind): ServerKind {
  const chosen = explicit ?? (process.env.REDIS_EXPERT_SERVER || 'redis')
  if (chosen === 'redis' || chosen === 'valkey') return chosen
  throw new RedisExpertError(
    'INVALID_ARGUMENT',
    `REDIS_EXPERT_SERVER must be 'redis' or 'valkey', not '${chosen}'`,
    { details: { server: chosen } },
  )
}

/**
 * The server binary: `redis-server`, or `valkey-server` when Valkey is chosen (see
 * `serverKind`). REDIS_SERVER_BIN / VALKEY_SERVER_BIN override the PATH lookup.
 */
export function redisServerPath(kind?: ServerKind): string {
  const chosen = serverKind(kind)
  return findExecutable(`${chosen}-server`, process.env[BINARY_OVERRIDES[chosen]], INSTALL_HINTS[chosen])
}

/** The command-line client that goes with the server: `redis-cli` or `valkey-cli`. */
export function redisCliPath(kind?: ServerKind): string {
  const chosen = serverKind(kind)
  return findExecutable(`${chosen}-cli`, undefined, INSTALL_HINTS[chosen])
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}
