/**
 * A tiny escaped-template helper: `html\`<p>${value}</p>\`` escapes every interpolated value
 * unless it is itself Html (built by `html` or `raw`). Arrays are joined. null/undefined/false
 * render as nothing.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string { return this.value; }
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESC[c]);
}

function part(v: unknown): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Html) return v.value;
  if (Array.isArray(v)) return v.map(part).join('');
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += part(values[i]) + strings[i + 1];
  return new Html(out);
}

/** Trusted markup, never member or user input. */
export function raw(s: string): Html {
  return new Html(s);
}

/** A JSON value for a data attribute: escaped by the attribute quoting. */
export function jsonAttr(v: unknown): string {
  return JSON.stringify(v);
}
