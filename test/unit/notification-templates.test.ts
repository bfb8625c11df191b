import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import {
  allowedPlaceholders,
  compileTemplate,
  DEFAULT_TEMPLATE_LOCALES,
  DEFAULT_TEMPLATES,
  defaultTemplate,
  type EmailTemplate,
  escapeHtml,
  InvalidTemplateError,
  isAllowedPlaceholder,
  isPlaceholder,
  isTemplateType,
  isValidLocale,
  MAX_BODY_BYTES,
  MAX_SUBJECT_LENGTH,
  normalizeLocale,
  PLACEHOLDERS,
  type Placeholder,
  renderTemplate,
  requiredPlaceholders,
  resolveLocale,
  SECRET_PLACEHOLDERS,
  sampleValues,
  TEMPLATE_TYPES,
  type TemplateProblem,
  type TemplateType,
  toSingleLine,
  validateTemplate,
} from '../../src/notifications/templates/index.ts'

/** The smallest template of a type that passes: its required placeholders in both bodies. */
function minimal(type: TemplateType): EmailTemplate {
  const required = requiredPlaceholders(type)
    .map((name) => ` {{${name}}}`)
    .join('')
  return { subject: 'Subject', html: `<p>Body${required}</p>`, text: `Body${required}` }
}

function problemsOf(type: TemplateType, change: Partial<EmailTemplate>): TemplateProblem[] {
  return validateTemplate(type, { ...minimal(type), ...change })
}

/** The problems as `field code line:column`, the compact form most assertions compare. */
function summary(type: TemplateType, change: Partial<EmailTemplate>): string[] {
  return problemsOf(type, change).map(({ field, code, position }) =>
    position ? `${field} ${code} ${position.line}:${position.column}` : `${field} ${code}`,
  )
}

function accepts(type: TemplateType, change: Partial<EmailTemplate>): void {
  assert.deepEqual(problemsOf(type, change), [], JSON.stringify(change))
}

const forced = 'AdminForcedPasswordReset'
const success = 'PasswordResetSuccess'

function decodeHtml(html: string): string {
  return html
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&amp;', '&')
}

describe('template types and their placeholders', () => {
  it('lists the five message types', () => {
    assert.deepEqual(
      [...TEMPLATE_TYPES],
      [
        'AdminForcedPasswordReset',
        'AdminForcedPasswordResetWithOTP',
        'PasswordResetSuccess',
        'SelfServiceResetCode',
        'PasswordExpiryReminder',
      ],
    )
    assert.ok(isTemplateType('SelfServiceResetCode'))
    assert.ok(!isTemplateType('selfServiceResetCode'))
    assert.ok(!isTemplateType('toString'))
  })

  it('knows the nine placeholders and nothing else', () => {
    assert.equal(PLACEHOLDERS.length, 9)
    assert.ok(isPlaceholder('confirmation-code'))
    assert.ok(!isPlaceholder('constructor'))
    assert.ok(!isPlaceholder('User-Name'))
  })

  it('allows each secret only in the types that deliver it', () => {
    const allowing = (name: Placeholder) => TEMPLATE_TYPES.filter((type) => isAllowedPlaceholder(type, name))
    assert.deepEqual(allowing('otp'), ['AdminForcedPasswordResetWithOTP'])
    assert.deepEqual(allowing('confirmation-code'), ['SelfServiceResetCode'])
    assert.deepEqual(allowing('reset-link'), [
      'AdminForcedPasswordReset',
      'SelfServiceResetCode',
      'PasswordExpiryReminder',
    ])
    assert.deepEqual(allowing('expiry-minutes'), [
      'AdminForcedPasswordReset',
      'AdminForcedPasswordResetWithOTP',
      'SelfServiceResetCode',
    ])
    for (const name of ['user-name', 'first-name', 'last-name', 'tenant-domain', 'support-email'] as const)
      assert.deepEqual(allowing(name), [...TEMPLATE_TYPES], name)
    assert.deepEqual([...SECRET_PLACEHOLDERS].sort(), ['confirmation-code', 'otp', 'reset-link'])
  })

  it('requires the secret each type exists to deliver, and only allowed placeholders', () => {
    assert.deepEqual(requiredPlaceholders('AdminForcedPasswordReset'), ['reset-link'])
    assert.deepEqual(requiredPlaceholders('AdminForcedPasswordResetWithOTP'), ['otp'])
    assert.deepEqual(requiredPlaceholders('SelfServiceResetCode'), ['confirmation-code'])
    assert.deepEqual(requiredPlaceholders('PasswordResetSuccess'), [])
    assert.deepEqual(requiredPlaceholders('PasswordExpiryReminder'), [])
    for (const type of TEMPLATE_TYPES)
      for (const name of requiredPlaceholders(type))
        assert.ok(isAllowedPlaceholder(type, name), `${type} ${name}`)
  })
})

