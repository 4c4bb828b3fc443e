/**
 * Prints the current two-factor code of the demo staff users (`npm run demo-code`): the demo
 * union's admin and communications users are enrolled with the published demo-only secret
 * (src/demo/seed.ts, README "Signing in"). Refused in production, where no one has that secret.
 */
import { configFromEnvironment, ConfigError } from '../src/config';
import { TOTP_PERIOD, totpCode } from '../src/auth';
import { DEMO_TOTP_SECRET } from '../src/demo/seed';

try {
  const config = configFromEnvironment();
  if (config.nodeEnv === 'production') {
    process.stderr.write('demo-code: the demo union and its secret do not exist in production\n');
    process.exit(1);
  }
} catch (err) {
  process.stderr.write(`demo-code: ${err instanceof ConfigError ? err.message : String(err)}\n`);
  process.exit(1);
}
const now = Math.floor(Date.now() / 1000);
const left = TOTP_PERIOD - (now % TOTP_PERIOD);
process.stdout.write(`${totpCode(DEMO_TOTP_SECRET, now)}  (demo staff, valid ${left} more second${left === 1 ? '' : 's'}; each code signs in once)\n`);
