import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import { XMLValidator } from 'fast-xml-parser'
import { publicUrl } from '../../src/config/semantics.ts'
import { cliActor } from '../../src/observability/audit.ts'
import { childrenNamed, parseXml, type XmlElement } from '../../src/soap/xml.ts'
import { ADMIN_PASSWORD } from '../support/config.ts'
import { basicAuth, type Harness, openHarness } from '../support/harness.ts'
import { assertProblem, call } from '../support/http.ts'
import { referenceSetUserProfile } from '../support/soap.ts'
import { storeKinds } from '../support/stores.ts'

const SERVICE = '/services/UserProfileMgtService'
const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/'
const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope'
const MGT = 'http://mgt.profile.user.identity.carbon.wso2.org'
const TYPES = 'http://mgt.profile.user.identity.carbon.wso2.org/xsd'
const EMAIL = 'http://wso2.org/claims/emailaddress'
const GIVEN_NAME = 'http://wso2.org/claims/givenname'
const FORCED = 'http://wso2.org/claims/identity/adminForcedPasswordReset'
const OTP = 'http://wso2.org/claims/oneTimePassword'
const TOM_PASSWORD = 'tom-old-password-1'
const BETA = 'beta.example'

interface SoapAnswer {
  status: number
  headers: Record<string, string | string[] | number | undefined>
  text: string
  /** The Body's one element: the response or the Fault. */
  body: XmlElement
  namespace: string
}

const child = (element: XmlElement, local: string) => {
  const found = childrenNamed(element, local)[0]
  assert.ok(found, `<${local}> in <${element.local}>`)
  return found
}

const envelope = (body: string, namespace = SOAP11) =>
  `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="${namespace}" xmlns:mgt="${MGT}" xmlns:xsd="${TYPES}"><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`

const setProfile = (username: string, fields: Record<string, string>, namespace = SOAP11) =>
  envelope(
    `<mgt:setUserProfile><mgt:username>${username}</mgt:username><mgt:profile>${Object.entries(fields)
      .map(
        ([uri, value]) =>
          `<xsd:fieldValues><xsd:claimUri>${uri}</xsd:claimUri><xsd:fieldValue>${value}</xsd:fieldValue></xsd:fieldValues>`,
      )
      .join('')}<xsd:profileName>default</xsd:profileName></mgt:profile></mgt:setUserProfile>`,
    namespace,
  )

const getProfile = (username: string, namespace = SOAP11) =>
  envelope(
    `<mgt:getUserProfile><mgt:username>${username}</mgt:username><mgt:profileName>default</mgt:profileName></mgt:getUserProfile>`,
    namespace,
  )

/** The claims of a UserProfileDTO answer, by URI. */
function claimsOf(answer: SoapAnswer): Record<string, string> {
  assert.equal(answer.status, 200, answer.text)
  const dto = child(answer.body, 'return')
  return Object.fromEntries(
    childrenNamed(dto, 'fieldValues').map((field) => [
      child(field, 'claimUri').text,
      child(field, 'fieldValue').text,
    ]),
  )
}

/** Asserts a fault of the given version, status, SOAP fault code and Rekey code; returns its reason. */
function assertFault(
  answer: SoapAnswer,
  status: number,
  code: string,
  soapCode: string,
  version = '1.1',
): string {
  assert.equal(answer.status, status, answer.text)
  assert.equal(answer.body.local, 'Fault', answer.text)
  if (version === '1.1') {
    assert.match(String(answer.headers['content-type']), /^text\/xml/)
    assert.equal(answer.namespace, SOAP11)
    assert.equal(child(answer.body, 'faultcode').text, `soapenv:${soapCode}`)
    assert.equal(child(child(child(answer.body, 'detail'), 'error'), 'code').text, code)
    return child(answer.body, 'faultstring').text
  }
  assert.match(String(answer.headers['content-type']), /^application\/soap\+xml/)
  assert.equal(answer.namespace, SOAP12)
  assert.equal(child(child(answer.body, 'Code'), 'Value').text, `soapenv:${soapCode}`)
  assert.equal(child(child(child(answer.body, 'Detail'), 'error'), 'code').text, code)
  return child(child(answer.body, 'Reason'), 'Text').text
}

