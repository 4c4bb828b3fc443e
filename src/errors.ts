/**
 * The one error type. Everything the API refuses is a Problem, written as RFC 9457
 * application/problem+json by the HTTP layer.
 */
import type { LanguageMessages } from 'joi';

export interface FieldError {
  field: string;
  message: string;
  row?: number;
}

export class Problem extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail?: string;
  readonly type: string;
  readonly errors?: FieldError[];
  readonly extra?: Record<string, unknown>;

  constructor(status: number, title: string, detail?: string, opts: { type?: string; errors?: FieldError[]; extra?: Record<string, unknown> } = {}) {
    super(detail ?? title);
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.type = opts.type ?? 'about:blank';
    this.errors = opts.errors;
    this.extra = opts.extra;
  }

  static badRequest(detail: string, errors?: FieldError[]): Problem {
    return new Problem(400, 'Bad Request', detail, { errors });
  }
  static unauthorized(detail = 'Du må være logget inn eller sende en gyldig API-nøkkel (bearer token).'): Problem {
    return new Problem(401, 'Unauthorized', detail);
  }
  static forbidden(detail = 'Rollen din gir ikke lov til dette.'): Problem {
    return new Problem(403, 'Forbidden', detail);
  }
  static notFound(detail = 'Fant ikke det du ba om.'): Problem {
    return new Problem(404, 'Not Found', detail);
  }
  static conflict(detail: string, extra?: Record<string, unknown>): Problem {
    return new Problem(409, 'Conflict', detail, { extra });
  }
  static unprocessable(detail: string, errors?: FieldError[]): Problem {
    return new Problem(422, 'Unprocessable Content', detail, { errors });
  }

  toJSON(instance?: string): Record<string, unknown> {
    return {
      type: this.type,
      title: this.title,
      status: this.status,
      ...(this.detail ? { detail: this.detail } : {}),
      ...(instance ? { instance } : {}),
      ...(this.errors ? { errors: this.errors } : {}),
      ...(this.extra ?? {}),
    };
  }
}

/**
 * Joi's messages in bokmål (staff see them on the pages; the field is named by its key, as in the
 * API). test/staff-text.test.ts checks that every rule our schemas use has an entry here.
 */
export const JOI_MESSAGES_NB: LanguageMessages = {
  'any.required': '{{#label}} mangler',
  'any.invalid': '{{#label}} har en verdi som ikke er tillatt',
  'any.only': '{{#label}} må være en av: {{#valids}}',
  'any.unknown': '{{#label}} er ikke tillatt her',
  'alternatives.match': '{{#label}} har feil form',
  'alternatives.types': '{{#label}} har feil type',
  'array.base': '{{#label}} må være en liste',
  'array.includesRequiredUnknowns': '{{#label}} mangler påkrevde verdier',
  'array.max': '{{#label}} kan ha høyst {{#limit}} verdier',
  'array.min': '{{#label}} må ha minst {{#limit}} verdi(er)',
  'array.length': '{{#label}} må ha {{#limit}} verdier',
  'array.unique': '{{#label}} har samme verdi to ganger',
  'array.sparse': '{{#label}} kan ikke ha tomme plasser',
  'boolean.base': '{{#label}} må være sann eller usann (true/false)',
  'date.base': '{{#label}} må være en dato',
  'date.format': '{{#label}} må være en dato og tid i ISO 8601-format',
  'date.min': '{{#label}} er for tidlig',
  'date.max': '{{#label}} er for sent',
  'number.base': '{{#label}} må være et tall',
  'number.integer': '{{#label}} må være et helt tall',
  'number.min': '{{#label}} må være minst {{#limit}}',
  'number.max': '{{#label}} kan være høyst {{#limit}}',
  'number.unsafe': '{{#label}} er for stort',
  'number.positive': '{{#label}} må være større enn null',
  'object.base': '{{#label}} må være et objekt',
  'object.unknown': '{{#label}} er ikke et kjent felt',
  'object.missing': '{{#label}} må ha minst ett av: {{#peersWithLabels}}',
  'object.min': '{{#label}} må ha minst {{#limit}} felt',
  'object.max': '{{#label}} kan ha høyst {{#limit}} felt',
  'object.xor': '{{#label}} kan bare ha ett av: {{#peersWithLabels}}',
  'object.nand': '{{#label}}: {{#mainWithLabel}} kan ikke brukes sammen med {{#peersWithLabels}}',
  'object.with': '{{#label}}: {{#mainWithLabel}} krever {{#peerWithLabel}}',
  'object.without': '{{#label}}: {{#mainWithLabel}} kan ikke brukes sammen med {{#peerWithLabel}}',
  'object.and': '{{#label}}: {{#presentWithLabels}} krever også {{#missingWithLabels}}',
  'object.oxor': '{{#label}} kan ha høyst ett av: {{#peersWithLabels}}',
  'object.pattern.match': '{{#label}} har ugyldige nøkler',
  'object.length': '{{#label}} må ha {{#limit}} felt',
  'string.base': '{{#label}} må være tekst',
  'string.empty': '{{#label}} kan ikke være tom',
  'string.min': '{{#label}} må være minst {{#limit}} tegn',
  'string.max': '{{#label}} kan være høyst {{#limit}} tegn',
  'string.length': '{{#label}} må være {{#limit}} tegn',
  'string.pattern.base': '{{#label}} har feil format',
  'string.pattern.name': '{{#label}} har feil format ({{#name}})',
  'string.email': '{{#label}} må være en gyldig e-postadresse',
  'string.uri': '{{#label}} må være en gyldig nettadresse',
  'string.uriCustomScheme': '{{#label}} må være en nettadresse som begynner med {{#scheme}}',
  'string.guid': '{{#label}} må være en gyldig GUID',
  'string.hex': '{{#label}} kan bare ha heksadesimale tegn',
  'string.alphanum': '{{#label}} kan bare ha bokstaver og tall',
  'string.token': '{{#label}} kan bare ha bokstaver, tall og understrek',
  'string.isoDate': '{{#label}} må være en dato i ISO 8601-format',
  'string.trim': '{{#label}} kan ikke begynne eller slutte med mellomrom',
  'string.lowercase': '{{#label}} må skrives med små bokstaver',
  'string.uppercase': '{{#label}} må skrives med store bokstaver',
  'string.domain': '{{#label}} må være et gyldig domenenavn',
  'string.hostname': '{{#label}} må være et gyldig vertsnavn',
  'string.ip': '{{#label}} må være en gyldig IP-adresse',
  'string.normalize': '{{#label}} må være unicode-normalisert',
};
