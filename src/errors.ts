/**
 * The one error type. Everything the API refuses is a Problem, written as RFC 9457
 * application/problem+json by the HTTP layer.
 */
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
  static unauthorized(detail = 'A valid bearer token is required.'): Problem {
    return new Problem(401, 'Unauthorized', detail);
  }
  static forbidden(detail = 'Your role does not allow this.'): Problem {
    return new Problem(403, 'Forbidden', detail);
  }
  static notFound(detail = 'Not found.'): Problem {
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
