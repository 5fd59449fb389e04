import { strictOptions } from '../common/validate.js'
import { RedisExpertError } from '../errors.js'
import type { EntryDeclaration } from '../keyspace/declaration.js'
import {
  type Entry,
  type EntryDeclarations,
  isKeyspace,
  type KeyArgs,
  type Keyspace,
} from '../keyspace/define.js'
import type { Fields, TypeDescriptor, TypeKind } from '../keyspace/types.js'
import { BitmapHandle } from './bitmap.js'
import type { KeyContext, TypedExecutor } from './context.js'
import { CounterHandle } from './counter.js'
import { HashHandle } from './hash.js'
import { HllHandle } from './hll.js'
import type { KeyHandle } from './key.js'
import { ListHandle } from './list.js'
import { SetHandle } from './set.js'
import { StreamHandle } from './stream.js'
import type {
  BitmapOps,
  BoundedHashOps,
  BoundedSetOps,
  CounterOps,
  HashOps,
  HllOps,
  ListOps,
  SetOps,
  StreamOps,
  ValueOps,
  ZsetOps,
} from './types.js'
import { ValueHandle } from './value.js'
import { ZsetHandle } from './zset.js'

type IsBounded<D> = D extends { readonly maxItems: number } ? true : false
type ValueOf<D extends EntryDeclaration> = D['type'] extends TypeDescriptor<TypeKind, infer T> ? T : never

/** The typed operations of one entry, chosen by its type and bound. */
export type OpsFor<D extends EntryDeclaration> = D['type']['kind'] extends 'string'
  ? ValueOps<string>
  : D['type']['kind'] extends 'json'
    ? ValueOps<ValueOf<D>>
    : D['type']['kind'] extends 'counter'
      ? CounterOps
      : D['type']['kind'] extends 'hash'
        ? HashOps<Fields<ValueOf<D>>> &
            (IsBounded<D> extends true ? BoundedHashOps<Fields<ValueOf<D>>> : unknown)
        : D['type']['kind'] extends 'list'
          ? ListOps<ValueOf<D>>
          : D['type']['kind'] extends 'set'
            ? SetOps<ValueOf<D>> & (IsBounded<D> extends true ? BoundedSetOps<ValueOf<D>> : unknown)
            : D['type']['kind'] extends 'zset'
              ? ZsetOps<ValueOf<D>, IsBounded<D>>
              : D['type']['kind'] extends 'stream'
                ? StreamOps<Fields<ValueOf<D>>, IsBounded<D>>
                : D['type']['kind'] extends 'hll'
                  ? HllOps
                  : D['type']['kind'] extends 'bitmap'
                    ? BitmapOps
                    : never

/** `app.user({ id: '42' })` → the operations on key `shop:user:42`; `app.user.entry` is the declaration. */
export type BoundEntry<D extends EntryDeclaration> = ((...args: KeyArgs<D['pattern']>) => OpsFor<D>) & {
  readonly entry: Entry<D>
}

export type BoundKeyspace<E extends EntryDeclarations> = { readonly [K in keyof E]: BoundEntry<E[K]> }

export interface BindOptions {
  /** Source of TTL jitter (tests); default Math.random. */
  readonly random?: () => number
}

const HANDLES: Readonly<Record<TypeKind, new (ctx: KeyContext) => KeyHandle>> = {
  string: ValueHandle,
  json: ValueHandle,
  counter: CounterHandle,
  hash: HashHandle,
  list: ListHandle,
  set: SetHandle,
  zset: ZsetHandle,
  stream: StreamHandle,
  hll: HllHandle,
  bitmap: BitmapHandle,
}

/**
 * Binds a keyspace to an executor (a connected client): per entry, a function from key
 * parameters to the typed operations on that key. Handles are cheap (one small object); make
 * one per use.
 */
export function bindKeyspace<E extends EntryDeclarations>(
  executor: TypedExecutor,
  keyspace: Keyspace<string, E>,
  options: BindOptions = {},
): BoundKeyspace<E> {
  if (!isKeyspace(keyspace)) {
    throw new RedisExpertError('INVALID_ARGUMENT', 'bindKeyspace takes a keyspace built by defineKeyspace()')
  }
  if (typeof executor?.call !== 'function' || typeof executor.batch !== 'function') {
    throw new RedisExpertError('INVALID_ARGUMENT', 'bindKeyspace takes an executor (a connected client)')
  }
  strictOptions('bindKeyspace options', options, ['random'])
  // Tell the executor's guard which keys these are: their bounds, TTL policy and durability.
  executor.declare?.(keyspace)
  const random = options.random ?? Math.random
  const bound: Record<string, unknown> = {}
  for (const entry of keyspace.entries) {
    const Handle = HANDLES[entry.policy.kind]
    const policy = entry.policy
    const build = entry.key as (...args: unknown[]) => string
    const open = (...args: unknown[]) => new Handle({ executor, policy, key: build(...args), random })
    bound[entry.name] = Object.assign(open, { entry })
  }
  return Object.freeze(bound) as BoundKeyspace<E>
}
