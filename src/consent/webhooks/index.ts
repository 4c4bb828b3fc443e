import type express from 'express';
import type { Hub } from '../../hub';
import { mountSendgridWebhook } from './sendgrid';
import { mountTwilioWebhooks } from './twilio';

/** Provider webhooks: SendGrid Event Webhook, Twilio inbound SMS and status callbacks. */
export function mountProviderWebhooks(app: express.Express, hub: Hub): void {
  mountSendgridWebhook(app, hub);
  mountTwilioWebhooks(app, hub);
}

export { verifySendgridSignature, applySendgridEvent, SENDGRID_CUSTOM_ARGS, SENDGRID_SIGNATURE_HEADER, SENDGRID_TIMESTAMP_HEADER } from './sendgrid';
export { keywordOf, helpText, applyInboundSms, applySmsStatus } from './twilio';
