import crypto from 'node:crypto';

/**
 * The keys a webhook test signs with, as the providers do: a real P-256 key pair for SendGrid's
 * signed event webhook (ECDSA over timestamp + body) and a Twilio auth token. `env` configures the
 * hub to trust them.
 */
export function webhookSigning(twilioAuthToken: string) {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const sendgridPublicKey = publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  return {
    sendgridPublicKey,
    twilioAuthToken,
    env: { SENDGRID_WEBHOOK_PUBLIC_KEY: sendgridPublicKey, TWILIO_AUTH_TOKEN: twilioAuthToken },
    /** SendGrid's signature headers for `body` sent at `ts` (seconds, as a string). */
    signSendgrid(body: string, ts: string): Record<string, string> {
      const sig = crypto.sign('sha256', Buffer.from(ts + body), privateKey).toString('base64');
      return { 'X-Twilio-Email-Event-Webhook-Signature': sig, 'X-Twilio-Email-Event-Webhook-Timestamp': ts, 'content-type': 'application/json' };
    },
  };
}
