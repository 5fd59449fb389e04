import type { Server } from 'node:http'
import fastifyCookie from '@fastify/cookie'
import fastifySession from '@fastify/session'
import express from 'express'
import session from 'express-session'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSessionStore, type RedisSessionStore } from '../../src/structures/index.js'
import { startRedisForFile } from '../support/redis-fixture.js'
import { sleep } from './helpers.js'
import { Browser, baseUrl } from './http.js'

declare module 'express-session' {
  interface SessionData {
    userId: string
    views: number
  }
}
declare module 'fastify' {
  interface Session {
    userId?: string
    views?: number
  }
}

const { db } = await startRedisForFile()

describe('express-session with the store, over real HTTP', () => {
  let http: Server
  let store: RedisSessionStore
  let base: string
  const errors: (string | undefined)[] = []

  beforeAll(async () => {
    store = createSessionStore(db, { namespace: 'express' })
    const app = express()
    app.use(
      session({
        store: store.forExpress(session),
        secret: 'test secret',
        resave: false,
        saveUninitialized: false,
        cookie: { maxAge: 60_000 },
      }),
    )
    app.post('/login/:user', (req, res) => {
      req.session.userId = req.params.user
      req.session.views = 0
      if (req.query.ms) req.session.cookie.maxAge = Number(req.query.ms)
      res.json({ ok: true })
    })
    app.get('/views', (req, res) => {
      if (req.session.userId === undefined) return void res.status(401).json({ error: 'login' })
      req.session.views = (req.session.views ?? 0) + 1
      res.json({ user: req.session.userId, views: req.session.views })
    })
    // Loads the session, takes its time, then modifies it: express-session saves at the end.
    app.get('/slow-write', async (req, res) => {
      const views = req.session.views ?? 0
      await sleep(Number(req.query.ms ?? 200))
      req.session.views = views + 100
      res.json({ views: req.session.views })
    })
    // Loads the session, takes its time, changes nothing: express-session touches at the end.
    app.get('/slow-read', async (req, res) => {
      await sleep(Number(req.query.ms ?? 200))
      res.json({ views: req.session.views })
    })
    app.post('/logout', (req, res, next) =>
      req.session.destroy((error) => (error ? next(error) : res.json({ ok: true }))),
    )
    // Saves explicitly (as a login handler does before redirecting) after taking its time.
    app.get('/slow-save', async (req, res) => {
      await sleep(Number(req.query.ms ?? 200))
      req.session.views = 1000
      req.session.save((error) => {
        const code = (error as { code?: string } | undefined)?.code
        if (code === 'SESSION_DESTROYED') return void res.status(401).json({ error: 'logged out meanwhile' })
        res.json({ saved: true })
      })
    })
    app.use(
      (
        error: { code?: string },
        _req: express.Request,
        res: express.Response,
        next: express.NextFunction,
      ) => {
        errors.push(error.code)
        if (res.headersSent) return next(error)
        res.status(500).json({ code: error.code })
      },
    )
    http = app.listen(0, '127.0.0.1')
    await new Promise((resolve) => http.once('listening', resolve))
    base = baseUrl(http)
  })
  afterAll(() => new Promise((resolve) => http?.close(resolve)))

  it('keeps a session across requests', async () => {
    const browser = new Browser(base)
    expect((await browser.get('/views')).status).toBe(401)
    await browser.post('/login/alice')
    expect((await browser.get('/views')).body).toEqual({ user: 'alice', views: 1 })
    expect((await browser.get('/views')).body).toEqual({ user: 'alice', views: 2 })
  })

  it('expires it with the cookie', async () => {
    const browser = new Browser(base)
    await browser.post('/login/shortlived?ms=300')
    expect((await browser.get('/views')).status).toBe(200)
    await sleep(450)
    expect((await browser.get('/views')).status).toBe(401)
  })

  it('logs a user out everywhere', async () => {
    const phone = new Browser(base)
    const laptop = new Browser(base)
    const other = new Browser(base)
    await phone.post('/login/carol')
    await laptop.post('/login/carol')
    await other.post('/login/dave')
    expect((await phone.get('/views')).status).toBe(200)
    expect((await laptop.get('/views')).status).toBe(200)
    expect(await store.destroyUserSessions('carol')).toBe(2)
    expect((await phone.get('/views')).status).toBe(401)
    expect((await laptop.get('/views')).status).toBe(401)
    expect((await other.get('/views')).status).toBe(200)
  })

  it('a slow request that saves after a logout does not bring the session back', async () => {
    const browser = new Browser(base)
    await browser.post('/login/erin')
    await browser.get('/views')
    const slow = browser.get('/slow-write?ms=300')
    await sleep(100)
    expect((await browser.post('/logout')).status).toBe(200)
    // What the user sees: express-session sends the response first and saves as it ends, so the
    // slow request's response arrives whole; the refused save reaches the app's error handler.
    const late = await slow
    expect(late.status).toBe(200)
    expect(late.body).toEqual({ views: 101 })
    await sleep(50)
    expect(errors).toContain('SESSION_DESTROYED')
    expect((await browser.get('/views')).status).toBe(401)
    expect(await store.length()).toBeGreaterThan(0) // others' sessions untouched
    expect(await store.userSessions('erin')).toEqual([])
  })

  it('an explicit save after a logout gets SESSION_DESTROYED in its callback', async () => {
    const browser = new Browser(base)
    await browser.post('/login/iris')
    const slow = browser.get('/slow-save?ms=300')
    await sleep(100)
    await browser.post('/logout')
    expect(await slow).toMatchObject({ status: 401, body: { error: 'logged out meanwhile' } })
    expect((await browser.get('/views')).status).toBe(401)
  })

  it("a touch at the end of a slow read does not overwrite a concurrent request's save", async () => {
    const browser = new Browser(base)
    await browser.post('/login/frank')
    const slow = browser.get('/slow-read?ms=300')
    await sleep(100)
    expect((await browser.get('/views')).body).toMatchObject({ views: 1 })
    await slow
    expect((await browser.get('/views')).body).toMatchObject({ views: 2 })
  })
})