describe('template validation: placeholders', () => {
  it('accepts the minimal template of every type', () => {
    for (const type of TEMPLATE_TYPES) accepts(type, {})
  })

  it('accepts every allowed placeholder, with spaces or tabs inside the braces', () => {
    for (const type of TEMPLATE_TYPES) {
      const all = allowedPlaceholders(type)
        .map((name, index) => (index % 2 ? `{{${name}}}` : `{{ ${name}\t}}`))
        .join(' ')
      accepts(type, { html: `<p>${all}</p>`, text: all })
    }
    accepts(forced, { text: '{{  reset-link  }}', html: '{{\treset-link}}' })
  })

  it('refuses unknown placeholders, naming them and suggesting the likely one', () => {
    const [problem, ...rest] = problemsOf(forced, { text: 'Hi {{username}} {{reset-link}}' })
    assert.deepEqual(rest, [])
    assert.deepEqual(problem, {
      field: 'text',
      code: 'unknown-placeholder',
      reason: 'Unknown placeholder "{{username}}"; did you mean "{{user-name}}"?',
      position: { line: 1, column: 4, offset: 3 },
      placeholder: 'username',
    })
    for (const misspelt of ['firstName', 'first_name', 'First-Name', 'SUPPORT.EMAIL']) {
      const [found] = problemsOf(success, { text: `{{${misspelt}}}` })
      assert.equal(found?.code, 'unknown-placeholder')
      assert.match(found.reason, /did you mean "\{\{(first-name|support-email)\}\}"\?$/, misspelt)
    }
    const [unrelated] = problemsOf(success, { subject: 'Hi {{coupon}}' })
    assert.equal(unrelated?.code, 'unknown-placeholder')
    assert.match(unrelated.reason, /PasswordResetSuccess templates may use \{\{user-name\}\}, /)
  })

  it('refuses a known placeholder the type has no value for', () => {
    assert.deepEqual(summary(forced, { text: '{{reset-link}} {{otp}}' }), [
      'text placeholder-not-allowed 1:16',
    ])
    assert.deepEqual(summary(success, { html: '<a href="{{reset-link}}">x</a>' }), [
      'html placeholder-not-allowed 1:10',
    ])
    assert.deepEqual(summary('PasswordExpiryReminder', { text: 'in {{expiry-minutes}} minutes' }), [
      'text placeholder-not-allowed 1:4',
    ])
    const [problem] = problemsOf('AdminForcedPasswordResetWithOTP', { html: '{{otp}} {{confirmation-code}}' })
    assert.equal(problem?.placeholder, 'confirmation-code')
    assert.match(problem.reason, /has no value in AdminForcedPasswordResetWithOTP messages, which may use/)
  })

  it('refuses secrets in the subject, and accepts other placeholders there', () => {
    assert.deepEqual(summary('AdminForcedPasswordResetWithOTP', { subject: 'Your code: {{otp}}' }), [
      'subject placeholder-not-allowed 1:12',
    ])
    assert.deepEqual(summary(forced, { subject: '{{reset-link}}' }), ['subject placeholder-not-allowed 1:1'])
    assert.deepEqual(summary('SelfServiceResetCode', { subject: 'Code {{ confirmation-code }}' }), [
      'subject placeholder-not-allowed 1:6',
    ])
    const [problem] = problemsOf(forced, { subject: '{{reset-link}}' })
    assert.match(problem!.reason, /is a secret and cannot be in the subject/)
    accepts(forced, { subject: 'Reset your {{tenant-domain}} password, {{first-name}} {{last-name}}' })
  })

  it('requires the delivered secret in both bodies; the subject does not count', () => {
    assert.deepEqual(summary(forced, { text: 'No link here' }), ['text missing-placeholder'])
    assert.deepEqual(summary(forced, { html: '<p>No link</p>' }), ['html missing-placeholder'])
    assert.deepEqual(summary(forced, { html: 'x', text: 'y' }), [
      'html missing-placeholder',
      'text missing-placeholder',
    ])
    assert.deepEqual(
      summary('AdminForcedPasswordResetWithOTP', { text: 'Sign in with {{expiry-minutes}}' }),
      ['text missing-placeholder'],
    )
    assert.deepEqual(summary('SelfServiceResetCode', { html: '<a href="{{reset-link}}">reset</a>' }), [
      'html missing-placeholder',
    ])
    const [problem] = problemsOf('SelfServiceResetCode', { text: 'nothing' })
    assert.equal(problem?.placeholder, 'confirmation-code')
    assert.equal(problem.position, undefined)
    assert.match(problem.reason, /The text body must contain "\{\{confirmation-code\}\}"/)
    // A code-only self-service template is fine: the link is optional.
    accepts('SelfServiceResetCode', { text: 'Code: {{confirmation-code}}' })
    accepts(success, { html: 'Done', text: 'Done' })
  })
})

