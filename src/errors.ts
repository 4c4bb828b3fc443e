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
 * API). test/staff-text.test.ts checks that every message joi has for the types src/ uses is here.
 */
export const JOI_MESSAGES_NB: LanguageMessages = {
  'any.custom': '{{#label}} er ugyldig: {{#error.message}}',
  'any.default': '{{#label}}: standardverdien kunne ikke settes',
  'any.failover': '{{#label}}: reserveverdien kunne ikke settes',
  'any.invalid': '{{#label}} har en verdi som ikke er tillatt',
  'any.only': '{{#label}} må være en av: {{#valids}}',
  'any.ref': '{{#label}} viser til {{:#ref}}, som {{#reason}}',
  'any.required': '{{#label}} mangler',
  'any.unknown': '{{#label}} er ikke tillatt her',
  'alternatives.all': '{{#label}} passer ikke med alle de påkrevde formene',
  'alternatives.any': '{{#label}} har ingen av de tillatte formene',
  'alternatives.match': '{{#label}} har ingen av de tillatte formene',
  'alternatives.one': '{{#label}} passer med mer enn én tillatt form',
  'alternatives.types': '{{#label}} må være en av typene {{#types}}',
  'array.base': '{{#label}} må være en liste',
  'array.excludes': '{{#label}} har en verdi som ikke er tillatt',
  'array.hasKnown': '{{#label}} mangler en påkrevd verdi',
  'array.hasUnknown': '{{#label}} mangler en påkrevd verdi',
  'array.includes': '{{#label}} har en verdi av feil type',
  'array.includesRequiredBoth': '{{#label}} mangler påkrevde verdier',
  'array.includesRequiredKnowns': '{{#label}} mangler {{#knownMisses}}',
  'array.includesRequiredUnknowns': '{{#label}} mangler påkrevde verdier',
  'array.length': '{{#label}} må ha {{#limit}} verdier',
  'array.max': '{{#label}} kan ha høyst {{#limit}} verdier',
  'array.min': '{{#label}} må ha minst {{#limit}} verdi(er)',
  'array.orderedLength': '{{#label}} kan ha høyst {{#limit}} verdier',
  'array.sort': '{{#label}} må være sortert',
  'array.sort.mismatching': '{{#label}} kan ikke sorteres (ulike typer)',
  'array.sort.unsupported': '{{#label}} kan ikke sorteres',
  'array.sparse': '{{#label}} kan ikke ha tomme plasser',
  'array.unique': '{{#label}} har samme verdi to ganger',
  'boolean.base': '{{#label}} må være sann eller usann (true/false)',
  'date.base': '{{#label}} må være en gyldig dato',
  'date.format': '{{#label}} må være en dato og tid i ISO 8601-format',
  'date.greater': '{{#label}} må være etter {{:#limit}}',
  'date.less': '{{#label}} må være før {{:#limit}}',
  'date.max': '{{#label}} kan ikke være etter {{:#limit}}',
  'date.min': '{{#label}} kan ikke være før {{:#limit}}',
  'date.format.iso': 'ISO 8601-dato',
  'date.format.javascript': 'tidsstempel i millisekunder',
  'date.format.unix': 'tidsstempel i sekunder',
  'link.depth': '{{#label}}: lenken går for dypt',
  'link.maxRecursion': '{{#label}}: filteret er nøstet for dypt',
  'number.base': '{{#label}} må være et tall',
  'number.greater': '{{#label}} må være større enn {{#limit}}',
  'number.infinity': '{{#label}} kan ikke være uendelig',
  'number.integer': '{{#label}} må være et helt tall',
  'number.less': '{{#label}} må være mindre enn {{#limit}}',
  'number.max': '{{#label}} kan være høyst {{#limit}}',
  'number.min': '{{#label}} må være minst {{#limit}}',
  'number.multiple': '{{#label}} må være et multiplum av {{#multiple}}',
  'number.negative': '{{#label}} må være et negativt tall',
  'number.port': '{{#label}} må være et gyldig portnummer',
  'number.positive': '{{#label}} må være større enn null',
  'number.precision': '{{#label}} kan ha høyst {{#limit}} desimaler',
  'number.unsafe': '{{#label}} er for stort',
  'object.and': '{{#label}}: {{#presentWithLabels}} krever også {{#missingWithLabels}}',
  'object.assert': '{{#label}} er ugyldig',
  'object.base': '{{#label}} må være et objekt',
  'object.instance': '{{#label}} har feil type',
  'object.length': '{{#label}} må ha {{#limit}} felt',
  'object.max': '{{#label}} kan ha høyst {{#limit}} felt',
  'object.min': '{{#label}} må ha minst {{#limit}} felt',
  'object.missing': '{{#label}} må ha minst ett av: {{#peersWithLabels}}',
  'object.nand': '{{:#mainWithLabel}} kan ikke brukes sammen med {{#peersWithLabels}}',
  'object.oxor': '{{#label}} kan ha høyst ett av: {{#peersWithLabels}}',
  'object.pattern.match': '{{#label}} har ugyldige nøkler',
  'object.refType': '{{#label}} har feil type',
  'object.regex': '{{#label}} har feil type',
  'object.rename.multiple': '{{#label}}: {{:#from}} kan ikke gis nytt navn',
  'object.rename.override': '{{#label}}: {{:#from}} kan ikke gis nytt navn fordi {{:#to}} finnes',
  'object.rename.proto': '{{#label}}: {{:#from}} kan ikke gis nytt navn',
  'object.schema': '{{#label}} har feil type',
  'object.unknown': '{{#label}} er ikke et kjent felt',
  'object.with': '{{:#mainWithLabel}} krever {{:#peerWithLabel}}',
  'object.without': '{{:#mainWithLabel}} kan ikke brukes sammen med {{:#peerWithLabel}}',
  'object.xor': '{{#label}} kan bare ha ett av: {{#peersWithLabels}}',
  'string.alphanum': '{{#label}} kan bare ha bokstaver og tall',
  'string.base': '{{#label}} må være tekst',
  'string.base64': '{{#label}} må være gyldig base64',
  'string.creditCard': '{{#label}} må være et kortnummer',
  'string.dataUri': '{{#label}} må være en gyldig data-URI',
  'string.domain': '{{#label}} må være et gyldig domenenavn',
  'string.email': '{{#label}} må være en gyldig e-postadresse',
  'string.empty': '{{#label}} kan ikke være tom',
  'string.guid': '{{#label}} må være en gyldig GUID',
  'string.hex': '{{#label}} kan bare ha heksadesimale tegn',
  'string.hexAlign': '{{#label}} må ha et partall heksadesimale tegn',
  'string.hostname': '{{#label}} må være et gyldig vertsnavn',
  'string.ip': '{{#label}} må være en gyldig IP-adresse',
  'string.ipVersion': '{{#label}} må være en gyldig IP-adresse ({{#version}})',
  'string.isoDate': '{{#label}} må være en dato i ISO 8601-format',
  'string.isoDuration': '{{#label}} må være en varighet i ISO 8601-format',
  'string.length': '{{#label}} må være {{#limit}} tegn',
  'string.lowercase': '{{#label}} må skrives med små bokstaver',
  'string.max': '{{#label}} kan være høyst {{#limit}} tegn',
  'string.min': '{{#label}} må være minst {{#limit}} tegn',
  'string.normalize': '{{#label}} må være unicode-normalisert ({{#form}})',
  'string.token': '{{#label}} kan bare ha bokstaver, tall og understrek',
  'string.pattern.base': '{{#label}} har feil format',
  'string.pattern.name': '{{#label}} har feil format ({{#name}})',
  'string.pattern.invert.base': '{{#label}} har feil format',
  'string.pattern.invert.name': '{{#label}} har feil format ({{#name}})',
  'string.trim': '{{#label}} kan ikke begynne eller slutte med mellomrom',
  'string.uri': '{{#label}} må være en gyldig nettadresse',
  'string.uriCustomScheme': '{{#label}} må være en nettadresse som begynner med {{#scheme}}',
  'string.uriRelativeOnly': '{{#label}} må være en relativ nettadresse',
  'string.uppercase': '{{#label}} må skrives med store bokstaver',
};
