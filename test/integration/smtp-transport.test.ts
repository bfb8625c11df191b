import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { inspect } from 'node:util'
import {
  describeSmtpEndpoint,
  type OutgoingMessage,
  parseSmtpUrl,
  type SendOutcome,
  SmtpConfigError,
  type SmtpSettingsOverrides,
  SmtpTransport,
  sendTestMessage,
  smtpSettingsFromUrl,
} from '../../src/notifications/smtp/index.ts'
import { tempDir } from '../support/config.ts'
import { freePort } from '../support/processes.ts'
import { loopbackCertificate, SmtpSink } from '../support/smtp-sink.ts'
import { selfSignedPair } from '../support/tls.ts'

const from = 'Rekey <no-reply@rekey.test>'
const credentials = { user: 'mailer@rekey.test', pass: 'S3cret:pass/with@odd#chars' }
const wrongPassword = 'Wr0ng-Passw0rd-7781'

// Generous: a slow 2-core machine runs RSA handshakes and 200 deliveries in these.
const suite = { timeout: 180_000 }

const certificates = tempDir('rekey-smtp-')
// Carries 127.0.0.1 as subjectAltName: a client that checks identities accepts it as its CA.
const trusted = loopbackCertificate(certificates)
// Common name only: Node refuses it for 127.0.0.1 even when trusted, unless verification is off.
const nameless = selfSignedPair(certificates)
const tlsSkip = 'skip' in trusted ? trusted.skip : 'skip' in nameless ? nameless.skip : undefined

function transportFor(url: string, overrides: Partial<SmtpSettingsOverrides> = {}): SmtpTransport {
  return new SmtpTransport(smtpSettingsFromUrl(url, { from, ...overrides }))
}

function message(overrides: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return {
    to: 'alex@example.com',
    subject: 'Your password must be changed',
    text: 'Open the link to choose a new password.',
    html: '<p>Open the link to choose a new password.</p>',
    ...overrides,
  }
}

function assertOutcome<K extends SendOutcome['kind']>(
  outcome: SendOutcome,
  kind: K,
): asserts outcome is Extract<SendOutcome, { kind: K }> {
  assert.equal(outcome.kind, kind, inspect(outcome))
}

/** Every form in which a password could leak: as is, percent-encoded, and as AUTH puts it on the wire. */
function leakedForms(user: string, pass: string): string[] {
  const base64 = (value: string) => Buffer.from(value).toString('base64')
  return [pass, encodeURIComponent(pass), base64(pass), base64(`\u0000${user}\u0000${pass}`)]
}

function assertNoPassword(text: string, user: string, pass: string): void {
  for (const form of leakedForms(user, pass)) assert.ok(!text.includes(form), `leaks the password: ${text}`)
}