describe('template validation: syntax', () => {
  it('refuses "{{" without "}}" on the same line', () => {
    assert.deepEqual(summary(success, { text: 'Hello {{user-name' }), ['text unclosed-placeholder 1:7'])
    assert.deepEqual(summary(success, { text: 'Hello {{user-name\n}}' }), [
      'text unclosed-placeholder 1:7',
      'text stray-closing-braces 2:1',
    ])
    assert.deepEqual(summary(success, { text: 'Hello {{user-name} and more' }), [
      'text unclosed-placeholder 1:7',
    ])
    assert.deepEqual(summary(success, { subject: 'Hi {{' }), ['subject unclosed-placeholder 1:4'])
    const [problem] = problemsOf(success, { text: '{{user-name}' })
    assert.match(problem!.reason, /closed by a single "\}"/)
  })

  it('refuses "}}" that closes nothing, and accepts single braces as text', () => {
    assert.deepEqual(summary(success, { text: 'Hello }} there' }), ['text stray-closing-braces 1:7'])
    assert.deepEqual(summary(success, { text: '{{user-name}} }}}' }), ['text stray-closing-braces 1:15'])
    const [problem] = problemsOf(success, { html: 'a}}' })
    assert.match(problem!.reason, /write "\} \}" if two braces are meant as text/)
    accepts(success, {
      text: 'a { b } c {x} {',
      html: '<style>p { color: red }</style><p>{ {{user-name}} }</p>',
    })
  })

  it('refuses empty placeholders', () => {
    assert.deepEqual(summary(success, { text: 'a {{}} b' }), ['text empty-placeholder 1:3'])
    assert.deepEqual(summary(success, { text: 'a {{ \t }} b' }), ['text empty-placeholder 1:3'])
  })

  it('refuses nested braces', () => {
    assert.deepEqual(summary(success, { text: '{{user-name {{first-name}} }} {{nope}}' }), [
      'text nested-braces 1:13',
      'text unknown-placeholder 1:31',
    ])
    assert.deepEqual(summary(success, { text: '{{user{name}}' }), ['text nested-braces 1:7'])
    // A "}}" left out: one problem for the line, not one for each placeholder after it.
    assert.deepEqual(
      summary(success, { text: 'Hi {{user-name and {{first-name}} {{last-name}}\n{{nope}}' }),
      ['text nested-braces 1:20', 'text unknown-placeholder 2:1'],
    )
    const [problem] = problemsOf(success, { text: '{{a{b}}' })
    assert.match(problem!.reason, /placeholders cannot be nested/)
  })

  it('refuses triple braces: there is no unescaped output', () => {
    assert.deepEqual(summary(success, { html: '<p>{{{user-name}}}</p>' }), ['html triple-braces 1:4'])
    assert.deepEqual(summary(success, { html: '<p>{{{{user-name}}}}</p>' }), ['html triple-braces 1:4'])
    assert.deepEqual(summary(success, { html: '{{{user-name}}' }), ['html triple-braces 1:1'])
    assert.deepEqual(summary(success, { html: '{{user-name}}}' }), ['html triple-braces 1:12'])
    assert.deepEqual(summary(success, { html: '{{{' }), ['html triple-braces 1:1'])
    const [problem] = problemsOf(success, { html: '{{{user-name}}}' })
    assert.match(problem!.reason, /no unescaped output/)
  })

  it('refuses Mustache tags and names that are not names', () => {
    for (const [tag, feature] of [
      ['{{#first-name}}x{{/first-name}}', 'sections'],
      ['{{^first-name}}x', 'inverted sections'],
      ['{{> footer}}', 'partials'],
      ['{{! a comment }}', 'comments'],
      ['{{&user-name}}', 'unescaped output'],
      ['{{=<% %>=}}', 'delimiter changes'],
    ] as const) {
      const [problem] = problemsOf(success, { text: tag })
      assert.equal(problem?.code, 'invalid-placeholder', tag)
      assert.match(problem.reason, new RegExp(`templates have no ${feature}$`), tag)
    }
    assert.deepEqual(summary(success, { text: '{{user name}}' }), ['text invalid-placeholder 1:1'])
    assert.deepEqual(summary(success, { text: '{{user-name|upper}}' }), ['text invalid-placeholder 1:1'])
    assert.deepEqual(summary(success, { text: '{{ user-name() }}' }), ['text invalid-placeholder 1:1'])
  })

  it('quotes long broken placeholders shortened in reasons', () => {
    const [problem] = problemsOf(success, { text: `{{${'x '.repeat(5000)}}}` })
    assert.equal(problem?.code, 'invalid-placeholder')
    assert.ok(problem.reason.length < 200, problem.reason)
  })

  it('reports every problem, by field, then in reading order', () => {
    assert.deepEqual(
      summary(forced, {
        subject: '{{nope}} }}',
        html: '<p>{{ otp }}</p>\n<p>{{reset-link}} {{}}</p>',
        text: 'line one\r\n  {{reset-link}} {{{x}}}\rthird {{',
      }),
      [
        'subject unknown-placeholder 1:1',
        'subject stray-closing-braces 1:10',
        'html placeholder-not-allowed 1:4',
        'html empty-placeholder 2:19',
        'text triple-braces 2:18',
        'text unclosed-placeholder 3:7',
      ],
    )
  })

  it('counts columns in code points and gives the string offset too', () => {
    const [problem] = problemsOf(success, { text: 'é😀x\n😀😀 {{nope}}' })
    assert.deepEqual(problem?.position, { line: 2, column: 4, offset: 10 })
  })
})

