import { readFileSync } from 'node:fs'
import type { Command } from 'commander'
import type { FastifyInstance } from 'fastify'
import { bootstrap } from '../../bootstrap.ts'
import { loadConfig } from '../../config/load.ts'
import { publicUrl, tlsEnabled } from '../../config/semantics.ts'
import { buildContainer } from '../../container.ts'
import { buildApp } from '../../http/app.ts'
import { openStore } from '../../persistence/database.ts'
import { isStoreUnavailable } from '../../persistence/store-errors.ts'
import type { GlobalOptions } from '../context.ts'
import { printGeneratedAdmin } from '../context.ts'
import { createOutput } from '../output.ts'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export function registerServeCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('serve')
    .description('Start the server (applies migrations, creates the first administrator)')
    .action(async () => {
      const { config, file } = loadConfig({ path: globals().config })
      // Read before anything is opened: the loader has checked that the pair is usable.
      const https = tlsEnabled(config)
        ? { cert: readFileSync(config.server.tls_cert_file), key: readFileSync(config.server.tls_key_file) }
        : undefined
      const container = buildContainer(config, { store: openStore(config, { backgroundCheckpoints: true }) })
      const log = container.logger
      let started = false
      let app: FastifyInstance | undefined
      try {
        app = await buildApp(container, {
          readiness: { started: () => started, ping: () => container.ping() },
          ...(https ? { https } : {}),
        })
        const address = await app.listen({ host: config.server.host, port: config.server.port })
        const port = app.server.address()
        const url = publicUrl(config, typeof port === 'object' && port ? port.port : config.server.port)
        log.info(
          { address, url, store: container.store.describe, configFile: file ?? null },
          'Rekey listening',
        )

        // Installed before the store is reached, so a stop while retrying is a clean one too.
        const listening = app
        const shutdown = async (signal: string) => {
          log.info({ signal }, 'shutting down')
          await listening.close()
          await container.close()
          process.exit(0)
        }
        process.once('SIGINT', () => void shutdown('SIGINT'))
        process.once('SIGTERM', () => void shutdown('SIGTERM'))

        // The store may come up after us (containers, failover): keep answering /healthz, report
        // 503 on /readyz, and retry with capped backoff instead of exiting.
        for (let attempt = 1; !started; attempt++) {
          try {
            const result = await bootstrap(container)
            if (result.migrations.length > 0)
              log.info({ migrations: result.migrations }, 'migrations applied')
            if (result.generatedAdminPassword)
              printGeneratedAdmin(createOutput(false), url, result.generatedAdminPassword)
            else if (result.createdAdministrator)
              log.info('administrator "admin" created with REKEY_ADMIN_PASSWORD')
            started = true
          } catch (error) {
            // Not something waiting fixes: give up (below) so the process exits with the error.
            if (!isStoreUnavailable(error)) throw error
            const delay = Math.min(30_000, 500 * 2 ** Math.min(attempt, 6))
            log.warn(
              { store: container.store.describe, attempt, retryInMs: delay },
              'store unreachable; retrying',
            )
            await sleep(delay)
          }
        }
        if (config.notifications.worker) container.outboxWorker.start()
        // Bulk reset jobs left queued or running (a restart, a crash, a CLI run cut short) go on.
        container.bulkResetRunner.start()
        log.info(
          {
            url,
            mail: container.deliveryRouter.server().kind === 'mailbox' ? 'built-in mailbox' : 'smtp',
            outboxWorker: config.notifications.worker,
          },
          'Rekey ready',
        )
      } catch (error) {
        // Port in use, a start error waiting cannot fix: release the listener, the store and
        // its threads, or the process would report the error and then never exit.
        await app?.close()
        await container.close()
        throw error
      }
    })
}
