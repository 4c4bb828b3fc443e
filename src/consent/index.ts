import type express from 'express';
import type { Hub } from '../hub';
import { mountMemberPages } from './pages';
import { mountEntryPages } from './entry';
import { mountProviderWebhooks } from './webhooks';

/**
 * Consent: categories, the decision, the ledger, suppressions, signed links, member pages and
 * provider webhooks. Other areas import only from here.
 */
export {
  reachableSql, unreachableReasonSql, decisionJoinSql, categoryFacts, decideBatch, decideBatchWith, decideFacts, preferredChannelSql, preferenceJoinSql, CHANNELS,
  type Channel, type ColumnsWithDecision, type Decision, type DecisionJoin, type DecisionOptions, type UnreachableReason, type MemberFacts, type CategoryFacts,
} from './decision';
export { recordConsentChange, CONSENT_SOURCES, type ConsentChange, type ConsentChangeResult, type ConsentSource } from './ledger';
export { suppress, normaliseAddress, type SuppressionChannel, type SuppressionReason } from './suppressions';
export { listCategories, type Category } from './categories';
export { GROUP_COMMIT_DEFAULTS } from './group-commit';
export {
  unsubscribeUrl, preferencesUrl, verifyLinkToken, signLinkToken, signLinkTokens,
  type LinkClaims, type LinkToSign, type VerifiedLink, type LinkPurpose, type LinkFailure,
} from './links';
export { registerConsentRoutes, memberConsents } from './routes';
export { issueLetterCodes, letterCodeFor, normaliseLetterCode, memberOfLetterCode } from './letter-codes';
export { SENDGRID_CUSTOM_ARGS } from './webhooks/sendgrid';
export { registerProviderEventRoutes } from './webhooks/routes';

/** APP_MODULES entry: member pages (/u, /p, /preferences) and provider webhooks (/webhooks/...). */
export function mountConsent(app: express.Express, hub: Hub): void {
  mountEntryPages(app, hub);
  mountMemberPages(app, hub);
  mountProviderWebhooks(app, hub);
}
export { categorySchema, suppressionSchema, memberConsentsSchema } from './responses';
