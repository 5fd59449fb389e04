import { describe, expect, it } from 'vitest'
import { connect } from '../../src/connect.js'
import { DEFAULT_LISTPACK_LIMITS } from '../../src/keyspace/encoding.js'
import { defineKeyspace, t } from '../../src/keyspace/index.js'
import { startRedis } from '../../src/testing/index.js'

/*
 * Issue 16: the offline listpack defaults assumed hash-max-listpack-entries 128, while a bare
 * redis-server 7.0 and valkey-server 8 say 512 — so `schema` predicted hashtable for maxItems 200
 * offline and listpack with --url. Every default must be what a bare server reports (CONFIG GET;
 * the launcher sets no encoding directive). set-max-listpack-* exist from Redis 7.2 / Valkey only.
 */

describe('DEFAULT_LISTPACK_LIMITS are the servers’ own defaults', () => {
  for (const kind of ['redis', 'valkey'] as const) {
    it(`a bare ${kind}-server reports every default`, async () => {
      const server = await startRedis({ server: kind })
      const db = await connect({ url: server.url })
      try {
        const { listpack } = await db.probe()
        const { setEntries, setValue, ...common } = DEFAULT_LISTPACK_LIMITS
        expect(listpack).toMatchObject(common)
        if (listpack.setEntries !== null) expect(listpack).toMatchObject({ setEntries, setValue })
        // And the prediction offline is the one with --url: a hash of 200 fields stays a listpack.
        const ks = defineKeyspace('lp', {
          h: { pattern: 'h:<id>', type: t.hash(), role: 'state', ttl: '1h', maxItems: 200 },
        })
        expect(ks.h.describe().encoding).toBe(ks.h.describe({ limits: listpack }).encoding)
        expect(ks.h.describe().encoding).toBe('listpack')
      } finally {
        await db.close()
        await server.stop()
      }
    })
  }
})
