import type { Command } from 'commander'
import { connect } from '../connect.js'
import {
  type ConnectionCliOptions,
  connectOptions,
  timeoutOptions,
  withConnectionHint,
  withTimeoutOptions,
} from './connection-options.js'

export function registerProbe(program: Command): void {
  withTimeoutOptions(
    program
      .command('probe')
      .description('connect to a server or Cluster and print what it is and how it is configured')
      .requiredOption(
        '--url <url>',
        'redis:// or rediss:// URL of a server (any node of a Cluster with --cluster)',
      )
      .option('--cluster', 'treat the URL as a Cluster root node'),
  ).action(async (options: ConnectionCliOptions & { url: string }) => {
    const db = await connect(
      connectOptions(options.url, options.cluster === true, timeoutOptions(options)),
    ).catch((error: unknown) => {
      throw withConnectionHint(error)
    })
    try {
      console.log(JSON.stringify(await db.probe(), null, 2))
    } finally {
      await db.close()
    }
  })
}
