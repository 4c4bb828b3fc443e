/** The development-only provider emulators, for tests (they live in dev/emulators; production never loads them). */
export * from '../../dev/emulators';

import { ProviderError } from '../../src/providers';

/** The ProviderError a provider call is rejected with (fails the test if it resolves or throws anything else). */
export async function rejection(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ProviderError);
    return e as ProviderError;
  }
  throw new Error('expected a ProviderError');
}