describe('parseSmtpUrl', () => {
  it('reads smtp:// with credentials: submission port, STARTTLS required, decoded user and password', () => {
    const parsed = parseSmtpUrl(
      'smtp://mailer%40rekey.test:S3cret%3Apass%2Fwith%40odd%23chars@mail.example.com',
    )
    assert.equal(parsed.host, 'mail.example.com')
    assert.equal(parsed.port, 587)
    assert.equal(parsed.security, 'starttls-required')
    assert.equal(parsed.auth?.user, credentials.user)
    assert.equal(parsed.auth?.pass, credentials.pass)
  })

  it('reads smtp:// without credentials as a relay on port 25 with opportunistic STARTTLS', () => {
    const parsed = parseSmtpUrl('smtp://relay.internal')
    assert.deepEqual(
      { host: parsed.host, port: parsed.port, security: parsed.security, auth: parsed.auth },
      { host: 'relay.internal', port: 25, security: 'starttls-opportunistic', auth: undefined },
    )
  })

  it('reads smtps:// as implicit TLS on port 465, and an explicit port anywhere', () => {
    assert.deepEqual(
      [
        parseSmtpUrl('smtps://u:p@mail.example.com').port,
        parseSmtpUrl('smtps://u:p@mail.example.com').security,
      ],
      [465, 'tls'],
    )
    assert.equal(parseSmtpUrl('smtps://u:p@mail.example.com:2465').port, 2465)
    assert.equal(parseSmtpUrl('smtp://[::1]:2525').host, '::1')
  })

  it('takes the documented query options, typed', () => {
    const parsed = parseSmtpUrl(
      'smtp://u:p@mail.example.com:2525?starttls=opportunistic&tls_reject_unauthorized=false' +
        '&tls_ca_file=%2Fetc%2Frekey%2Fca+relay.pem&pool_size=3&max_messages_per_connection=50' +
        '&rate_limit_per_second=10&connection_timeout_ms=2000&greeting_timeout_ms=3000&socket_timeout_ms=4000',
    )
    assert.equal(parsed.security, 'starttls-opportunistic')
    assert.equal(parsed.rejectUnauthorized, false)
    assert.equal(parsed.caFile, '/etc/rekey/ca+relay.pem')
    assert.deepEqual(
      [
        parsed.poolSize,
        parsed.maxMessagesPerConnection,
        parsed.rateLimitPerSecond,
        parsed.connectionTimeoutMs,
        parsed.greetingTimeoutMs,
        parsed.socketTimeoutMs,
      ],
      [3, 50, 10, 2000, 3000, 4000],
    )
    assert.equal(parseSmtpUrl('smtp://u:p@h?starttls=off').security, 'none')
    assert.equal(parseSmtpUrl('smtp://h?starttls=required').security, 'starttls-required')
  })

  it('refuses other schemes and malformed URLs without ever repeating the password', () => {
    const secret = 'Hunter2-secret'
    const cases: Array<[string, RegExp]> = [
      ['', /empty/],
      [`user:${secret}@mail.example.com:587`, /no scheme/],
      [`http://user:${secret}@mail.example.com`, /scheme "http" is not supported/],
      [`smtp://user:${secret}#x@mail.example.com`, /malformed|fragment/],
      [`smtp://user:${secret}@mail.example.com#x`, /fragment/],
      [`smtp://user:${secret}@mail.example.com/inbox`, /path/],
      [`smtp://user:${secret}@mail.example.com:99999`, /malformed|port/],
      [`smtp://user:${secret}@mail.example.com:0`, /port/],
      [`smtp://user:${secret}%ZZ@mail.example.com`, /%-escape/],
      [`smtp://:${secret}@mail.example.com`, /no user/],
      [`smtp://user@mail.example.com`, /no password/],
      [`smtps://user:${secret}@mail.example.com?starttls=required`, /smtp:\/\/ only/],
      [`smtp://user:${secret}@mail.example.com?tls_reject_unauthorised=false`, /unknown/],
      [`smtp://user:${secret}@mail.example.com?starttls=maybe`, /required, opportunistic or off/],
      [`smtp://user:${secret}@mail.example.com?pool_size=many`, /whole number/],
      [`smtp://user:${secret}@mail.example.com?pool_size=2&pool_size=3`, /twice/],
      // A "?" typed into the user name turns the rest, password included, into the query.
      [`smtp://us?er:${secret}@mail.example.com`, /unknown/],
    ]
    for (const [url, expected] of cases) {
      assert.throws(
        () => parseSmtpUrl(url),
        (error: unknown) => {
          assert.ok(error instanceof SmtpConfigError, `${url}: ${String(error)}`)
          assert.match(error.message, expected, url)
          for (const text of [error.message, String(error), inspect(error)])
            assert.ok(!text.includes('Hunter2'), `${url} leaks the password: ${error.message}`)
          return true
        },
      )
    }
  })

  it('builds settings with defaults, query options and overrides, and never prints the password', () => {
    const settings = smtpSettingsFromUrl('smtps://mailer:Sup3r-Secret@mail.example.com?pool_size=2', {
      from,
      rateLimitPerSecond: 20,
    })
    assert.equal(settings.poolSize, 2)
    assert.equal(settings.rateLimitPerSecond, 20)
    assert.equal(settings.maxMessagesPerConnection, 0)
    assert.equal(settings.rejectUnauthorized, true)
    assert.equal(settings.caFile, undefined)
    assert.equal(settings.from, from)
    assert.equal(describeSmtpEndpoint(settings), 'smtps://mailer@mail.example.com:465 (tls)')
    for (const text of [
      JSON.stringify(settings),
      inspect(settings, { depth: 5 }),
      describeSmtpEndpoint(settings),
    ])
      assert.ok(!text.includes('Sup3r-Secret'), text)
    assert.throws(() => smtpSettingsFromUrl('smtp://relay', { from: 'nobody' }), /from must be an address/)
    assert.throws(() => smtpSettingsFromUrl('smtp://relay?pool_size=0', { from }), /poolSize/)
    assert.throws(() => smtpSettingsFromUrl('smtp://relay', { from: 'a@b\r\nBcc: x@y' }), SmtpConfigError)
  })
})

