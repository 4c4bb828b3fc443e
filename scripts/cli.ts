/** What the scripts share: one clear line on error, configuration from the environment. */
import { configFromEnvironment, ConfigError, type Config } from '../src/config';

export function fail(script: string, line: string, code = 1): never {
  process.stderr.write(`${script}: ${line.replace(/\s+/g, ' ').trim()}\n`);
  process.exit(code);
}

export function scriptConfig(script: string): Config {
  try {
    return configFromEnvironment();
  } catch (err) {
    if (err instanceof ConfigError) fail(script, err.message, 2);
    throw err;
  }
}

/** A database error as one line: what was tried and which variable to set. */
export function dbFailure(config: Config, err: any): string {
  if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', '3D000', '28P01'].includes(err?.code)) {
    const u = new URL(config.databaseUrl);
    if (u.password) u.password = '***';
    return `cannot use PostgreSQL at ${u.toString()} (${err.code}); set DATABASE_URL`;
  }
  return err?.detail ?? err?.message ?? String(err);
}
