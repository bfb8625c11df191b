import type { SecurityQuestion } from './question-list.ts'

/**
 * The questions of a tenant that has not set its own. Ten of them: a tenant may ask its users
 * for up to ten answers (`selfservice.kba_answers_required`), and the default list must always
 * offer enough. Ids are stable: stored answers refer to them.
 */
export const defaultSecurityQuestions: readonly SecurityQuestion[] = Object.freeze(
  [
    {
      id: 'first-pet',
      text: {
        en: 'What was the name of your first pet?',
        fr: 'Quel était le nom de votre premier animal de compagnie ?',
      },
    },
    {
      id: 'birth-city',
      text: { en: 'In which city were you born?', fr: 'Dans quelle ville êtes-vous né(e) ?' },
    },
    {
      id: 'mother-maiden-name',
      text: {
        en: "What is your mother's maiden name?",
        fr: 'Quel est le nom de jeune fille de votre mère ?',
      },
    },
    {
      id: 'first-school',
      text: {
        en: 'What was the name of your first school?',
        fr: 'Quel était le nom de votre première école ?',
      },
    },
    {
      id: 'childhood-friend',
      text: {
        en: 'What is the first name of your childhood best friend?',
        fr: "Quel est le prénom de votre meilleur(e) ami(e) d'enfance ?",
      },
    },
    {
      id: 'first-car',
      text: {
        en: 'What was the make of your first car?',
        fr: 'Quelle était la marque de votre première voiture ?',
      },
    },
    {
      id: 'parents-meeting-city',
      text: {
        en: 'In which city did your parents meet?',
        fr: 'Dans quelle ville vos parents se sont-ils rencontrés ?',
      },
    },
    {
      id: 'first-job',
      text: { en: 'What was your first job?', fr: 'Quel a été votre premier emploi ?' },
    },
    {
      id: 'favourite-teacher',
      text: {
        en: 'What was the surname of your favourite teacher?',
        fr: 'Quel était le nom de famille de votre enseignant(e) préféré(e) ?',
      },
    },
    {
      id: 'childhood-street',
      text: { en: 'On which street did you live as a child?', fr: 'Dans quelle rue habitiez-vous enfant ?' },
    },
  ].map((question) => Object.freeze({ id: question.id, text: Object.freeze(question.text) })),
)