for (const kind of storeKinds) {
  describe(`${kind.kind}: the SOAP profile service (UserProfileMgtService)`, { skip: kind.skip }, () => {
    let h: Harness
    const betaAuth = basicAuth('admin', 'Beta-Admin-Password-1')
    const limited: Record<string, string> = {}

    async function soap(
      payload: string,
      options: {
        auth?: string | null
        version?: '1.1' | '1.2'
        url?: string
        headers?: Record<string, string>
      } = {},
    ): Promise<SoapAnswer> {
      const contentType =
        options.version === '1.2' ? 'application/soap+xml; charset=utf-8' : 'text/xml; charset=utf-8'
      const auth = options.auth === undefined ? h.adminAuth : options.auth
      const response = await h.app.inject({
        method: 'POST',
        url: options.url ?? SERVICE,
        headers: {
          'content-type': contentType,
          ...(auth ? { authorization: auth } : {}),
          ...options.headers,
        },
        payload,
      })
      assert.ok(response.statusCode < 500, `${response.statusCode}: ${response.body}`)
      assert.equal(XMLValidator.validate(response.body), true, response.body)
      const root = parseXml(response.body)
      assert.equal(root.local, 'Envelope')
      const body = child(root, 'Body')
      assert.equal(body.children.length, 1)
      return {
        status: response.statusCode,
        headers: response.headers,
        text: response.body,
        body: body.children[0]!,
        namespace: root.namespace,
      }
    }

    const admin = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
      call(h.app, { method, url, auth: h.adminAuth, ...(payload ? { payload } : {}) })
    const userView = async (name: string) =>
      (await admin('GET', `/api/admin/users/${encodeURIComponent(name)}`)).body
    const audit = (
      action: 'user.reset-forced' | 'user.reset-cancelled' | 'user.one-time-password-read' | 'user.updated',
    ) => h.container.audit.list(h.container.store.db, { tenantId: h.defaultTenant.id, limit: 20, action })
    const login = (username: string, password: string) =>
      call(h.app, { method: 'POST', url: '/api/auth/login', payload: { username, password } })

    before(async () => {
      h = await openHarness(kind)
      await admin('POST', '/api/admin/roles', { name: 'staff', permissions: ['login'] })
      await admin('POST', '/api/admin/user-stores', { domain: 'PARTNERS' })
      // Administrators holding parts of the permissions.
      const grants: Record<string, string[]> = {
        reader: ['users:read'],
        writer: ['users:write'],
        forcer: ['users:write', 'reset:force'],
      }
      for (const [name, permissions] of Object.entries(grants)) {
        assert.equal((await admin('POST', '/api/admin/roles', { name: `${name}s`, permissions })).status, 201)
        const password = `${name}-password-long-1`
        const created = await admin('POST', '/api/admin/users', {
          username: name,
          password,
          roles: [`${name}s`],
        })
        assert.equal(created.status, 201, JSON.stringify(created.body))
        limited[name] = basicAuth(name, password)
      }
      const tenant = await admin('POST', '/api/admin/tenants', {
        domain: BETA,
        adminPassword: 'Beta-Admin-Password-1',
      })
      assert.equal(tenant.status, 201, JSON.stringify(tenant.body))
      const betty = await call(h.app, {
        method: 'POST',
        url: `/t/${BETA}/api/admin/users`,
        auth: betaAuth,
        payload: {
          username: 'betty',
          password: 'betty-password-long-1',
          claims: { [EMAIL]: 'betty@beta.example' },
        },
      })
      assert.equal(betty.status, 201, JSON.stringify(betty.body))
    })
    after(async () => h?.close())

    beforeEach(async () => {
      for (const name of ['tom', 'nomail', 'PARTNERS/bob']) {
        const existing = await h.container.users.find(h.defaultTenant, name)
        if (existing) await h.container.users.delete(h.defaultTenant, existing.id, cliActor)
      }
      const users = [
        { username: 'tom', claims: { [EMAIL]: 'tom@example.com', [GIVEN_NAME]: 'Tom' } },
        { username: 'nomail', claims: { [GIVEN_NAME]: 'Nomail' } },
        { username: 'PARTNERS/bob', claims: { [EMAIL]: 'bob@partners.example' } },
      ]
      for (const user of users) {
        const created = await admin('POST', '/api/admin/users', {
          ...user,
          password: TOM_PASSWORD,
          roles: ['staff'],
        })
        assert.equal(created.status, 201, JSON.stringify(created.body))
      }
    })

    it("the reference setUserProfile envelope, verbatim, forces a reset in the tenant's mode", async () => {
      assert.equal((await login('tom', TOM_PASSWORD)).status, 200)
      const answer = await soap(referenceSetUserProfile, { headers: { soapaction: '"urn:setUserProfile"' } })
      assert.equal(answer.status, 200, answer.text)
      assert.match(String(answer.headers['content-type']), /^text\/xml; charset=utf-8/)
      assert.equal(answer.namespace, SOAP11)
      assert.equal(answer.body.local, 'setUserProfileResponse')
      assert.equal(answer.body.namespace, MGT)

      const tom = await userView('tom')
      assert.equal(tom.status, 'locked')
      assert.equal(tom.lockReason, 'reset-pending')
      assert.equal(tom.claims[FORCED], 'true')
      assertProblem(await login('tom', TOM_PASSWORD), 401, 'auth.failed')
      const queued = await h.container.outbox.list(h.defaultTenant, {
        limit: 5,
        recipient: 'tom@example.com',
      })
      assert.deepEqual(
        queued.map((message) => message.type),
        ['AdminForcedPasswordReset'],
        'the email-link mode (the default) mails a link',
      )
      const [event] = await audit('user.reset-forced')
      assert.equal(event?.target, tom.id)
      assert.equal(event?.actor, 'user:admin')
      assert.equal(event?.detail.channel, 'soap')
      assert.equal(event?.detail.mode, 'email-link')
    })

    it('false cancels the pending reset: unlocked, the flag false, the old password works again', async () => {
      assert.equal((await soap(referenceSetUserProfile)).status, 200)
      const cancel = await soap(setProfile('tom', { [FORCED]: 'false' }))
      assert.equal(cancel.status, 200, cancel.text)
      const tom = await userView('tom')
      assert.equal(tom.status, 'active')
      assert.equal(tom.claims[FORCED], 'false')
      assert.equal((await login('tom', TOM_PASSWORD)).status, 200)
      const [event] = await audit('user.reset-cancelled')
      assert.equal(event?.target, tom.id)
    })

    it('other claims change with the flag in one transaction: all applied, or none', async () => {
      const version = (await userView('tom')).version
      const both = await soap(
        setProfile('tom', { [GIVEN_NAME]: 'Thomas &amp; Co', [EMAIL]: 'thomas@example.com' }),
      )
      assert.equal(both.status, 200, both.text)
      const tom = await userView('tom')
      assert.equal(tom.claims[GIVEN_NAME], 'Thomas & Co')
      assert.equal(tom.claims[EMAIL], 'thomas@example.com')
      assert.ok(tom.version > version, 'the write moves the version (SCIM ETags)')
      const [updated] = (await audit('user.updated')).filter((event) => event.target === tom.id)
      assert.ok(updated, 'the write is audited')
      assert.equal(updated.detail.via, 'soap')
      assert.deepEqual(updated.detail.claims, [GIVEN_NAME, EMAIL])

      // The email address sent with the flag is the one the reset mails.
      const withAddress = await soap(setProfile('nomail', { [EMAIL]: 'found@example.com', [FORCED]: 'TRUE' }))
      assert.equal(withAddress.status, 200, withAddress.text)
      const mailed = await h.container.outbox.list(h.defaultTenant, {
        limit: 5,
        recipient: 'found@example.com',
      })
      assert.equal(mailed.length, 1)

      // Without an address, an emailed reset is refused, and the name sent with it is not kept.
      const id = (await userView('nomail')).id
      await h.container.users.update(h.defaultTenant, id, { claims: { [EMAIL]: null } }, cliActor)
      await h.container.forcedResets.cancel(
        h.defaultTenant,
        (await h.container.users.find(h.defaultTenant, id))!,
        { actor: cliActor, channel: 'cli' },
      )
      const refused = await soap(setProfile('nomail', { [GIVEN_NAME]: 'Changed', [FORCED]: 'true' }))
      assert.match(assertFault(refused, 409, 'reset.no-email', 'Client'), /no email address/)
      const nomail = await userView('nomail')
      assert.equal(nomail.claims[GIVEN_NAME], 'Nomail')
      assert.equal(nomail.status, 'active')
    })

    it('getUserProfile returns the claims, for plain and DOMAIN/user names', async () => {
      const answer = await soap(getProfile('tom'), { headers: { soapaction: 'urn:getUserProfile' } })
      assert.equal(answer.body.local, 'getUserProfileResponse')
      assert.deepEqual(claimsOf(answer), { [GIVEN_NAME]: 'Tom', [EMAIL]: 'tom@example.com' })
      const dto = child(answer.body, 'return')
      assert.equal(child(dto, 'profileName').text, 'default')
      const email = childrenNamed(dto, 'fieldValues').find(
        (field) => child(field, 'claimUri').text === EMAIL,
      )!
      assert.equal(child(email, 'displayName').text, 'Email')
      assert.equal(child(email, 'readOnly').text, 'false')

      assert.deepEqual(claimsOf(await soap(getProfile('PARTNERS/bob'))), { [EMAIL]: 'bob@partners.example' })
      assert.deepEqual(claimsOf(await soap(getProfile('partners/BOB'))), { [EMAIL]: 'bob@partners.example' })
      const bob = await soap(setProfile('PARTNERS/bob', { [FORCED]: 'true' }))
      assert.equal(bob.status, 200, bob.text)
      assert.equal((await userView('PARTNERS/bob')).status, 'locked')
    })

    it('getUserProfile shows the live offline one-time password to reset:force holders, and the read is audited', async () => {
      const tom = await userView('tom')
      const forced = await admin('POST', `/api/admin/users/${tom.id}/force-password-reset`, {
        mode: 'offline-otp',
      })
      assert.equal(forced.status, 200, JSON.stringify(forced.body))
      const readsBefore = (await audit('user.one-time-password-read')).length

      // users:read alone sees the profile, never the code, and no read is recorded.
      const asReader = claimsOf(await soap(getProfile('tom'), { auth: limited.reader }))
      assert.equal(asReader[OTP], undefined)
      assert.equal(asReader[FORCED], 'true')
      assert.equal((await audit('user.one-time-password-read')).length, readsBefore)

      const claims = claimsOf(await soap(getProfile('tom')))
      assert.match(claims[OTP] ?? '', /^[A-Z2-9]{8}$/)
      const [read] = await audit('user.one-time-password-read')
      assert.equal((await audit('user.one-time-password-read')).length, readsBefore + 1)
      assert.equal(read?.target, tom.id)
      assert.equal(read?.actor, 'user:admin')

      const restricted = await login('tom', claims[OTP]!)
      assert.equal(restricted.status, 200, JSON.stringify(restricted.body))
      assert.equal(restricted.body.requiredAction, 'set-password')
      // Used: the code is gone from the profile.
      assert.equal(claimsOf(await soap(getProfile('tom')))[OTP], undefined)
    })

    it('SOAP 1.2: the same operations in application/soap+xml, answered in SOAP 1.2', async () => {
      const set = await soap(setProfile('tom', { [FORCED]: 'true' }, SOAP12), {
        version: '1.2',
        headers: { 'content-type': 'application/soap+xml; charset=utf-8; action="urn:setUserProfile"' },
      })
      assert.equal(set.status, 200, set.text)
      assert.match(String(set.headers['content-type']), /^application\/soap\+xml; charset=utf-8/)
      assert.equal(set.namespace, SOAP12)
      assert.equal(set.body.local, 'setUserProfileResponse')
      assert.equal((await userView('tom')).status, 'locked')
      const get = await soap(getProfile('tom', SOAP12), { version: '1.2' })
      assert.equal(get.namespace, SOAP12)
      assert.equal(claimsOf(get)[FORCED], 'true')
      const fault = await soap(getProfile('ghost', SOAP12), { version: '1.2' })
      assertFault(fault, 404, 'user.not-found', 'Sender', '1.2')
    })

    it('getProfileFieldsForInternalStore lists the fields of the built-in store', async () => {
      const answer = await soap(envelope('<mgt:getProfileFieldsForInternalStore/>'))
      assert.equal(answer.body.local, 'getProfileFieldsForInternalStoreResponse')
      const fields = claimsOf(answer)
      assert.ok(EMAIL in fields && FORCED in fields && OTP in fields)
      assert.ok(Object.values(fields).every((value) => value === ''))
    })

    describe('faults', () => {
      const unchanged = async () => {
        const tom = await userView('tom')
        assert.equal(tom.status, 'active')
        assert.equal(tom.claims[FORCED], undefined)
      }

      it('malformed XML, a DOCTYPE (XXE, entity expansion) or a non-envelope: Client faults, nothing changed', async () => {
        const broken = referenceSetUserProfile.replace('</mgt:profile>', '')
        assert.match(
          assertFault(await soap(broken), 400, 'request.malformed-xml', 'Client'),
          /Not well-formed/,
        )
        const xxe = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY name SYSTEM "file:///etc/passwd">]>${referenceSetUserProfile.replace('>tom<', '>&name;<')}`
        const refused = await soap(xxe)
        assert.match(assertFault(refused, 400, 'request.malformed-xml', 'Client'), /DOCTYPE and ENTITY/)
        assert.ok(!refused.text.includes('root:'))
        const laughs = `<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>${referenceSetUserProfile}`
        assertFault(await soap(laughs), 400, 'request.malformed-xml', 'Client')
        assertFault(
          await soap('<mgt:setUserProfile xmlns:mgt="urn:x"/>'),
          400,
          'request.malformed-xml',
          'Client',
        )
        assertFault(await soap(''), 400, 'request.malformed-xml', 'Client')
        assertFault(await soap(envelope('&bogus;')), 400, 'request.malformed-xml', 'Client')
        const deep = envelope(`${'<mgt:x>'.repeat(5000)}${'</mgt:x>'.repeat(5000)}`)
        assertFault(await soap(deep), 400, 'request.malformed-xml', 'Client')
        assertFault(
          await soap(getProfile('tom', 'urn:soap-2.0')),
          400,
          'soap.version-mismatch',
          'VersionMismatch',
        )
        await unchanged()
      })

      it('an unknown operation, a missing user name, a header that must be understood, a mismatched action', async () => {
        assert.match(
          assertFault(
            await soap(
              envelope('<mgt:deleteUserProfile><mgt:username>tom</mgt:username></mgt:deleteUserProfile>'),
            ),
            400,
            'soap.unknown-operation',
            'Client',
          ),
          /deleteUserProfile is not an operation/,
        )
        const noName = referenceSetUserProfile.replace('<mgt:username>tom</mgt:username>', '')
        assert.match(
          assertFault(await soap(noName), 400, 'request.invalid', 'Client'),
          /username is required/,
        )
        const header = referenceSetUserProfile.replace(
          '<soapenv:Header/>',
          '<soapenv:Header><w:Security xmlns:w="urn:wss" soapenv:mustUnderstand="1"/></soapenv:Header>',
        )
        assertFault(await soap(header), 400, 'soap.must-understand', 'MustUnderstand')
        const mismatched = await soap(referenceSetUserProfile, {
          headers: { soapaction: 'urn:getUserProfile' },
        })
        assert.match(assertFault(mismatched, 400, 'request.invalid', 'Client'), /action names getUserProfile/)
        assert.match(
          assertFault(await soap(setProfile('tom', { [FORCED]: 'maybe' })), 400, 'request.invalid', 'Client'),
          /"true" or "false"/,
        )
        assert.match(
          assertFault(await soap(setProfile('tom', { [OTP]: 'ABCDEFGH' })), 400, 'claim.read-only', 'Client'),
          /maintained by the server/,
        )
        assertFault(await soap(setProfile('tom', { 'not a uri': 'x' })), 400, 'request.invalid', 'Client')
        await unchanged()
      })

      it("an unknown user and another tenant's user get the same fault", async () => {
        const ghost = await soap(setProfile('ghost', { [FORCED]: 'true' }))
        const betty = await soap(setProfile('betty', { [FORCED]: 'true' }))
        assertFault(ghost, 404, 'user.not-found', 'Client')
        assert.equal(betty.text, ghost.text, 'the fault does not even repeat the name')
        const betaView = await call(h.app, {
          method: 'GET',
          url: `/t/${BETA}/api/admin/users/betty`,
          auth: betaAuth,
        })
        assert.equal(betaView.body.status, 'active')
        assertFault(await soap(getProfile('betty')), 404, 'user.not-found', 'Client')
      })

      it('missing or wrong credentials: 401 with WWW-Authenticate: Basic and a fault, before the body is read', async () => {
        for (const [auth, code] of [
          [null, 'auth.required'],
          [basicAuth('admin', 'wrong-password'), 'auth.failed'],
          [basicAuth('tom', TOM_PASSWORD), 'auth.forbidden'],
        ] as const) {
          const answer = await soap(referenceSetUserProfile, { auth })
          if (code === 'auth.forbidden') {
            assertFault(answer, 403, code, 'Client')
            continue
          }
          assertFault(answer, 401, code, 'Client')
          assert.match(String(answer.headers['www-authenticate']), /^Basic /)
        }
        assertFault(await soap('<not xml', { auth: null }), 401, 'auth.required', 'Client')
        const v12 = await soap(getProfile('tom', SOAP12), { auth: null, version: '1.2' })
        assertFault(v12, 401, 'auth.required', 'Sender', '1.2')
        // The reference server's user@tenant form is not a way into another tenant here.
        assertFault(
          await soap(getProfile('betty'), { auth: basicAuth(`admin@${BETA}`, 'Beta-Admin-Password-1') }),
          401,
          'auth.failed',
          'Client',
        )
        await unchanged()
      })

      it('missing permissions: users:read to read, users:write to write, and reset:force for the flag', async () => {
        assert.equal(
          claimsOf(await soap(getProfile('tom'), { auth: limited.reader }))[EMAIL],
          'tom@example.com',
        )
        assert.match(
          assertFault(
            await soap(setProfile('tom', { [GIVEN_NAME]: 'X' }), { auth: limited.reader }),
            403,
            'auth.forbidden',
            'Client',
          ),
          /users:write/,
        )
        assertFault(await soap(getProfile('tom'), { auth: limited.writer }), 403, 'auth.forbidden', 'Client')
        assert.match(
          assertFault(
            await soap(referenceSetUserProfile, { auth: limited.writer }),
            403,
            'auth.forbidden',
            'Client',
          ),
          /reset:force/,
        )
        await unchanged()
        assert.equal(
          (await soap(setProfile('tom', { [GIVEN_NAME]: 'Written' }), { auth: limited.writer })).status,
          200,
        )
        assert.equal((await userView('tom')).claims[GIVEN_NAME], 'Written')
        assert.equal((await soap(referenceSetUserProfile, { auth: limited.forcer })).status, 200)
        assert.equal((await userView('tom')).status, 'locked')
      })

      it('other content types, and bodies over the server limit', async () => {
        const json = await h.app.inject({
          method: 'POST',
          url: SERVICE,
          headers: { authorization: h.adminAuth, 'content-type': 'application/json' },
          payload: '{"username":"tom"}',
        })
        assert.equal(json.statusCode, 415)
        assert.match(json.body, /faultcode>soapenv:Client</)
        assert.match(json.body, /text\/xml \(SOAP 1.1\) or application\/soap\+xml/)
        const form = await h.app.inject({
          method: 'POST',
          url: SERVICE,
          headers: { authorization: h.adminAuth, 'content-type': 'application/x-www-form-urlencoded' },
          payload: 'username=tom',
        })
        assert.equal(form.statusCode, 415)
        const padding = `<!-- ${'x'.repeat(h.config.server.body_limit_bytes)} -->`
        const large = await soap(referenceSetUserProfile.replace('<soapenv:Header/>', padding))
        assertFault(large, 413, 'request.too-large', 'Client')
        await unchanged()
      })
    })

    describe('tenants', () => {
      it('/t/{tenant}/services/UserProfileMgtService acts in that tenant with its own administrator', async () => {
        const url = `/t/${BETA}${SERVICE}`
        const forced = await soap(setProfile('betty', { [FORCED]: 'true' }), { url, auth: betaAuth })
        assert.equal(forced.status, 200, forced.text)
        const betty = await call(h.app, {
          method: 'GET',
          url: `/t/${BETA}/api/admin/users/betty`,
          auth: betaAuth,
        })
        assert.equal(betty.body.status, 'locked')
        const beta = await h.container.tenants.require(BETA)
        const events = await h.container.audit.list(h.container.store.db, {
          tenantId: beta.id,
          limit: 5,
          action: 'user.reset-forced',
        })
        assert.equal(events[0]?.detail.channel, 'soap')
        assert.equal(claimsOf(await soap(getProfile('betty'), { url, auth: betaAuth }))[FORCED], 'true')

        // The default tenant's administrator is a different account there.
        assertFault(
          await soap(getProfile('betty'), { url, auth: basicAuth('admin', ADMIN_PASSWORD) }),
          401,
          'auth.failed',
          'Client',
        )
        // And beta's administrator cannot reach the default tenant's users.
        assertFault(await soap(getProfile('tom'), { url, auth: betaAuth }), 404, 'user.not-found', 'Client')
        assertFault(
          await soap(getProfile('tom'), { url: `/t/nope.example${SERVICE}` }),
          404,
          'tenant.not-found',
          'Client',
        )
      })
    })

    describe('WSDL', () => {
      const wsdl = async (url: string) => {
        const response = await h.app.inject({ method: 'GET', url })
        assert.equal(response.statusCode, 200, response.body)
        assert.match(String(response.headers['content-type']), /^text\/xml/)
        assert.equal(XMLValidator.validate(response.body), true)
        return parseXml(response.body)
      }
      const addresses = (document: XmlElement) =>
        childrenNamed(child(document, 'service'), 'port').map((port) => port.children[0]!.attributes.location)

      it('GET ?wsdl describes the operations and the endpoint, at the root and per tenant, without credentials', async () => {
        const root = await wsdl(`${SERVICE}?wsdl`)
        assert.equal(root.local, 'definitions')
        assert.deepEqual(
          childrenNamed(child(root, 'portType'), 'operation').map((operation) => operation.attributes.name),
          ['setUserProfile', 'getUserProfile', 'getProfileFieldsForInternalStore'],
        )
        const base = publicUrl(h.config)
        assert.deepEqual(addresses(root), [`${base}${SERVICE}`, `${base}${SERVICE}`])
        const tenant = await wsdl(`/t/${BETA}${SERVICE}?WSDL`)
        assert.deepEqual(addresses(tenant), [`${base}/t/${BETA}${SERVICE}`, `${base}/t/${BETA}${SERVICE}`])
      })

      it('GET without ?wsdl, or for an unknown tenant, is a fault', async () => {
        const plain = await h.app.inject({ method: 'GET', url: SERVICE })
        assert.equal(plain.statusCode, 400)
        assert.match(plain.body, /\?wsdl/)
        const unknown = await h.app.inject({ method: 'GET', url: `/t/nope.example${SERVICE}?wsdl` })
        assert.equal(unknown.statusCode, 404)
        assert.match(unknown.body, /tenant\.not-found/)
      })
    })
  })
}
