import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { AppError } from '../../src/errors/app-error.ts'
import { defaultSecurityQuestions } from '../../src/flows/security-questions/default-questions.ts'
import {
  isAnswerTooLong,
  MAX_ANSWER_LENGTH,
  normalizeAnswer,
} from '../../src/flows/security-questions/normalize-answer.ts'
import {
  checkQuestionList,
  questionListProblems,
  questionText,
  type SecurityQuestion,
} from '../../src/flows/security-questions/question-list.ts'

describe('security answers are normalised', () => {
  it('ignores case and every kind of white space', () => {
    for (const variant of [
      'New York',
      'new york',
      'NEWYORK',
      '  new\tyork\n',
      'New\u00a0York',
      'New\u3000York',
    ])
      assert.equal(normalizeAnswer(variant), 'newyork', JSON.stringify(variant))
    assert.equal(normalizeAnswer('\u0085x\u2028y\ufeff'), 'xy', 'next line, line separator, BOM')
  })

  it('compares compatibility forms equal (NFKC): full-width letters, ligatures, composed accents', () => {
    assert.equal(normalizeAnswer('ＢＥＲＬＩＮ'), 'berlin')
    assert.equal(normalizeAnswer('ﬁdo'), 'fido')
    assert.equal(normalizeAnswer('Zo\u0065\u0308'), normalizeAnswer('Zoë'))
    assert.equal(normalizeAnswer('Zoe \u0308'), 'zoë', 'a mark separated by a space joins its letter')
  })

  it('lower-cases without regard to the server locale', () => {
    assert.equal(normalizeAnswer('ISTANBUL'), 'istanbul')
    assert.equal(normalizeAnswer('ΟΔΥΣΣΕΑΣ'), 'οδυσσεας')
  })

  it('is stable: normalising a normalised answer changes nothing', () => {
    for (const raw of ['New York', '¨a', 'A\u00a8 b', 'e \u0301', 'ＡＢＣ', 'İstanbul', 'Straße', '㍿ ㌔'])
      assert.equal(normalizeAnswer(normalizeAnswer(raw)), normalizeAnswer(raw), JSON.stringify(raw))
  })

  it('leaves nothing of an answer made of spaces', () => {
    assert.equal(normalizeAnswer(''), '')
    assert.equal(normalizeAnswer(' \t\n\u00a0\u3000'), '')
  })

  it(`counts the length in characters: ${MAX_ANSWER_LENGTH} is accepted, one more is not`, () => {
    assert.equal(isAnswerTooLong('a'.repeat(MAX_ANSWER_LENGTH)), false)
    assert.equal(isAnswerTooLong('a'.repeat(MAX_ANSWER_LENGTH + 1)), true)
    assert.equal(isAnswerTooLong('😀'.repeat(MAX_ANSWER_LENGTH)), false, 'two UTF-16 units, one character')
    assert.equal(isAnswerTooLong('😀'.repeat(MAX_ANSWER_LENGTH + 1)), true)
  })
})

