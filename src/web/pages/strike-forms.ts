import Joi from 'joi';
import { DateTime } from 'luxon';
import { Problem } from '../../errors';
import { STRIKE_PURPOSE_LABEL } from '../../strikes';

/**
 * The strike pages' form bodies, each a joi schema like every /api body: a field that is missing,
 * too long or of the wrong kind is a 400 problem naming the field, in Norwegian, before anything is
 * called. The functions behind the forms still own their rules (states, scopes, keys).
 */
const ZONE = 'Europe/Oslo';

/** Joi's messages in bokmål, for staff. */
const NB: Joi.LanguageMessages = {
  'any.required': '{{#label}} mangler',
  'string.empty': '{{#label}} mangler',
  'string.base': '{{#label}} må være tekst',
  'string.max': '{{#label}} er for langt',
  'string.pattern.base': '{{#label}} har feil format',
  'string.uri': '{{#label}} må være en nettadresse',
  'string.uriCustomScheme': '{{#label}} må være en nettadresse (https)',
  'string.email': '{{#label}} må være en e-postadresse',
  'number.base': '{{#label}} må være et tall',
  'number.integer': '{{#label}} må være et helt tall',
  'number.min': '{{#label}} er for lite',
  'number.max': '{{#label}} er for stort',
  'number.unsafe': '{{#label}} er for stort',
  'array.base': '{{#label}} har feil format',
  'array.min': 'velg minst én: {{#label}}',
  'array.max': 'for mange valgt: {{#label}}',
  'any.only': '{{#label}} har en ukjent verdi',
  'object.unknown': '{{#label}} hører ikke til skjemaet',
};

const id = (label: string) => Joi.number().integer().min(1).max(Number.MAX_SAFE_INTEGER).label(label);
const text = (label: string, max = 200) => Joi.string().trim().min(1).max(max).label(label);
/** A datetime-local field (read as Oslo time by osloTime). */
const localTime = (label: string) => Joi.string().pattern(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/).label(label);
const ids = (label: string) => Joi.array().items(id(label)).single().max(500).label(label);
const form = (keys: Record<string, Joi.Schema>) => Joi.object({ _csrf: Joi.any().strip(), ...keys });

export const STRIKE_FORMS = {
  newStrike: form({ name: text('Navn').required(), agreementId: id('Tariffavtale').required(), mediationDeadline: localTime('Meklingsfrist').allow('') }),
  state: form({ state: Joi.string().valid('notice_given', 'on_strike', 'ended').required().label('Status') }),
  phase: form({ name: text('Navn').required(), startsAt: localTime('Fra').required(), workplaces: ids('Arbeidssteder').min(1).required() }),
  takeBack: form({
    phaseId: id('Uttak').required(), workplaces: ids('Arbeidssteder').default([]),
    memberNumbers: Joi.string().allow('').max(20_000).default('').label('Medlemsnumre'),
  }),
  message: form({
    purpose: Joi.string().valid(...Object.keys(STRIKE_PURPOSE_LABEL)).required().label('Formål'),
    phaseId: id('Uttak').allow(''), name: text('Navn på meldingen').required(), templateId: id('Mal').required(),
    info: Joi.string().uri({ scheme: ['https', 'http'] }).max(2000).required().label('Lenke til streikesiden'),
  }),
  exportList: form({
    which: Joi.string().pattern(/^\d{1,15}:\d{1,15}$/).required().label('Uttak og arbeidsgiver'),
    format: Joi.string().valid('csv', 'pgp').default('csv').label('Format'),
    publicKey: Joi.string().trim().allow('').max(100_000).label('OpenPGP-nøkkel'),
  }),
  committee: form({ name: text('Navn').required(), location: text('Sted').required() }),
  committeeMember: form({ name: text('Navn').required(), email: Joi.string().trim().email({ tlds: { allow: false } }).max(254).required().label('E-post') }),
  guard: form({
    name: text('Navn').required(), phone: Joi.string().trim().allow('').max(30).label('Telefon'),
    email: Joi.string().trim().allow('').email({ tlds: { allow: false } }).max(254).label('E-post'), shareConsent: Joi.string().valid('1').label('Samtykke'),
  }),
  shift: form({ place: text('Sted').required(), startsAt: localTime('Fra').required(), endsAt: localTime('Til').required(), guardId: id('Vakt').allow('') }),
} as const;

/** The form body as its schema allows it, or a 400 problem naming each field that is wrong. */
export function readForm<T = Record<string, any>>(schema: Joi.ObjectSchema, body: unknown): T {
  const { value, error } = schema.validate(body ?? {}, { abortEarly: false, convert: true, messages: NB, errors: { wrap: { label: false } } });
  if (error) throw Problem.badRequest('Skjemaet har feil', error.details.map((d) => ({ field: d.path.join('.'), message: d.message })));
  return value as T;
}

/** A datetime-local value (already checked by its schema) as Oslo time. */
export function osloTime(v: string, field: string): Date {
  const d = DateTime.fromISO(v, { zone: ZONE });
  if (!d.isValid) throw Problem.badRequest('Skjemaet har feil', [{ field, message: `${field} er ikke et gyldig tidspunkt` }]);
  return d.toJSDate();
}
