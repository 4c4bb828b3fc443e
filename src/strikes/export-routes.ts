import type { Api } from '../http/api';

/** Plassoppsigelse exports (filled in by src/strikes/exports.ts). */
export function registerStrikeExportRoutes(_api: Api): void {
  // none yet
}
