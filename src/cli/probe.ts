import type { Command } from 'commander'
import { connect } from '../client/index.js'

export function registerProbe(program: Command): void {
  program
    .command('probe')
    .description('connect to a server or Cluster and print what it is and how it is configured')
    .requiredOption(
      '--url <url>',
      'redis:// or rediss:// URL of a server (any node of a Cluster with --cluster)',
    )
    .option('--cluster', 'treat the URL as a Cluster root node')
    .action(async (options: { url: string; cluster?: boolean }) => {
      const db = await connect(
        options.cluster ? { cluster: { rootNodes: [options.url] } } : { url: options.url },
      )
      try {
        console.log(JSON.stringify(await db.probe(), null, 2))
      } finally {
        await db.close()
      }
    })
}