describe('template validation: HTML attributes', () => {
  it('refuses a placeholder in a tag outside a quoted attribute value', () => {
    assert.deepEqual(summary(forced, { html: '<a href={{reset-link}}>Reset</a>' }), [
      'html unquoted-attribute 1:9',
    ])
    assert.deepEqual(summary(forced, { html: '<a href="{{reset-link}}" title = {{user-name}}>x</a>' }), [
      'html unquoted-attribute 1:34',
    ])
    assert.deepEqual(summary(forced, { html: '{{reset-link}}<p {{user-name}}>' }), [
      'html unquoted-attribute 1:18',
    ])
    const [problem] = problemsOf(forced, { html: '<a href={{reset-link}}>x</a>' })
    assert.match(problem!.reason, /write it as attribute="\{\{reset-link\}\}"$/)
  })

  it('accepts placeholders in quoted values, in text, and after comments and quotes in text', () => {
    accepts(forced, { html: `<a href="{{reset-link}}" title='{{user-name}}'>{{user-name}}</a>` })
    accepts(forced, { html: '<p>code = {{reset-link}}</p>' })
    accepts(forced, { html: `<p>Don't "wait"</p><!-- it's <b> --><p>{{reset-link}}</p>` })
    accepts(forced, { html: '<p title="a > b">{{reset-link}}</p>' })
    accepts(forced, { text: 'href={{reset-link}}', html: '{{reset-link}}' })
  })
})

describe('template validation: fields', () => {
  it('refuses an empty or blank subject and empty bodies', () => {
    assert.deepEqual(summary(success, { subject: '' }), ['subject empty-field'])
    assert.deepEqual(summary(success, { subject: ' \t ' }), ['subject empty-field'])
    assert.deepEqual(summary(success, { html: '', text: '\n\n' }), ['html empty-field', 'text empty-field'])
    // An empty body is reported once, not again for each placeholder it lacks.
    assert.deepEqual(summary(forced, { text: '' }), ['text empty-field'])
  })

  it('refuses line breaks in the subject: header injection', () => {
    assert.deepEqual(summary(success, { subject: 'Hello\r\nBcc: victim@example.com' }), [
      'subject line-break-in-subject 1:6',
    ])
    assert.deepEqual(summary(success, { subject: 'a\nb\rc' }), [
      'subject line-break-in-subject 1:2',
      'subject line-break-in-subject 2:2',
    ])
    for (const lineBreak of ['\u0085', '\u2028', '\u2029'])
      assert.deepEqual(summary(success, { subject: `a${lineBreak}b` }), ['subject line-break-in-subject 1:2'])
    const [problem] = problemsOf(success, { subject: 'a\nb' })
    assert.match(problem!.reason, /single header line/)
    accepts(success, { subject: 'Tab\tis fine', text: 'Line\nbreaks\r\nare fine\rin bodies' })
  })

  it('refuses other control characters everywhere', () => {
    assert.deepEqual(summary(success, { subject: 'a\u0000b' }), ['subject control-character 1:2'])
    assert.deepEqual(summary(success, { text: 'a\u001b[31mred' }), ['text control-character 1:2'])
    assert.deepEqual(summary(success, { html: 'x\u007f\u0008y' }), ['html control-character 1:2'])
    const [problem] = problemsOf(success, { text: 'a\u001bb' })
    assert.match(problem!.reason, /U\+001B$/)
  })

  it(`limits the subject to ${MAX_SUBJECT_LENGTH} characters, counted in code points`, () => {
    accepts(success, { subject: 'x'.repeat(MAX_SUBJECT_LENGTH) })
    accepts(success, { subject: '😀'.repeat(MAX_SUBJECT_LENGTH) })
    assert.deepEqual(problemsOf(success, { subject: `${'😀'.repeat(MAX_SUBJECT_LENGTH)}ab` }), [
      {
        field: 'subject',
        code: 'too-long',
        reason: 'The subject is 257 characters long; the limit is 255',
        position: { line: 1, column: 256, offset: 510 },
      },
    ])
  })

  it('limits bodies to 100 KB of UTF-8 and reads no further', () => {
    accepts(success, { text: 'x'.repeat(MAX_BODY_BYTES) })
    accepts(success, { html: `${'é'.repeat(MAX_BODY_BYTES / 2 - 1)}ab` })
    assert.deepEqual(summary(success, { text: 'x'.repeat(MAX_BODY_BYTES + 1) }), ['text too-long 1:102401'])
    assert.deepEqual(summary(success, { html: `${'é'.repeat(MAX_BODY_BYTES / 2)}a` }), [
      'html too-long 1:51201',
    ])
    // The broken placeholders after the limit are not read.
    assert.deepEqual(summary(forced, { text: `${'x'.repeat(MAX_BODY_BYTES)}{{ }} {{otp}}` }), [
      'text too-long 1:102401',
    ])
    const [problem] = problemsOf(success, { text: 'x'.repeat(MAX_BODY_BYTES + 5) })
    assert.equal(problem?.reason, 'The text body is 102405 bytes long in UTF-8; the limit is 102400 (100 KB)')
  })

  it('stays linear on hostile input', () => {
    const started = performance.now()
    const hostile = `${'{{ '.repeat(20_000)}${'}}'.repeat(10_000)}`.slice(0, MAX_BODY_BYTES)
    const problems = problemsOf(success, { text: hostile, html: '{{a}}'.repeat(20_000) })
    assert.ok(problems.length > 10_000)
    assert.ok(performance.now() - started < 2000, 'validation took too long')
  })
})