describe('SmtpTransport with STARTTLS and AUTH', { ...suite, skip: tlsSkip }, () => {
  let sink: SmtpSink
  let transport: SmtpTransport
  let caFile: string
  before(async () => {
    if ('skip' in trusted) return
    caFile = trusted.cert
    sink = await SmtpSink.start({ security: 'starttls', credentials, certificate: trusted })
    transport = transportFor(sink.url({ query: { tls_ca_file: caFile } }))
  })
  after(async () => {
    await transport?.close()
    await sink?.stop()
  })

  it('delivers both alternatives with the given Message-ID, a UTF-8 subject and the usual headers', async () => {
    sink.reset()
    const subject = 'Réinitialisez votre mot de passe — ça expire à 18 h'
    const outcome = await transport.send(
      message({
        to: 'Aléx Dupont <alex@example.com>',
        subject,
        text: 'Bonjour Aléx, choisissez un nouveau mot de passe.',
        html: '<p>Bonjour <strong>Aléx</strong>, choisissez un nouveau mot de passe.</p>',
        messageId: 'notification-42@rekey.test',
        headers: { 'Reply-To': 'support@rekey.test' },
      }),
    )
    assertOutcome(outcome, 'sent')
    assert.equal(outcome.messageId, '<notification-42@rekey.test>')
    assert.match(outcome.response, /^250 /)
    assert.deepEqual(outcome.rejected, [])

    const [received] = await sink.waitForMessages(1)
    assert.ok(received)
    assert.equal(received.secure, true)
    assert.equal(received.user, credentials.user)
    assert.equal(received.mailFrom, 'no-reply@rekey.test')
    assert.deepEqual(received.rcptTo, ['alex@example.com'])
    const parsed = received.parsed
    assert.equal(parsed.subject, subject)
    assert.equal(parsed.messageId, '<notification-42@rekey.test>')
    assert.deepEqual(
      parsed.from?.value.map(({ name, address }) => ({ name, address })),
      [{ name: 'Rekey', address: 'no-reply@rekey.test' }],
    )
    const to = Array.isArray(parsed.to) ? parsed.to[0] : parsed.to
    assert.deepEqual(
      to?.value.map(({ name, address }) => ({ name, address })),
      [{ name: 'Aléx Dupont', address: 'alex@example.com' }],
    )
    assert.equal(parsed.text?.trim(), 'Bonjour Aléx, choisissez un nouveau mot de passe.')
    assert.equal(
      typeof parsed.html === 'string' ? parsed.html.trim() : parsed.html,
      '<p>Bonjour <strong>Aléx</strong>, choisissez un nouveau mot de passe.</p>',
    )
    assert.ok(parsed.date instanceof Date)
    assert.equal(parsed.headers.get('auto-submitted'), 'auto-generated')
    assert.equal(parsed.headers.get('mime-version'), '1.0')
    assert.equal(parsed.replyTo?.value[0]?.address, 'support@rekey.test')
    assert.match(received.raw.toString('latin1'), /^Content-Type: multipart\/alternative/im)
    assert.ok(!received.raw.toString('latin1').includes('X-Mailer'))
  })

  it('verifies connection and authentication, answering with the greeting', async () => {
    const verified = await transport.verify()
    assert.ok(verified.ok, inspect(verified))
    assert.match(verified.greeting, /^220 sink\.rekey\.test /)
    assert.match(verified.answer, /^235 /)
    assert.equal(verified.secure, true)
    assert.equal(verified.authenticated, true)
  })

  it('sends a test message and returns the server answer', async () => {
    sink.reset()
    const outcome = await sendTestMessage(transport, 'operator@example.com')
    assertOutcome(outcome, 'sent')
    assert.match(outcome.response, /^250 .*queued as/)
    const [received] = await sink.waitForMessages(1)
    assert.equal(received?.parsed.subject, 'Rekey SMTP test')
    assert.match(received?.parsed.text ?? '', /rekey smtp test/)
    assert.ok(received?.parsed.html)
  })

  it('treats a wrong password as temporary, with a reason that names it and does not contain it', async () => {
    sink.reset()
    const wrong = transportFor(
      sink.url({
        credentials: { user: credentials.user, pass: wrongPassword },
        query: { tls_ca_file: caFile },
      }),
    )
    try {
      const outcome = await wrong.send(message())
      assertOutcome(outcome, 'temporary')
      assert.match(outcome.reason, /authentication failed/i)
      assert.match(outcome.reason, /535/)
      assert.equal(outcome.responseCode, 535)
      assertNoPassword(outcome.reason, credentials.user, wrongPassword)

      const verified = await wrong.verify()
      assert.ok(!verified.ok, inspect(verified))
      assert.match(verified.reason, /authentication failed/i)
      assertNoPassword(verified.reason, credentials.user, wrongPassword)
    } finally {
      await wrong.close()
    }
    assert.equal(sink.messages.length, 0)
    assert.ok(sink.authAttempts.some((attempt) => !attempt.accepted))
  })

  it('refuses a server whose certificate it does not trust, as a temporary TLS failure', async () => {
    sink.reset()
    const untrusting = transportFor(sink.url())
    try {
      const outcome = await untrusting.send(message())
      assertOutcome(outcome, 'temporary')
      assert.match(outcome.reason, /TLS .*failed.*certificate/i)
      assertNoPassword(outcome.reason, credentials.user, credentials.pass)
    } finally {
      await untrusting.close()
    }
    // The password was never presented to the server it could not authenticate.
    assert.deepEqual(sink.authAttempts, [])
  })
})