describe('@fastify/session with the store', () => {
  let app: FastifyInstance
  let store: RedisSessionStore
  let base: string

  beforeAll(async () => {
    store = createSessionStore(db, { namespace: 'fastify' })
    app = Fastify()
    await app.register(fastifyCookie)
    await app.register(fastifySession, {
      secret: 'a secret that is at least 32 characters long',
      store,
      saveUninitialized: false,
      cookie: { secure: false, maxAge: 60_000 },
    })
    app.post<{ Params: { user: string }; Querystring: { ms?: string } }>('/login/:user', async (req) => {
      req.session.userId = req.params.user
      req.session.views = 0
      if (req.query.ms) req.session.cookie.maxAge = Number(req.query.ms)
      return { ok: true }
    })
    app.get('/views', async (req, reply) => {
      if (req.session.userId === undefined) return reply.code(401).send({ error: 'login' })
      req.session.views = (req.session.views ?? 0) + 1
      return { user: req.session.userId, views: req.session.views }
    })
    app.get<{ Querystring: { ms?: string } }>('/slow-write', async (req) => {
      const views = req.session.views ?? 0
      await sleep(Number(req.query.ms ?? 200))
      req.session.views = views + 100
      return { views: req.session.views }
    })
    app.post('/logout', async (req) => {
      await req.session.destroy()
      return { ok: true }
    })
    base = await app.listen({ port: 0, host: '127.0.0.1' })
  })
  afterAll(() => app?.close())

  it('keeps a session across requests and expires it with the cookie', async () => {
    const browser = new Browser(base)
    expect((await browser.get('/views')).status).toBe(401)
    await browser.post('/login/alice')
    expect((await browser.get('/views')).body).toEqual({ user: 'alice', views: 1 })
    expect((await browser.get('/views')).body).toEqual({ user: 'alice', views: 2 })
    const short = new Browser(base)
    await short.post('/login/brief?ms=300')
    expect((await short.get('/views')).status).toBe(200)
    await sleep(450)
    expect((await short.get('/views')).status).toBe(401)
  })

  it('logs a user out everywhere', async () => {
    const a = new Browser(base)
    const b = new Browser(base)
    await a.post('/login/gina')
    await b.post('/login/gina')
    expect((await a.get('/views')).status).toBe(200)
    expect(await store.destroyUserSessions('gina')).toBe(2)
    expect((await a.get('/views')).status).toBe(401)
    expect((await b.get('/views')).status).toBe(401)
  })

  it('a slow request that saves after a logout does not bring the session back', async () => {
    const browser = new Browser(base)
    await browser.post('/login/hank')
    const slow = browser.get('/slow-write?ms=300')
    await sleep(100)
    await browser.post('/logout')
    // What the user sees: @fastify/session saves in onSend, before the response goes out, so the
    // refused save becomes the response — Fastify's error reply, with the code.
    const late = await slow
    expect(late.status).toBe(500)
    expect(late.body).toMatchObject({ code: 'SESSION_DESTROYED' })
    expect((await browser.get('/views')).status).toBe(401)
    expect(await store.userSessions('hank')).toEqual([])
  })
})
