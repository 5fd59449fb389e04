import { readFileSync } from 'node:fs'
import { Cookie } from 'express-session'
import { createClient } from 'redis'
import ts from 'typescript'
import { afterAll, expect, test } from 'vitest'
import { connect, type RedisExpertClient } from '../../src/connect.js'
import { createSessionStore } from '../../src/structures/index.js'
import { type RedisServer, startRedis } from '../../src/testing/index.js'

/*
 * connect-redis v9's own store test (node_modules/connect-redis/index_test.ts, as published), run
 * against createSessionStore on a real server. The file is read as it is and only these edits
 * are applied — each must match exactly, so a new connect-redis version that changes them fails
 * here instead of testing something else:
 *
 * - its imports are supplied by this file (the same modules: express-session's Cookie,
 *   node-redis's createClient, vitest's expect and test), and its `testdata/server` (not
 *   published) by the toolkit's launcher: a fresh redis-server, never 127.0.0.1:6379;
 * - the store's construction: `new RedisStore({client})` becomes
 *   `createSessionStore(db, { prefix: 'sess:' })` — connect-redis's key layout, which the file
 *   inspects through its own node-redis client (`client.ttl("sess:123")`);
 * - the test "defaults" is skipped: it asserts only connect-redis's public fields (`store.client`,
 *   `prefix`, `ttl`, `scanCount`, `serializer`, `disableTouch`, `disableTTL`), which this store does
 *   not expose; docs/sessions-migration.md lists each with its equivalent, and
 *   sessions-compat.test.ts checks the same defaults through behaviour.
 */

const SOURCE = new URL('../../node_modules/connect-redis/index_test.ts', import.meta.url)

const EDITS: readonly (readonly [from: string, to: string, times: number])[] = [
  ['import {Cookie} from "express-session"\n', '', 1],
  ['import {createClient} from "redis"\n', '', 1],
  ['import {expect, test} from "vitest"\n', '', 1],
  ['import {RedisStore} from "./"\n', '', 1],
  ['import * as redisSrv from "./testdata/server"\n', '', 1],
  ['new RedisStore({client})', 'createStore()', 2],
  ['test("defaults", ', 'test.skip("defaults", ', 1],
]

function edited(text: string): string {
  let out = text
  for (const [from, to, times] of EDITS) {
    const found = out.split(from).length - 1
    if (found !== times)
      throw new Error(
        `connect-redis's index_test.ts: expected ${times}× ${JSON.stringify(from)}, found ${found}`,
      )
    out = out.split(from).join(to)
  }
  return out
}

let server: RedisServer | undefined
let db: RedisExpertClient | undefined

const redisSrv = {
  get port() {
    return server!.port
  },
  async connect() {
    server = await startRedis()
    db = await connect({ url: server.url })
  },
  async disconnect() {
    await db?.close()
    await server?.stop()
    db = undefined
    server = undefined
  },
}
afterAll(() => redisSrv.disconnect())

const createStore = () => createSessionStore(db!, { prefix: 'sess:' })

const source = edited(readFileSync(SOURCE, 'utf8'))
const js = ts.transpileModule(source, {
  compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
}).outputText
// Registers the file's tests, in its order, in this file's suite.
new Function('Cookie', 'createClient', 'expect', 'test', 'redisSrv', 'createStore', js)(
  Cookie,
  createClient,
  expect,
  test,
  redisSrv,
  createStore,
)
