import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect } from '../../src/index.js'
import { freePort, type RedisServer, startRedis } from '../../src/testing/index.js'
import { codeOf } from '../support/errors.js'

/*
 * TLS on a real redis-server (tls-port beside the plain port the launcher watches), through both
 * transports: a self-signed certificate made by openssl for 127.0.0.1, trusted through `tls.ca`.
 */
let server: RedisServer
let certDir: string
let ca: Buffer
let url: string

beforeAll(async () => {
  certDir = mkdtempSync(join(tmpdir(), 'redis-expert-tls-'))
  const cert = join(certDir, 'cert.pem')
  const key = join(certDir, 'key.pem')
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  )
  ca = readFileSync(cert)
  const tlsPort = await freePort()
  server = await startRedis({
    config: {
      'tls-port': tlsPort,
      'tls-cert-file': cert,
      'tls-key-file': key,
      'tls-ca-cert-file': cert,
      'tls-auth-clients': 'no',
    },
    requirepass: 'tls-secret',
  })
  url = `rediss://:tls-secret@127.0.0.1:${tlsPort}`
}, 60_000)
afterAll(async () => {
  await server?.stop()
  if (certDir) rmSync(certDir, { recursive: true, force: true })
})

describe('TLS', () => {
  const transport = 'own'
  it('connects with the CA, authenticates, and runs commands, pipelines and MULTI', async () => {
    const db = await connect({ url, tls: { ca }, guard: 'off' })
    try {
      expect(await db.call(['SET', `tls:${transport}`, 'Grüße'])).toBe('OK')
      expect(await db.call(['GET', `tls:${transport}`])).toBe('Grüße')
      expect(
        await db.batch(
          [
            ['INCR', 'tls:n'],
            ['INCR', 'tls:n'],
          ],
          { atomic: true },
        ),
      ).toHaveLength(2)
      const info = String(await db.call(['INFO', 'server']))
      expect(info).toContain(`tcp_port:${server.port}`)
    } finally {
      await db.close()
    }
  })

  it('refuses a server whose certificate it cannot verify, with CONNECTION_FAILED', async () => {
    expect(await codeOf(connect({ url, tls: true, connectRetries: 0, connectTimeoutMs: 2000 }))).toBe(
      'CONNECTION_FAILED',
    )
  })
})