describe('compiling templates', () => {
  it('throws an InvalidTemplateError listing every problem', () => {
    assert.throws(
      () => compileTemplate(forced, { subject: '', html: '<p>{{otp}}</p>', text: 'x\n{{reset-link' }),
      (error: unknown) => {
        assert.ok(error instanceof InvalidTemplateError)
        assert.deepEqual(
          error.problems.map((problem) => problem.code),
          [
            'empty-field',
            'placeholder-not-allowed',
            'missing-placeholder',
            'unclosed-placeholder',
            'missing-placeholder',
          ],
        )
        assert.equal(
          error.message,
          [
            'Invalid AdminForcedPasswordReset template:',
            '  - subject: The subject is empty',
            '  - html body 1:4: "{{otp}}" has no value in AdminForcedPasswordReset messages, which may use {{user-name}}, {{first-name}}, {{last-name}}, {{tenant-domain}}, {{support-email}}, {{reset-link}}, {{expiry-minutes}}',
            '  - html body: The html body must contain "{{reset-link}}": AdminForcedPasswordReset messages exist to deliver it, and mail clients show only one of the two bodies',
            '  - text body 2:1: This "{{" is not closed by "}}" on the same line',
            '  - text body: The text body must contain "{{reset-link}}": AdminForcedPasswordReset messages exist to deliver it, and mail clients show only one of the two bodies',
          ].join('\n'),
        )
        return true
      },
    )
  })

  it('turns each field into literal text and slots, once', () => {
    const compiled = compileTemplate(forced, {
      subject: 'For {{tenant-domain}}',
      html: '<a href="{{ reset-link }}">{{reset-link}}</a>',
      text: '{{reset-link}}',
    })
    assert.equal(compiled.type, forced)
    assert.deepEqual(compiled.subject, ['For ', { placeholder: 'tenant-domain' }])
    assert.deepEqual(compiled.html, [
      '<a href="',
      { placeholder: 'reset-link' },
      '">',
      { placeholder: 'reset-link' },
      '</a>',
    ])
    assert.deepEqual(compiled.text, [{ placeholder: 'reset-link' }])
    assert.deepEqual([...compiled.placeholders].sort(), ['reset-link', 'tenant-domain'])
    assert.ok(Object.isFrozen(compiled) && Object.isFrozen(compiled.html))
  })
})

describe('rendering templates', () => {
  const compiled = compileTemplate(forced, {
    subject: 'Hello {{first-name}} from {{tenant-domain}}',
    html: '<p title="{{first-name}}">Hi {{first-name}}</p><a href="{{reset-link}}">go</a>',
    text: 'Hi {{first-name}}\n{{reset-link}}',
  })

  it('escapes every value in the HTML body and none in the text body', () => {
    const values = {
      'first-name': `<script>alert("x")</script> & O'Brien`,
      'reset-link': 'https://r.example/?a=1&b=2',
    }
    const rendered = renderTemplate(compiled, values)
    assert.equal(
      rendered.html,
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; O&#39;Brien">Hi &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; O&#39;Brien</p><a href="https://r.example/?a=1&amp;b=2">go</a>',
    )
    assert.equal(rendered.text, `Hi <script>alert("x")</script> & O'Brien\nhttps://r.example/?a=1&b=2`)
    assert.equal(rendered.subject, `Hello <script>alert("x")</script> & O'Brien from `)
  })

  it('keeps a quote in a value from closing an attribute', () => {
    const { html } = renderTemplate(compiled, { 'first-name': '" onmouseover="alert(1)', 'reset-link': 'x' })
    assert.ok(html.startsWith('<p title="&quot; onmouseover=&quot;alert(1)">'), html)
  })

  it('puts subject values on one line: header injection', () => {
    const values = {
      'first-name': 'Alex\r\nBcc: victim@example.com',
      'tenant-domain': 'a\n\n\nb\u2028c\u0000d',
    }
    const rendered = renderTemplate(compiled, values)
    assert.equal(rendered.subject, 'Hello Alex Bcc: victim@example.com from a b c d')
    assert.equal(
      rendered.text.split('\n')[1],
      'Bcc: victim@example.com',
      'the text body keeps values as they are',
    )
    assert.equal(toSingleLine('a\tb\r\n\r\nc'), 'a b c')
    assert.equal(toSingleLine('plain'), 'plain')
  })

  it('renders missing values as empty strings', () => {
    assert.deepEqual(renderTemplate(compiled, {}), {
      subject: 'Hello  from ',
      html: '<p title="">Hi </p><a href="">go</a>',
      text: 'Hi \n',
    })
    const loose = { 'first-name': undefined, 'reset-link': null } as unknown as Record<Placeholder, string>
    assert.equal(renderTemplate(compiled, loose).text, 'Hi \n')
  })

  it('never reads a value as template text: no template injection', () => {
    const rendered = renderTemplate(compiled, {
      'first-name': '{{reset-link}} {{{x}}}',
      'reset-link': 'secret',
    })
    assert.equal(rendered.text, 'Hi {{reset-link}} {{{x}}}\nsecret')
    assert.equal(rendered.subject, 'Hello {{reset-link}} {{{x}}} from ')
  })

  it('ignores values that are not own properties', () => {
    const inherited = Object.create({ 'reset-link': 'https://evil.example' }) as Record<Placeholder, string>
    assert.equal(renderTemplate(compiled, inherited).text, 'Hi \n')
  })

  it('escapes the five HTML characters and nothing else', () => {
    assert.equal(escapeHtml(`&<>"'`), '&amp;&lt;&gt;&quot;&#39;')
    assert.equal(escapeHtml('&amp;'), '&amp;amp;')
    assert.equal(escapeHtml('Zoë {} é 😀 /=`'), 'Zoë {} é 😀 /=`')
  })

  it('renders many messages from one compiled template', () => {
    const template = compileTemplate(forced, defaultTemplate(forced, 'en'))
    const values = sampleValues(forced)
    let length = 0
    for (let i = 0; i < 10_000; i++) length += renderTemplate(template, values).html.length
    assert.ok(length > 10_000 * 1000)
  })
})

