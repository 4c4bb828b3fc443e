import type { Config } from '../config';

/**
 * SendGrid's tracking settings for a mail-send request. Per-member open and click tracking is
 * off unless the union turns it on (TRACK_OPENS_AND_CLICKS): a tracking pixel or a rewritten
 * link records, per member, when they read what and what they clicked, which the seeds give no
 * purpose for. Put the result in every request: `{ ..., tracking_settings: trackingSettings(config) }`
 * (with @sendgrid/mail: `trackingSettings: { clickTracking: { enable, enableText }, openTracking: { enable } }`,
 * see sendgridTrackingSettings).
 */
export function trackingSettings(config: Pick<Config, 'trackOpensAndClicks'>): {
  open_tracking: { enable: boolean };
  click_tracking: { enable: boolean; enable_text: boolean };
  subscription_tracking: { enable: boolean };
} {
  const on = config.trackOpensAndClicks === true;
  return {
    open_tracking: { enable: on },
    click_tracking: { enable: on, enable_text: on },
    // Our own signed List-Unsubscribe links do this; SendGrid's would add a second, unsigned one.
    subscription_tracking: { enable: false },
  };
}

/** The same in @sendgrid/mail's camelCase MailDataRequired shape (`msg.trackingSettings`). */
export function sendgridTrackingSettings(config: Pick<Config, 'trackOpensAndClicks'>): {
  openTracking: { enable: boolean };
  clickTracking: { enable: boolean; enableText: boolean };
  subscriptionTracking: { enable: boolean };
} {
  const t = trackingSettings(config);
  return {
    openTracking: { enable: t.open_tracking.enable },
    clickTracking: { enable: t.click_tracking.enable, enableText: t.click_tracking.enable_text },
    subscriptionTracking: { enable: false },
  };
}
