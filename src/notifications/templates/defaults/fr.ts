import type { EmailTemplate } from '../email-template.ts'
import type { TemplateType } from '../template-types.ts'
import { type Block, composeTemplate, type Message } from './layout.ts'

/**
 * French typography puts a non-breaking space before : ; ! and ?, so the sign never starts a
 * line. The texts below are written with ordinary spaces, which this turns into U+00A0.
 */
const french = (text: string): string => text.replace(/ ([:;!?])/g, '\u00a0$1')

function frenchBlock(block: Block): Block {
  switch (block.kind) {
    case 'paragraph':
    case 'notice':
      return { ...block, text: french(block.text) }
    case 'code':
      return block
    case 'action':
      return {
        ...block,
        label: french(block.label),
        fallback: french(block.fallback),
        textIntro: french(block.textIntro),
      }
  }
}

function typeset(message: Message): EmailTemplate {
  return composeTemplate({
    ...message,
    subject: french(message.subject),
    heading: french(message.heading),
    footer: french(message.footer),
    blocks: message.blocks.map(frenchBlock),
  })
}

const lang = 'fr'
const greeting = { kind: 'paragraph', text: 'Bonjour {{user-name}},' } as const
const footer = 'Vous recevez ce message parce que vous avez un compte sur {{tenant-domain}}.'
const linkFallback = 'Si le bouton ne fonctionne pas, copiez ce lien dans votre navigateur :'

/** The default templates in French. */
export const fr: Readonly<Record<TemplateType, EmailTemplate>> = {
  AdminForcedPasswordReset: typeset({
    lang,
    subject: 'Action requise : choisissez un nouveau mot de passe pour {{tenant-domain}}',
    heading: 'Choisissez un nouveau mot de passe',
    blocks: [
      greeting,
      {
        kind: 'paragraph',
        text: 'Un administrateur de {{tenant-domain}} vous demande de choisir un nouveau mot de passe pour votre compte. Vous devez le faire avant de pouvoir vous connecter à nouveau.',
      },
      {
        kind: 'action',
        label: 'Choisir un nouveau mot de passe',
        link: '{{reset-link}}',
        fallback: linkFallback,
        textIntro: 'Pour choisir un nouveau mot de passe, ouvrez ce lien :',
      },
      {
        kind: 'paragraph',
        text: 'Ce lien expire dans {{expiry-minutes}} minutes et ne peut être utilisé qu’une seule fois.',
      },
      {
        kind: 'notice',
        text: 'Si vous ne vous attendiez pas à ce message, n’ouvrez pas le lien et contactez {{support-email}}.',
      },
    ],
    footer,
  }),

  AdminForcedPasswordResetWithOTP: typeset({
    lang,
    subject: 'Votre mot de passe à usage unique pour {{tenant-domain}}',
    heading: 'Votre mot de passe à usage unique',
    blocks: [
      greeting,
      {
        kind: 'paragraph',
        text: 'Un administrateur de {{tenant-domain}} a réinitialisé votre mot de passe. Connectez-vous une fois avec le mot de passe à usage unique ci-dessous ; il vous sera ensuite demandé d’en choisir un nouveau.',
      },
      { kind: 'code', value: '{{otp}}' },
      {
        kind: 'paragraph',
        text: 'Ce mot de passe à usage unique expire dans {{expiry-minutes}} minutes et ne fonctionne qu’une seule fois. Personne chez {{tenant-domain}} ne vous le demandera jamais.',
      },
      {
        kind: 'notice',
        text: 'Si vous ne vous attendiez pas à ce message, n’utilisez pas ce mot de passe et contactez {{support-email}}.',
      },
    ],
    footer,
  }),

  PasswordResetSuccess: typeset({
    lang,
    subject: 'Le mot de passe de votre compte {{tenant-domain}} a été modifié',
    heading: 'Votre mot de passe a été modifié',
    blocks: [
      greeting,
      {
        kind: 'paragraph',
        text: 'Le mot de passe de votre compte {{tenant-domain}} vient d’être modifié. Désormais, connectez-vous avec votre nouveau mot de passe.',
      },
      {
        kind: 'notice',
        text: 'Si vous n’êtes pas à l’origine de cette modification, contactez immédiatement {{support-email}} : une autre personne a peut-être accès à votre compte.',
      },
    ],
    footer,
  }),

  SelfServiceResetCode: typeset({
    lang,
    subject: 'Votre code de réinitialisation du mot de passe pour {{tenant-domain}}',
    heading: 'Réinitialisez votre mot de passe',
    blocks: [
      greeting,
      {
        kind: 'paragraph',
        text: 'Nous avons reçu une demande de réinitialisation du mot de passe de votre compte {{tenant-domain}}. Saisissez ce code de confirmation pour continuer :',
      },
      { kind: 'code', value: '{{confirmation-code}}' },
      {
        kind: 'paragraph',
        text: 'Ce code expire dans {{expiry-minutes}} minutes. Ne le communiquez à personne.',
      },
      {
        kind: 'action',
        label: 'Poursuivre la réinitialisation',
        link: '{{reset-link}}',
        fallback: linkFallback,
        textIntro: 'Ou poursuivez avec le code déjà saisi en ouvrant ce lien :',
      },
      {
        kind: 'notice',
        text: 'Si vous n’avez pas demandé la réinitialisation de votre mot de passe, vous pouvez ignorer ce message ; votre mot de passe reste inchangé. Si vous ne vous attendiez pas à ce message et qu’il se répète, contactez {{support-email}}.',
      },
    ],
    footer,
  }),

  PasswordExpiryReminder: typeset({
    lang,
    subject: 'Votre mot de passe pour {{tenant-domain}} expire bientôt',
    heading: 'Votre mot de passe expire bientôt',
    blocks: [
      greeting,
      {
        kind: 'paragraph',
        text: 'Le mot de passe de votre compte {{tenant-domain}} expire bientôt. Choisissez-en un nouveau dès maintenant pour continuer à vous connecter sans interruption.',
      },
      {
        kind: 'action',
        label: 'Changer mon mot de passe',
        link: '{{reset-link}}',
        fallback: linkFallback,
        textIntro: 'Pour changer votre mot de passe, ouvrez ce lien :',
      },
      {
        kind: 'notice',
        text: 'Par prudence, vous pouvez aussi vous connecter directement à {{tenant-domain}} plutôt que de suivre un lien. Si vous ne vous attendiez pas à ce message, contactez {{support-email}}.',
      },
    ],
    footer,
  }),
}