describe('locales', () => {
  it('normalises tags: case, underscores, scripts, regions, variants', () => {
    const cases: [string, string][] = [
      ['fr', 'fr'],
      ['FR', 'fr'],
      ['fr-fr', 'fr-FR'],
      ['fr_FR', 'fr-FR'],
      ['FR_fr', 'fr-FR'],
      [' en_us ', 'en-US'],
      ['zh_hant_tw', 'zh-Hant-TW'],
      ['zh-HANS', 'zh-Hans'],
      ['es-419', 'es-419'],
      ['en_US_POSIX', 'en-US-posix'],
      ['gsw-CH', 'gsw-CH'],
    ]
    for (const [tag, normal] of cases) {
      assert.equal(normalizeLocale(tag), normal, tag)
      assert.ok(isValidLocale(tag), tag)
    }
  })

  it('rejects anything that is not a locale tag', () => {
    for (const tag of [
      '',
      ' ',
      '../x',
      '..',
      'fr/../../etc',
      'fr/FR',
      'f',
      'french',
      'fr-',
      '-fr',
      'fr--FR',
      'fr FR',
      'fr.UTF-8',
      'fr-FR@euro',
      'fr\u0000',
      'é',
      'x-private',
      'en-verylongvariant',
      `en-${'a'.repeat(40)}`,
      'en-US-a-b-c-d-e-f-g-h-i-j-k-l-m-n-o-p',
    ]) {
      assert.equal(normalizeLocale(tag), undefined, JSON.stringify(tag))
      assert.ok(!isValidLocale(tag), JSON.stringify(tag))
    }
  })

  it("prefers the user's locale, in any spelling, falling back to its language", () => {
    const available = ['en', 'fr', 'de-CH']
    assert.equal(resolveLocale(available, 'fr', 'de-CH'), 'fr')
    assert.equal(resolveLocale(available, 'fr-FR', 'de-CH'), 'fr')
    assert.equal(resolveLocale(available, 'fr_FR', undefined), 'fr')
    assert.equal(resolveLocale(available, 'FR-ca', undefined), 'fr')
    assert.equal(resolveLocale(available, 'fr-Latn-CA', undefined), 'fr')
    assert.equal(resolveLocale(['fr', 'fr-CA'], 'fr_CA', 'en'), 'fr-CA', 'the closer match wins')
  })

  it('matches another region of the same language before moving on', () => {
    assert.equal(resolveLocale(['en', 'fr-FR'], 'fr-CA', 'en'), 'fr-FR')
    assert.equal(resolveLocale(['en', 'fr-FR'], 'fr', 'en'), 'fr-FR')
    assert.equal(resolveLocale(['en', 'de-CH'], 'fr', 'de'), 'de-CH')
  })

  it("falls back to the tenant's default, then to en", () => {
    const available = ['en', 'fr', 'de']
    assert.equal(resolveLocale(available, undefined, 'fr'), 'fr')
    assert.equal(resolveLocale(available, null, 'fr_BE'), 'fr')
    assert.equal(resolveLocale(available, 'ja', 'de'), 'de')
    assert.equal(resolveLocale(available, '../x', 'de-AT'), 'de')
    assert.equal(resolveLocale(available, 'ja', 'ko'), 'en')
    assert.equal(resolveLocale(available, '', ''), 'en')
    assert.equal(resolveLocale(available), 'en')
    assert.equal(resolveLocale([], 'fr', 'de'), 'en', 'en even when it is not available')
    assert.equal(resolveLocale(['fr'], 'ja'), 'en')
  })

  it('answers in the spelling of the available list and ignores malformed entries', () => {
    assert.equal(resolveLocale(['EN', 'fr_FR'], 'fr-fr', undefined), 'fr_FR')
    assert.equal(resolveLocale(['EN', 'fr_FR'], 'ja', undefined), 'EN')
    assert.equal(resolveLocale(['../fr', 'en'], 'fr', undefined), 'en')
  })
})