describe('SmtpTransport with implicit TLS', { ...suite, skip: tlsSkip }, () => {
  let sink: SmtpSink
  let namelessSink: SmtpSink
  before(async () => {
    if ('skip' in trusted || 'skip' in nameless) return
    sink = await SmtpSink.start({ security: 'implicit-tls', credentials, certificate: trusted })
    namelessSink = await SmtpSink.start({ security: 'implicit-tls', certificate: nameless })
  })
  after(async () => {
    await sink?.stop()
    await namelessSink?.stop()
  })

  it('delivers over smtps:// trusting the CA file', async () => {
    if ('skip' in trusted) return
    const transport = transportFor(sink.url({ query: { tls_ca_file: trusted.cert } }))
    try {
      assert.equal(transport.settings.security, 'tls')
      assertOutcome(await transport.send(message({ messageId: '<implicit-1@rekey.test>' })), 'sent')
      const [received] = await sink.waitForMessages(1)
      assert.equal(received?.secure, true)
      assert.equal(received?.user, credentials.user)
      assert.equal(received?.parsed.messageId, '<implicit-1@rekey.test>')
    } finally {
      await transport.close()
    }
  })

  it('checks the certificate name unless tls_reject_unauthorized=false', async () => {
    if ('skip' in nameless) return
    const checking = transportFor(namelessSink.url({ query: { tls_ca_file: nameless.cert } }))
    const lenient = transportFor(namelessSink.url({ query: { tls_reject_unauthorized: 'false' } }))
    try {
      const refused = await checking.send(message())
      assertOutcome(refused, 'temporary')
      assert.match(refused.reason, /TLS/)
      assertOutcome(await lenient.send(message()), 'sent')
      assert.equal((await namelessSink.waitForMessages(1)).length, 1)
    } finally {
      await checking.close()
      await lenient.close()
    }
  })
})

