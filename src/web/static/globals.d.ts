/**
 * Types of the helpers app.js puts on window.Budstikke, for the JSDoc-typed page scripts
 * (tsconfig.browser.json). Keep in step with app.js: the typecheck fails when they differ.
 */
interface BudstikkeProblem {
  type?: string;
  title?: string;
  detail?: string;
  status?: number;
  errors?: { field?: string; message: string; row?: number; line?: number }[];
  [key: string]: unknown;
}

interface BudstikkeApiError {
  status: number;
  problem: BudstikkeProblem;
  message: string;
}

interface BudstikkeApiOptions { raw?: boolean; contentType?: string; blob?: boolean; keepalive?: boolean }

/** One enumeration's labels in bokmål, by value (from GET /api/vocabulary or the page). */
type BudstikkeLabels = Record<string, string>;

interface Budstikke {
  /** fetch /api with the session cookie; changes carry X-CSRF-Token. Resolves JSON (null for 204). */
  api(method: string, path: string, body?: unknown, opts?: BudstikkeApiOptions): Promise<any>;
  esc(s: unknown): string;
  dt(v: string | number | Date | null | undefined): string;
  num(n: number | null | undefined): string;
  problemText(err: unknown): string;
  showError(el: HTMLElement, err: unknown): void;
  label(kind: string, v: string | null | undefined): string;
  loadReference(select: HTMLSelectElement, name: string): Promise<any[]>;
  csrf: string;
  /** The element with this id (of this type); throws when the page lacks it. */
  byId(id: string): HTMLElement;
  byId<T extends Element>(id: string, type: { new (): T; prototype: T }): T;
  /** The first element under root matching sel (of this type); throws when missing. */
  q(root: ParentNode, sel: string): HTMLElement;
  q<T extends Element>(root: ParentNode, sel: string, type: { new (): T; prototype: T }): T;
  /** The event's target or its nearest ancestor matching sel. */
  closest(e: Event, sel: string): HTMLElement | null;
}

interface Window { Budstikke: Budstikke }
