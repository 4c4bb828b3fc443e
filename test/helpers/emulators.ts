/** The development-only provider emulators, for tests (they live in dev/emulators; production never loads them). */
export * from '../../dev/emulators';