describe('security question lists are checked as a whole', () => {
  const question = (id: string, text: Record<string, unknown> = { en: `Question ${id}?` }) => ({ id, text })
  const problemsOf = (input: unknown, minimum = 1) => questionListProblems(input, minimum).problems

  it('accepts a good list and returns it canonical: locale tags normalised, texts trimmed', () => {
    const list = checkQuestionList(
      [
        question('first-pet', {
          en: '  Your first pet?  ',
          FR: 'Votre premier animal ?',
          pt_br: 'Seu primeiro pet?',
        }),
        question('9-lives'),
      ],
      2,
    )
    assert.deepEqual(list, [
      {
        id: 'first-pet',
        text: { en: 'Your first pet?', fr: 'Votre premier animal ?', 'pt-BR': 'Seu primeiro pet?' },
      },
      { id: '9-lives', text: { en: 'Question 9-lives?' } },
    ])
  })

  it('refuses with every problem named by its pointer, and throws security-questions.invalid', () => {
    const input = [
      question('Bad Id'),
      question('-leading-hyphen'),
      question('a'.repeat(65)),
      question('ok'),
      question('ok'),
      question('no-english', { fr: 'Seulement en français ?' }),
      question('empty-text', { en: '   ' }),
      question('long-text', { en: 'x'.repeat(301) }),
      question('bad-locale', { en: 'Fine?', 'not a tag': 'x' }),
      question('twice', { en: 'One?', EN: 'Two?' }),
      question('number', { en: 42 }),
      { id: 'extra', text: { en: 'Extra?' }, answer: 'no' },
      'not an object',
      { id: 'no-text' },
    ]
    const problems = problemsOf(input)
    const pointers = problems.map((problem) => problem.pointer)
    assert.deepEqual(pointers, [
      '/questions/0/id',
      '/questions/1/id',
      '/questions/2/id',
      '/questions/4/id',
      '/questions/5/text/en',
      '/questions/6/text/en',
      '/questions/7/text/en',
      '/questions/8/text/not a tag',
      '/questions/9/text/EN',
      '/questions/10/text/en',
      '/questions/11/answer',
      '/questions/12',
      '/questions/13/text',
    ])
    assert.match(problems[3]!.message, /repeats the id of \/questions\/3/)
    assert.match(problems[4]!.message, /English/)
    assert.throws(
      () => checkQuestionList(input, 1),
      (error: unknown) =>
        error instanceof AppError &&
        error.code === 'security-questions.invalid' &&
        error.status === 400 &&
        error.details.errors?.length === problems.length,
    )
  })

  it('accepts 300 characters of text and ids of 64 characters', () => {
    assert.deepEqual(problemsOf([question('a'.repeat(64), { en: 'x'.repeat(300) })]), [])
  })

  it('needs 1 to 50 questions, and at least as many as users answer', () => {
    assert.deepEqual(
      problemsOf([]).map((problem) => problem.pointer),
      ['/questions'],
    )
    assert.deepEqual(problemsOf({ questions: [] }), [
      { pointer: '/questions', message: 'must be a list of questions' },
    ])
    const fifty = Array.from({ length: 50 }, (_, index) => question(`q${index}`))
    assert.deepEqual(problemsOf(fifty), [])
    assert.deepEqual(
      problemsOf([...fifty, question('q50')]).map((problem) => problem.message),
      ['must hold at most 50 questions'],
    )
    assert.deepEqual(
      problemsOf([question('a'), question('b')], 3).map((problem) => problem.message),
      ['must hold at least 3 questions: users answer 3'],
    )
    assert.deepEqual(problemsOf([question('a'), question('b'), question('c')], 3), [])
  })

  it('ships a valid default list of ten questions, each in English and French', () => {
    const list = checkQuestionList(defaultSecurityQuestions, 10)
    assert.equal(list.length, 10)
    assert.ok(list.some((entry) => entry.id === 'first-pet'))
    assert.ok(list.some((entry) => entry.id === 'birth-city'))
    for (const entry of list) assert.deepEqual(Object.keys(entry.text).sort(), ['en', 'fr'], entry.id)
  })
})

describe('a question is read in the best locale it has', () => {
  const question: SecurityQuestion = {
    id: 'q',
    text: { en: 'English', fr: 'Français', 'pt-BR': 'Português do Brasil', de: 'Deutsch' },
  }

  it('exactly, then by language, then in another variant of the language, then in English', () => {
    assert.equal(questionText(question, 'pt-BR'), 'Português do Brasil')
    assert.equal(questionText(question, 'pt_br'), 'Português do Brasil')
    assert.equal(questionText(question, 'fr-CA'), 'Français')
    assert.equal(questionText(question, 'pt-PT'), 'Português do Brasil')
    assert.equal(questionText(question, 'ja'), 'English')
    assert.equal(questionText(question, 'not a tag'), 'English')
  })

  it('takes the first preferred locale the question has', () => {
    assert.equal(questionText(question, ['ja', 'de-AT', 'fr']), 'Deutsch')
    assert.equal(questionText(question, ['ja', 'ko']), 'English')
    assert.equal(questionText(question, []), 'English')
  })
})
