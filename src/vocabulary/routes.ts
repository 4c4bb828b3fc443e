import Joi from 'joi';
import type { Api } from '../http/api';
import { shape } from '../http/schemas';
import { VOCABULARY } from './index';

export function registerVocabularyRoutes(api: Api): void {
  api.get('/vocabulary', {
    summary: 'Every enumeration (statuses, categories, channels, states, reasons, roles) with its nb/nn/en labels',
    roles: ['admin', 'communications', 'representative', 'auditor'],
    tags: ['reference'],
    responses: { 200: Joi.object().pattern(Joi.string(), Joi.object().pattern(Joi.string(), shape({ nb: Joi.string(), nn: Joi.string(), en: Joi.string() })))
      .description('enumeration → value → its labels') },
  }, () => VOCABULARY);
}
