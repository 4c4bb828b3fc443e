/**
 * Providers: the SendGrid and Twilio adapters the campaign workers call, their one error type,
 * SMS length counting (the loopback emulators are development-only code in dev/emulators).
 */
export { ProviderError, isProviderError, type ProviderErrorKind, type ProviderErrorDetail, type FailureClass, type SuppressionReason } from './errors';
export {
  createEmailProvider, classifySendgridError, toSendgridBody, SENDGRID_FAILURES,
  type EmailProvider, type EmailProviderOptions, type EmailSendResult, type SendgridMailBody, type SendgridPersonalization, type SendgridAddress,
} from './email';
export {
  createSmsProvider, classifyTwilioError, TWILIO_FAILURES, TWILIO_INVALID_NUMBER_CODES, TWILIO_OPTED_OUT_CODE,
  type SmsProvider, type SmsProviderOptions, type SmsSendInput, type SmsSendResult,
} from './sms';
export { smsLength, overSmsLimit, SMS_MAX_CHARACTERS, type SmsLength, type SmsEncoding } from './segments';