describe('default templates', () => {
  const every = DEFAULT_TEMPLATE_LOCALES.flatMap((locale) =>
    TEMPLATE_TYPES.map((type) => ({ locale, type, template: DEFAULT_TEMPLATES[locale]![type] })),
  )

  it('ship in English and French', () => {
    assert.deepEqual([...DEFAULT_TEMPLATE_LOCALES], ['en', 'fr'])
    assert.equal(every.length, 10)
  })

  it('pass validation', () => {
    for (const { locale, type, template } of every)
      assert.deepEqual(validateTemplate(type, template), [], `${locale} ${type}`)
  })

  it('are self-contained, accessible HTML in their language', () => {
    for (const { locale, type, template } of every) {
      const label = `${locale} ${type}`
      assert.ok(template.html.startsWith('<!DOCTYPE html>\n'), label)
      assert.ok(template.html.includes(`<html lang="${locale}" dir="ltr">`), label)
      assert.ok(template.html.includes('<meta charset="utf-8">'), label)
      assert.match(template.html, /<title>[^<]+<\/title>/, label)
      assert.doesNotMatch(
        template.html,
        /<(img|script|link|iframe|object|style)\b|url\(|@import|src=/i,
        label,
      )
      assert.doesNotMatch(
        template.html,
        /https?:/,
        `${label}: no fixed URLs, the only link is the placeholder`,
      )
      for (const table of template.html.match(/<table[^>]*>/g) ?? [])
        assert.ok(table.includes('role="presentation"'), label)
    }
  })

  it('name the tenant, the support address, the expiry, and the secret in both bodies', () => {
    for (const { locale, type, template } of every) {
      for (const body of [template.html, template.text]) {
        const label = `${locale} ${type}`
        assert.ok(body.includes('{{tenant-domain}}'), label)
        assert.ok(body.includes('{{support-email}}'), label)
        if (isAllowedPlaceholder(type, 'expiry-minutes'))
          assert.ok(body.includes('{{expiry-minutes}}'), label)
        for (const name of requiredPlaceholders(type)) assert.ok(body.includes(`{{${name}}}`), label)
      }
    }
  })

  it('use French typography in French', () => {
    for (const { type, template } of every.filter(({ locale }) => locale === 'fr')) {
      for (const field of ['subject', 'html', 'text'] as const) {
        assert.doesNotMatch(template[field], / [:;!?]/, `${type} ${field}: a plain space before : ; ! ?`)
        assert.doesNotMatch(template[field], /[a-z]'[a-zé]/i, `${type} ${field}: a straight apostrophe`)
      }
    }
  })

  it('render with sample values filling every allowed placeholder', () => {
    for (const { locale, type, template } of every) {
      const label = `${locale} ${type}`
      const values = sampleValues(type)
      assert.deepEqual(Object.keys(values).sort(), [...allowedPlaceholders(type)].sort(), label)
      for (const value of Object.values(values)) assert.ok(value, label)
      const rendered = renderTemplate(compileTemplate(type, template), values)
      for (const field of ['subject', 'html', 'text'] as const) {
        assert.doesNotMatch(rendered[field], /\{\{|\}\}/, `${label} ${field}: a placeholder left over`)
      }
      assert.ok(rendered.subject.includes('example.com'), label)
      for (const name of requiredPlaceholders(type)) {
        assert.ok(rendered.html.includes(values[name]!), `${label}: html lacks ${name}`)
        assert.ok(rendered.text.includes(values[name]!), `${label}: text lacks ${name}`)
      }
    }
  })

  it('are found by locale, like any template', () => {
    assert.equal(defaultTemplate('PasswordResetSuccess', 'fr_CA'), DEFAULT_TEMPLATES.fr!.PasswordResetSuccess)
    assert.equal(
      defaultTemplate('PasswordResetSuccess', 'ja', 'fr'),
      DEFAULT_TEMPLATES.fr!.PasswordResetSuccess,
    )
    assert.equal(
      defaultTemplate('PasswordResetSuccess', 'ja', 'ko'),
      DEFAULT_TEMPLATES.en!.PasswordResetSuccess,
    )
    assert.equal(defaultTemplate('PasswordResetSuccess'), DEFAULT_TEMPLATES.en!.PasswordResetSuccess)
  })

  it('cannot be changed in place', () => {
    const template = DEFAULT_TEMPLATES.en!.PasswordResetSuccess
    assert.throws(() => {
      ;(template as { subject: string }).subject = 'changed'
    }, TypeError)
    assert.ok(Object.isFrozen(DEFAULT_TEMPLATES) && Object.isFrozen(DEFAULT_TEMPLATES.fr))
  })
})

describe('sample values', () => {
  it('gives realistic examples for exactly the allowed placeholders', () => {
    assert.deepEqual(sampleValues('AdminForcedPasswordResetWithOTP'), {
      'user-name': 'alex',
      'first-name': 'Alex',
      'last-name': 'Example',
      'tenant-domain': 'example.com',
      'support-email': 'support@example.com',
      otp: 'K7Q2M9XD',
      'expiry-minutes': '60',
    })
    assert.equal(sampleValues(forced)['reset-link'], 'https://rekey.example/reset?token=EXAMPLE')
    assert.equal(sampleValues('SelfServiceResetCode')['confirmation-code'], '482913')
    assert.equal(sampleValues(success).otp, undefined)
    for (const type of TEMPLATE_TYPES)
      assert.deepEqual(Object.keys(sampleValues(type)).sort(), [...allowedPlaceholders(type)].sort(), type)
  })

  it('returns a fresh object each time', () => {
    const values = sampleValues(success) as Record<string, string>
    values['first-name'] = 'changed'
    assert.equal(sampleValues(success)['first-name'], 'Alex')
  })
})

describe('templates under fuzzing', () => {
  const anyText = fc.string({ unit: 'binary', maxLength: 60 })
  const trickyText = fc.string({
    unit: fc.constantFrom(
      '{',
      '}',
      '{{',
      '}}',
      ' ',
      '\t',
      '\n',
      '\r',
      '<',
      '>',
      '"',
      "'",
      '&',
      '=',
      'a',
      'é',
      '😀',
    ),
    maxLength: 40,
  })
  const values = fc.record(
    Object.fromEntries(PLACEHOLDERS.map((name) => [name, fc.oneof(anyText, trickyText)])) as Record<
      Placeholder,
      fc.Arbitrary<string>
    >,
  )

  it('never lets a value add a "<" (or any markup) to the HTML body', () => {
    const html = '<p title="{{first-name}}">{{user-name}}</p><p class=\'{{last-name}}\'>{{support-email}}</p>'
    const compiled = compileTemplate(success, { subject: 'x', html, text: 'x' })
    fc.assert(
      fc.property(values, (filled) => {
        const rendered = renderTemplate(compiled, filled).html
        assert.equal(rendered.split('<').length, html.split('<').length)
        assert.equal(rendered.split('>').length, html.split('>').length)
        assert.equal(rendered.split('"').length, html.split('"').length)
        assert.equal(rendered.split("'").length, html.split("'").length)
        const expected = `<p title="${filled['first-name']}">${filled['user-name']}</p><p class='${filled['last-name']}'>${filled['support-email']}</p>`
        assert.equal(decodeHtml(rendered), expected, 'escaping loses nothing')
      }),
      { numRuns: 1000 },
    )
  })

  it('keeps subjects on one line and text values as they are', () => {
    const compiled = compileTemplate(success, {
      subject: '{{first-name}} {{last-name}}',
      html: 'x',
      text: '{{first-name}}|{{last-name}}',
    })
    fc.assert(
      fc.property(values, (filled) => {
        const rendered = renderTemplate(compiled, filled)
        assert.doesNotMatch(rendered.subject, /[\r\n\u0085\u2028\u2029]/)
        assert.equal(rendered.text, `${filled['first-name']}|${filled['last-name']}`)
      }),
      { numRuns: 1000 },
    )
  })

  it('round-trips any text without "{{" or "}}"', () => {
    const text = fc
      .oneof(anyText, trickyText, fc.string({ unit: 'grapheme', maxLength: 60 }))
      .filter(
        (candidate) =>
          !candidate.includes('{{') &&
          !candidate.includes('}}') &&
          candidate.trim() !== '' &&
          !/(?![\t\n\r\u0085])\p{Cc}/u.test(candidate),
      )
    fc.assert(
      fc.property(text, values, (literal, filled) => {
        const subject = literal.replace(/[\r\n\u0085\u2028\u2029]/g, ' ')
        fc.pre(subject.trim() !== '' && [...subject].length <= MAX_SUBJECT_LENGTH)
        const compiled = compileTemplate(success, { subject, html: literal, text: literal })
        assert.deepEqual(renderTemplate(compiled, filled), { subject, html: literal, text: literal })
      }),
      { numRuns: 1000 },
    )
  })

  it('answers any template with problems or a template that compiles', () => {
    const field = fc.oneof(
      anyText,
      trickyText,
      fc.string({
        unit: fc.oneof(
          fc.constantFrom('{{', '}}', '{{{', ' ', '\n', '<a href=', '"', '<!--', '-->', '>'),
          fc.constantFrom(...PLACEHOLDERS).map((name) => `{{${name}}}`),
          fc.constantFrom('{{ otp }}', '{{nope}}', '{{#if}}', '{{}}'),
        ),
        maxLength: 12,
      }),
    )
    fc.assert(
      fc.property(fc.constantFrom(...TEMPLATE_TYPES), field, field, field, (type, subject, html, text) => {
        const template = { subject, html, text }
        const problems = validateTemplate(type, template)
        for (const { field: name, position } of problems) {
          if (!position) continue
          const length = template[name].length
          assert.ok(position.offset >= 0 && position.offset <= length, JSON.stringify(position))
          assert.ok(position.line >= 1 && position.column >= 1, JSON.stringify(position))
        }
        if (problems.length > 0) {
          assert.throws(() => compileTemplate(type, template), InvalidTemplateError)
          return
        }
        const rendered = renderTemplate(compileTemplate(type, template), sampleValues(type))
        // Each part on its own: parts ending and starting with a lone brace must not read as "{{" together.
        for (const part of [rendered.html, rendered.text, rendered.subject])
          assert.doesNotMatch(part, /\{\{|\}\}/)
      }),
      { numRuns: 3000 },
    )
  })
})
