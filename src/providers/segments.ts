/** The SMS length counter lives in src/segments (one counter for renderer, adapter, emulator). */
export { smsLength, overSmsLimit, SMS_MAX_CHARACTERS, type SmsLength, type SmsEncoding } from '../segments';
