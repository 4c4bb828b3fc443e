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

/**
 * A JSON data block for a page script (`<script type="application/json">`, never executed): `<`
 * is written as \u003c so no value can end the script element.
 */
export function jsonScript(id: string, v: unknown): Html {
  return html`<script type="application/json" id="${id}">${raw(JSON.stringify(v).replace(/</g, '\\u003c'))}</script>`;
}