describe('SmtpTransport with a relay that takes mail without AUTH', suite, () => {
  let sink: SmtpSink
  let transport: SmtpTransport
  before(async () => {
    sink = await SmtpSink.start({ security: 'plain' })
    transport = transportFor(sink.url())
  })
  after(async () => {
    await transport?.close()
    await sink?.stop()
  })

  it('delivers in clear text to a relay that offers no STARTTLS', async () => {
    sink.reset()
    assert.equal(transport.settings.security, 'starttls-opportunistic')
    assertOutcome(await transport.send(message()), 'sent')
    const [received] = await sink.waitForMessages(1)
    assert.equal(received?.secure, false)
    assert.equal(received?.user, undefined)
  })

  it('treats a 550 for the recipient as permanent, with the server reason', async () => {
    sink.reset()
    sink.rejectRecipient('gone@example.com', { code: 550, message: 'No such user here' })
    try {
      const outcome = await transport.send(message({ to: 'gone@example.com' }))
      assertOutcome(outcome, 'permanent')
      assert.match(outcome.reason, /550 No such user here/)
      assert.match(outcome.reason, /RCPT TO/)
      assert.equal(outcome.responseCode, 550)
    } finally {
      sink.clearRejections()
    }
  })

  it('treats a 550 at the end of the message as permanent', async () => {
    sink.reset()
    sink.rejectNext(1, { code: 550, message: 'Message refused by policy' })
    const outcome = await transport.send(message())
    assertOutcome(outcome, 'permanent')
    assert.match(outcome.reason, /550 Message refused by policy/)
    assert.ok(!outcome.reason.includes('choose a new password'), 'the body never enters a reason')
  })

  it('treats a 451 as temporary, and the next message goes through', async () => {
    sink.reset()
    sink.rejectNext(1, { code: 451, message: 'Local error, try again later' })
    const outcome = await transport.send(message())
    assertOutcome(outcome, 'temporary')
    assert.match(outcome.reason, /451 Local error, try again later/)
    assert.equal(outcome.responseCode, 451)
    assertOutcome(await transport.send(message()), 'sent')
    assert.equal(sink.messages.length, 1)
  })

  it('refuses a message with a header that would inject another, without contacting the server', async () => {
    const before = sink.connections
    const outcome = await transport.send(
      message({ headers: { 'X-Note': 'hello\r\nBcc: thief@example.net' } }),
    )
    assertOutcome(outcome, 'permanent')
    assert.match(outcome.reason, /line break in header X-Note/)
    assert.equal((await transport.send(message({ headers: { Bcc: 'thief@example.net' } }))).kind, 'permanent')
    assert.equal((await transport.send(message({ messageId: 'no id' }))).kind, 'permanent')
    assert.equal(sink.connections, before)
  })

  it('insists on STARTTLS by default when credentials are configured', async () => {
    const guarded = transportFor(sink.url({ credentials }))
    try {
      assert.equal(guarded.settings.security, 'starttls-required')
      const outcome = await guarded.send(message())
      assertOutcome(outcome, 'temporary')
      assert.match(outcome.reason, /STARTTLS/)
      assertNoPassword(outcome.reason, credentials.user, credentials.pass)
    } finally {
      await guarded.close()
    }
  })

  it('recovers when the server is stopped and restarted on the same port', async () => {
    sink.reset()
    assertOutcome(await transport.send(message({ messageId: 'before-restart@rekey.test' })), 'sent')
    const port = sink.port
    await sink.stop()

    const whileDown = await transport.send(message({ messageId: 'while-down@rekey.test' }))
    assertOutcome(whileDown, 'temporary')

    await sink.restart()
    assert.equal(sink.port, port)
    assertOutcome(await transport.send(message({ messageId: 'after-restart@rekey.test' })), 'sent')
    assert.deepEqual(
      sink.messages.map((received) => received.parsed.messageId),
      ['<before-restart@rekey.test>', '<after-restart@rekey.test>'],
    )
  })

  it('answers sends after close() as temporary', async () => {
    const closing = transportFor(sink.url())
    await closing.close()
    const outcome = await closing.send(message())
    assertOutcome(outcome, 'temporary')
    assert.match(outcome.reason, /closed/)
  })
})

describe('SmtpTransport when nothing listens', suite, () => {
  it('reports a refused connection as temporary, from send and from verify', async () => {
    const port = await freePort()
    const transport = transportFor(`smtp://127.0.0.1:${port}`)
    try {
      const outcome = await transport.send(message())
      assertOutcome(outcome, 'temporary')
      assert.match(outcome.reason, new RegExp(`127\\.0\\.0\\.1:${port}: connection refused`))
      const verified = await transport.verify()
      assert.ok(!verified.ok)
      assert.match(verified.reason, /connection refused/)
    } finally {
      await transport.close()
    }
  })
})

describe('SmtpTransport under load', suite, () => {
  it('sends 200 messages at once over a pool of 5, each arriving exactly once', async () => {
    const sink = await SmtpSink.start()
    const transport = transportFor(sink.url(), { poolSize: 5 })
    try {
      const ids = Array.from({ length: 200 }, (_, index) => `bulk-${index}@rekey.test`)
      const outcomes = await Promise.all(
        ids.map((id, index) => transport.send(message({ messageId: id, to: `user${index}@example.com` }))),
      )
      assert.deepEqual(
        outcomes.filter((outcome) => outcome.kind !== 'sent'),
        [],
      )
      assert.deepEqual(
        outcomes.map((outcome) => (outcome.kind === 'sent' ? outcome.messageId : '')),
        ids.map((id) => `<${id}>`),
      )
      const received = await sink.waitForMessages(200)
      assert.equal(received.length, 200)
      const arrived = received.map((one) => one.parsed.messageId).sort()
      assert.deepEqual(arrived, ids.map((id) => `<${id}>`).sort())
      assert.ok(sink.connections <= 5, `opened ${sink.connections} connections`)
    } finally {
      await transport.close()
      await sink.stop()
    }
  })
})
