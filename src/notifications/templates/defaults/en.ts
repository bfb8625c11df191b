import type { EmailTemplate } from '../email-template.ts'
import type { TemplateType } from '../template-types.ts'
import { composeTemplate } from './layout.ts'

const lang = 'en'
const greeting = { kind: 'paragraph', text: 'Hello {{user-name}},' } as const
const footer = 'You are receiving this email because you have an account with {{tenant-domain}}.'
const linkFallback = 'If the button does not work, copy this link into your browser:'

/** The default templates in English. */
export const en: Readonly<Record<TemplateType, EmailTemplate>> = {
  AdminForcedPasswordReset: composeTemplate({
    lang,
    subject: 'Action required: choose a new password for {{tenant-domain}}',
    heading: 'Choose a new password',
    blocks: [
      greeting,
      {
        kind: 'paragraph',
        text: 'An administrator of {{tenant-domain}} requires you to choose a new password for your account. You need to do this before you can sign in again.',
      },
      {
        kind: 'action',
        label: 'Choose a new password',
        link: '{{reset-link}}',
        fallback: linkFallback,
        textIntro: 'To choose a new password, open this link:',
      },
      {
        kind: 'paragraph',
        text: 'This link expires in {{expiry-minutes}} minutes and can be used only once.',
      },
      {
        kind: 'notice',
        text: 'If you did not expect this email, do not open the link and contact {{support-email}}.',
      },
    ],
    footer,
  }),

  AdminForcedPasswordResetWithOTP: composeTemplate({
    lang,
    subject: 'Your one-time password for {{tenant-domain}}',
    heading: 'Your one-time password',
    blocks: [
      greeting,
      {
        kind: 'paragraph',
        text: 'An administrator of {{tenant-domain}} has reset your password. Sign in once with the one-time password below; you will then be asked to choose a new password.',
      },
      { kind: 'code', value: '{{otp}}' },
      {
        kind: 'paragraph',
        text: 'This one-time password expires in {{expiry-minutes}} minutes and works only once. Nobody from {{tenant-domain}} will ever ask you for it.',
      },
      {
        kind: 'notice',
        text: 'If you did not expect this email, do not use the password and contact {{support-email}}.',
      },
    ],
    footer,
  }),

  PasswordResetSuccess: composeTemplate({
    lang,
    subject: 'Your password for {{tenant-domain}} was changed',
    heading: 'Your password was changed',
    blocks: [
      greeting,
      {
        kind: 'paragraph',
        text: 'The password of your {{tenant-domain}} account was just changed. From now on, sign in with your new password.',
      },
      {
        kind: 'notice',
        text: 'If you did not change your password, contact {{support-email}} right away: someone else may have access to your account.',
      },
    ],
    footer,
  }),

  SelfServiceResetCode: composeTemplate({
    lang,
    subject: 'Your password reset code for {{tenant-domain}}',
    heading: 'Reset your password',
    blocks: [
      greeting,
      {
        kind: 'paragraph',
        text: 'We received a request to reset the password of your {{tenant-domain}} account. Enter this confirmation code to continue:',
      },
      { kind: 'code', value: '{{confirmation-code}}' },
      {
        kind: 'paragraph',
        text: 'The code expires in {{expiry-minutes}} minutes. Do not share it with anyone.',
      },
      {
        kind: 'action',
        label: 'Continue the reset',
        link: '{{reset-link}}',
        fallback: linkFallback,
        textIntro: 'Or continue with the code filled in by opening this link:',
      },
      {
        kind: 'notice',
        text: 'If you did not ask to reset your password, you can ignore this email; your password stays as it is. If you did not expect this email and it happens again, contact {{support-email}}.',
      },
    ],
    footer,
  }),

  PasswordExpiryReminder: composeTemplate({
    lang,
    subject: 'Your password for {{tenant-domain}} expires soon',
    heading: 'Your password expires soon',
    blocks: [
      greeting,
      {
        kind: 'paragraph',
        text: 'The password of your {{tenant-domain}} account expires soon. Choose a new one now so that you can keep signing in without interruption.',
      },
      {
        kind: 'action',
        label: 'Change your password',
        link: '{{reset-link}}',
        fallback: linkFallback,
        textIntro: 'To change your password, open this link:',
      },
      {
        kind: 'notice',
        text: 'To be safe, you can also sign in to {{tenant-domain}} directly instead of following a link. If you did not expect this email, contact {{support-email}}.',
      },
    ],
    footer,
  }),
}
