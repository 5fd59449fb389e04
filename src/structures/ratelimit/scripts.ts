import { defineScript, type Script } from '../../atomic/script.js'

/**
 * A rate-limiting algorithm: `fixed-window`, `sliding-window` (approximate), `sliding-log` (exact) or
 * `token-bucket` (GCRA).
 */
export type Algorithm = 'fixed-window' | 'sliding-window' | 'sliding-log' | 'token-bucket'

export const ALGORITHMS: readonly Algorithm[] = [
  'fixed-window',
  'sliding-window',
  'sliding-log',
  'token-bucket',
]

type LimiterScript = Script<'bucket', 'limit' | 'windowMs' | 'cost' | 'now'>

const define = (name: Algorithm): LimiterScript =>
  defineScript({
    name: `ratelimit-${name}`,
    file: new URL(`./${name}.lua`, import.meta.url),
    keys: ['bucket'],
    args: ['limit', 'windowMs', 'cost', 'now'],
  })

/** One script per algorithm, each one round trip: read, decide and write the id's state atomically. */
export const SCRIPTS: Readonly<Record<Algorithm, LimiterScript>> = {
  'fixed-window': define('fixed-window'),
  'sliding-window': define('sliding-window'),
  'sliding-log': define('sliding-log'),
  'token-bucket': define('token-bucket'),
}
