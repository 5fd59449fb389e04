import { RedisExpertError } from '../errors.js'
import type { Endpoint } from './endpoint.js'
import type { Link } from './link.js'
import type { Target } from './options.js'

/** Placeholder: Sentinel discovery is being built (see the issue). */
export class SentinelLocator {
  constructor(
    readonly target: Extract<Target, { kind: 'sentinel' }>,
    readonly settings: { readonly connectTimeoutMs: number; readonly commandTimeoutMs: number },
  ) {}

  locate(): Promise<Endpoint> {
    return Promise.reject(new RedisExpertError('NOT_SUPPORTED', 'connect({ sentinel }) is being built'))
  }

  follow(_link: Link): void {}
}
