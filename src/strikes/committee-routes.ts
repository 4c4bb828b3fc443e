import type { Api } from '../http/api';

/** Strike committees and guard lists. */
export function registerCommitteeRoutes(_api: Api): void {
  // none yet
}
