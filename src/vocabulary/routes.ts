import type { Api } from '../http/api';
import { VOCABULARY } from './index';

export function registerVocabularyRoutes(api: Api): void {
  api.get('/vocabulary', {
    summary: 'Every enumeration (statuses, categories, channels, states, reasons, roles) with its nb/nn/en labels',
    roles: ['admin', 'communications', 'representative', 'auditor'],
    tags: ['reference'],
  }, () => VOCABULARY);
}
