import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Hub } from '../../src/hub';
import { createStaffUser, twoFactorRequired, type Role, type Staff } from '../../src/auth';
import { enrolForTests, nextSecondFactor, type TwoFactorUser } from '../helpers/two-factor';
import { setPassword } from '../../src/web';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = path.resolve(__dirname, '../artifacts');
export const PASSWORD = 'riktig-hest-batteri-stift';

export interface TestBrowser {
  browser: Browser;
  newPage(opts?: { width?: number; height?: number; mobile?: boolean }): Promise<Page>;
  close(): Promise<void>;
}

/** Debian's chromium, headless; playwright gives every launch a fresh temporary user-data dir of its own. */
export async function launchBrowser(): Promise<TestBrowser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  const contexts: BrowserContext[] = [];
  return {
    browser,
    async newPage(opts = {}) {
      const ctx = await browser.newContext({
        viewport: { width: opts.width ?? 1280, height: opts.height ?? 900 },
        isMobile: opts.mobile ?? false,
        hasTouch: opts.mobile ?? false,
        deviceScaleFactor: opts.mobile ? 2 : 1,
        locale: 'nb-NO',
        timezoneId: 'Europe/Oslo',
      });
      contexts.push(ctx);
      const page = await ctx.newPage();
      // A wait for an element is a wait for a state; generous, so it holds beside a second CI run.
      page.setDefaultTimeout(150_000);
      page.setDefaultNavigationTimeout(30_000);
      return page;
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close();
    },
  };
}

/**
 * A staff user with a password; one whose role must have two-factor sign-in (STAFF_2FA_REQUIRED)
 * is also enrolled with the test secret, so signIn completes the code step as a person would.
 */
export async function staffWithPassword(hub: Hub, role: Role, opts: { memberId?: number; email?: string; name?: string; twoFactor?: boolean } = {}):
  Promise<Staff & { password: string } & Partial<Awaited<ReturnType<typeof enrolForTests>>>> {
  const staff = await createStaffUser(hub.db, {
    email: opts.email ?? `${role}-${Math.random().toString(36).slice(2, 8)}@test.example`,
    name: opts.name ?? `Test ${role}`, role, memberId: opts.memberId ?? null,
  });
  await setPassword(hub.db, staff.id, PASSWORD);
  const enrol = opts.twoFactor ?? twoFactorRequired(hub.config, role);
  return { ...staff, password: PASSWORD, ...(enrol ? await enrolForTests(hub, staff) : {}) };
}

/** Signs in through the real pages: the password, then the code from the authenticator when asked. */
export async function signIn(page: Page, baseUrl: string, user: TwoFactorUser & { password: string }, next = '/app'): Promise<void> {
  await page.goto(`${baseUrl}/app/login?next=${encodeURIComponent(next)}`);
  await page.getByLabel('E-postadresse').fill(user.email);
  await page.getByLabel('Passord').fill(user.password);
  await Promise.all([page.waitForURL((u) => !u.pathname.endsWith('/login')), page.getByRole('button', { name: 'Logg inn' }).click()]);
  if (new URL(page.url()).pathname === '/app/login/code') {
    await page.getByLabel('Kode', { exact: true }).fill(await nextSecondFactor(user));
    await Promise.all([page.waitForURL((u) => u.pathname !== '/app/login/code'), page.getByRole('button', { name: 'Logg inn' }).click()]);
  }
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Serious or critical axe-core violations on the page (injected without a <script> tag the CSP would block). */
export async function axeViolations(page: Page): Promise<{ id: string; impact: string; help: string; nodes: string[] }[]> {
  // page.evaluate runs in the page's isolated world through the DevTools protocol; CSP does not apply.
  await page.evaluate(AXE_SOURCE);
  const result: any = await page.evaluate(async () => (window as any).axe.run(document, { resultTypes: ['violations'] }));
  return result.violations
    .filter((v: any) => v.impact === 'serious' || v.impact === 'critical')
    .map((v: any) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n: any) => n.target.join(' ')).slice(0, 5) }));
}

/** A JSON call to /api from inside the signed-in page (its session cookie and CSRF token), as the page's own scripts make it. */
export async function apiAs(page: Page, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  return page.evaluate(async ([m, p, bd]) => {
    const csrf = document.querySelector('meta[name="csrf-token"]')!.getAttribute('content')!;
    const res = await fetch(p as string, { method: m as string, headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: bd === undefined ? undefined : JSON.stringify(bd) });
    return { status: res.status, body: await res.json().catch(() => null) };
  }, [method, path, body] as const);
}
