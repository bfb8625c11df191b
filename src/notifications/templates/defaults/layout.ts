/**
 * One layout for every default template, so all locales look alike and the HTML and text
 * bodies say the same thing. The HTML is plain and inline-styled: mail clients drop `<style>`
 * and block remote content, so there are no external images, fonts or scripts. Tables with
 * role="presentation" centre the card in clients without CSS layout, and screen readers skip
 * them. Colours meet WCAG AA contrast.
 */
import type { EmailTemplate } from '../email-template.ts'
import { escapeHtml } from '../html-escape.ts'

export type Block =
  | { kind: 'paragraph'; text: string }
  /** A code to type in, set large and in a monospace font. */
  | { kind: 'code'; value: string }
  /** A button to a link, with the link written out under it for clients that break buttons. */
  | { kind: 'action'; label: string; link: string; fallback: string; textIntro: string }
  /** Security advice, set smaller. */
  | { kind: 'notice'; text: string }

export interface Message {
  /** The `lang` of the HTML body. */
  lang: string
  subject: string
  heading: string
  blocks: Block[]
  footer: string
}

const font = 'font-family:Arial,Helvetica,sans-serif;'
const ink = '#1f2328'
const muted = '#57606a'
const accent = '#0b57d0'
const page = '#f4f5f7'

export function composeTemplate(message: Message): EmailTemplate {
  return { subject: message.subject, html: htmlBody(message), text: textBody(message) }
}

function htmlBody({ lang, subject, heading, blocks, footer }: Message): string {
  return `<!DOCTYPE html>
<html lang="${lang}" dir="ltr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>${escapeHtml(subject)}</title>
</head>
<body style="margin:0;padding:0;background-color:${page};">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:${page};">
<tr>
<td align="center" style="padding:24px 12px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:560px;background-color:#ffffff;border:1px solid #d0d7de;border-radius:6px;">
<tr>
<td style="padding:32px;${font}font-size:16px;line-height:1.5;color:${ink};">
<h1 style="margin:0 0 24px;font-size:22px;line-height:1.3;color:${ink};">${escapeHtml(heading)}</h1>
${blocks.map(htmlBlock).join('\n')}
</td>
</tr>
</table>
<p style="margin:16px 0 0;max-width:560px;${font}font-size:12px;line-height:1.5;color:${muted};">${escapeHtml(footer)}</p>
</td>
</tr>
</table>
</body>
</html>
`
}

function htmlBlock(block: Block): string {
  switch (block.kind) {
    case 'paragraph':
      return `<p style="margin:0 0 16px;">${escapeHtml(block.text)}</p>`
    case 'code':
      return `<p style="margin:0 0 16px;padding:12px 16px;background-color:${page};border-radius:4px;font-family:'Courier New',Courier,monospace;font-size:24px;font-weight:bold;letter-spacing:3px;text-align:center;">${escapeHtml(block.value)}</p>`
    case 'action': {
      const link = escapeHtml(block.link)
      return `<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="margin:8px 0 24px;">
<tr>
<td style="border-radius:4px;background-color:${accent};"><a href="${link}" style="display:inline-block;padding:12px 24px;${font}font-size:16px;font-weight:bold;color:#ffffff;text-decoration:none;border-radius:4px;">${escapeHtml(block.label)}</a></td>
</tr>
</table>
<p style="margin:0 0 16px;font-size:14px;color:${muted};">${escapeHtml(block.fallback)}<br><a href="${link}" style="color:${accent};word-break:break-all;">${link}</a></p>`
    }
    case 'notice':
      return `<p style="margin:24px 0 0;padding-top:16px;border-top:1px solid #d0d7de;font-size:14px;color:${muted};">${escapeHtml(block.text)}</p>`
  }
}

function textBody({ blocks, footer }: Message): string {
  // "-- " (with the space) is the signature separator mail clients recognise and grey out.
  return `${blocks.map(textBlock).join('\n\n')}\n\n-- \n${footer}\n`
}

function textBlock(block: Block): string {
  switch (block.kind) {
    case 'paragraph':
    case 'notice':
      return block.text
    case 'code':
      return `    ${block.value}`
    case 'action':
      return `${block.textIntro}\n${block.link}`
  }
}
