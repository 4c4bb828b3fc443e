import Joi from 'joi';
import dotenv from 'dotenv';

/**
 * The one configuration loader. Everything comes from the environment (a `.env` file is read
 * if present); a wrong value stops start-up with a message naming the variable.
 */
export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  publicBaseUrl: string;
  logLevel: string;
  /** `kid:secret` pairs; the first one signs, all verify. */
  linkSigningKeys: { kid: string; secret: string }[];
  sessionSecret: string;
  unionName: string;
  unionReturnAddress: string[];
  unionEmailFrom: string;
  /** The union's phone number for members, printed on letters (how to opt out by phone); '' = none. */
  unionPhone: string;
  /** Days a personal code printed on a letter opens the member's preference centre. */
  letterCodeDays: number;
  sendgrid: { apiKey: string; baseUrl: string | null; webhookPublicKey: string | null };
  twilio: { accountSid: string; authToken: string; messagingServiceSid: string; baseUrl: string | null };
  /** What the Messaging Service sends from (TWILIO_SENDER_TYPE): a `number` members can answer (STOP), or an `alphanumeric` sender name (one-way). */
  smsSenderType: 'number' | 'alphanumeric';
  /** Start the loopback SendGrid/Twilio emulators in-process (never in production). */
  emulators: boolean;
  demoSeed: boolean;
  letterOutputDir: string;
  smsRatePerSecond: number;
  /** Send jobs: attempts on transient provider errors before the channel halts, and the first backoff (exponential). */
  sendRetry: { attempts: number; delayMs: number };
  /** BullMQ lock of a send job (ms): a worker that dies holding a job gives it up after about this long. */
  sendJobLockMs: number;
  smsQuietHours: { start: string; end: string };
  approvalThreshold: number;
  /** Member ids per committed step of a campaign's audience snapshot (a queue job). */
  snapshotStep: number;
  /** How often each worker process checks that Redis still holds the queues (0 = never). */
  queueWatchdogMs: number;
  registerEventMessages: boolean;
  trackOpensAndClicks: boolean;
  retention: {
    resignedMemberYears: number;
    sendLogMonths: number;
    auditMonths: number;
    electoralRollDaysAfterClose: number;
  };
  ballotPostalLeadDays: number;
  /** Days after a strike ended at which the retention sweep erases anything the strike still holds. */
  strikeRetentionDays: number;
  /** Fields of the plassoppsigelse lists beyond name, member number and workplace (src/strikes/exports.ts). */
  strikeNoticeFields: string[];
  /** ISO 8601 durations before closing at which a ballot's reminders go out (default P3D,P1D). */
  ballotReminderOffsets: string[];
  /** Ceiling on any one SQL statement of the hub's connections (ms; 0 = none). Workers started alone use none. */
  dbStatementTimeoutMs: number;
  /** Ceiling on an audience preview's query (ms); the query is also cancelled when the client goes away. */
  previewStatementTimeoutMs: number;
  /**
   * `/metrics`: a bearer token that must be presented, and/or a separate (internal) port that
   * serves it instead; `workerPort`: the port a worker-only process (`main.ts worker`) serves
   * its own `/metrics` on (halts, its memory and CPU), 0 = any free port (printed), null = none.
   */
  metrics: { token: string | null; port: number | null; workerPort: number | null };
  /** Staff roles that must sign in with a second factor (TOTP). */
  staff2faRequired: string[];
  /** `kid:secret` pairs that encrypt TOTP secrets at rest; the first encrypts, all decrypt (rotation). */
  totpEncryptionKeys: { kid: string; secret: string }[];
}

const DEV_SIGNING_KEY = 'dev:budstikke-development-only-signing-key-0000000000';
const DEV_SESSION_SECRET = 'budstikke-development-only-session-secret-000000';
const DEV_TOTP_KEY = 'dev:budstikke-development-only-totp-encryption-key-000';

const schema = Joi.object({
  NODE_ENV: Joi.string().valid('development', 'production', 'test').default('development'),
  PORT: Joi.number().integer().min(0).max(65535).default(3000),
  DATABASE_URL: Joi.string().uri({ scheme: ['postgres', 'postgresql'] }).default('postgres://postgres@127.0.0.1:5432/budstikke'),
  REDIS_URL: Joi.string().uri({ scheme: ['redis', 'rediss'] }).default('redis://127.0.0.1:6379'),
  QUEUE_PREFIX: Joi.string().pattern(/^[A-Za-z0-9_{}-]+$/).default('budstikke'),
  PUBLIC_BASE_URL: Joi.string().uri({ scheme: ['http', 'https'] }),
  LOG_LEVEL: Joi.string().valid('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent').default('info'),
  LINK_SIGNING_KEYS: Joi.string().pattern(/^[A-Za-z0-9_-]+:[^,:]{32,}(,[A-Za-z0-9_-]+:[^,:]{32,})*$/)
    .messages({ 'string.pattern.base': 'LINK_SIGNING_KEYS must be comma-separated kid:secret pairs, each secret at least 32 characters' }),
  SESSION_SECRET: Joi.string().min(32),
  UNION_NAME: Joi.string().default('Budstikke-forbundet'),
  UNION_RETURN_ADDRESS: Joi.string().default('Budstikke-forbundet|Postboks 1234 Sentrum|0104 OSLO'),
  UNION_EMAIL_FROM: Joi.string().email().default('post@budstikke.example'),
  UNION_PHONE: Joi.string().pattern(/^[+0-9 ()-]{0,30}$/).allow('').default('')
    .messages({ 'string.pattern.base': 'UNION_PHONE must be a phone number (digits, spaces, +, -, parentheses)' }),
  LETTER_CODE_DAYS: Joi.number().integer().min(1).max(3650).default(180),
  TWILIO_SENDER_TYPE: Joi.string().valid('number', 'alphanumeric').default('number'),
  SENDGRID_API_KEY: Joi.string(),
  SENDGRID_BASE_URL: Joi.string().uri({ scheme: ['http', 'https'] }),
  SENDGRID_WEBHOOK_PUBLIC_KEY: Joi.string().base64(),
  TWILIO_ACCOUNT_SID: Joi.string().pattern(/^AC[0-9a-fA-F]{32}$/).messages({ 'string.pattern.base': 'TWILIO_ACCOUNT_SID must look like AC followed by 32 hex digits' }),
  TWILIO_AUTH_TOKEN: Joi.string().min(16),
  TWILIO_MESSAGING_SERVICE_SID: Joi.string().pattern(/^MG[0-9a-fA-F]{32}$/).messages({ 'string.pattern.base': 'TWILIO_MESSAGING_SERVICE_SID must look like MG followed by 32 hex digits' }),
  TWILIO_BASE_URL: Joi.string().uri({ scheme: ['http', 'https'] }),
  EMULATORS: Joi.boolean().truthy('1').falsy('0'),
  DEMO_SEED: Joi.boolean().truthy('1').falsy('0'),
  LETTER_OUTPUT_DIR: Joi.string().default('out/letters'),
  SMS_RATE_PER_SECOND: Joi.number().integer().min(0).default(50),
  SEND_RETRY_ATTEMPTS: Joi.number().integer().min(1).max(50).default(8),
  SEND_RETRY_DELAY_MS: Joi.number().integer().min(10).default(2000),
  SEND_JOB_LOCK_MS: Joi.number().integer().min(2000).default(15000),
  SMS_QUIET_HOURS: Joi.string().pattern(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/).default('21:00-08:00')
    .messages({ 'string.pattern.base': 'SMS_QUIET_HOURS must be HH:MM-HH:MM' }),
  APPROVAL_THRESHOLD: Joi.number().integer().min(0).default(1000),
  CAMPAIGN_SNAPSHOT_STEP: Joi.number().integer().min(1).default(100_000),
  QUEUE_WATCHDOG_MS: Joi.number().integer().min(0).default(5_000),
  REGISTER_EVENT_MESSAGES: Joi.boolean().truthy('1').falsy('0').default(false),
  TRACK_OPENS_AND_CLICKS: Joi.boolean().truthy('1').falsy('0').default(false),
  RETENTION_RESIGNED_MEMBER_YEARS: Joi.number().integer().min(1).default(3),
  RETENTION_SEND_LOG_MONTHS: Joi.number().integer().min(1).default(36),
  RETENTION_AUDIT_MONTHS: Joi.number().integer().min(1).default(60),
  RETENTION_ELECTORAL_ROLL_DAYS: Joi.number().integer().min(0).default(30),
  BALLOT_POSTAL_LEAD_DAYS: Joi.number().integer().min(0).default(5),
  STRIKE_RETENTION_DAYS: Joi.number().integer().min(0).default(30),
  STRIKE_NOTICE_FIELDS: Joi.string().pattern(/^((workplace_org_number|employer_org_number|branch|club|joined_at)(,(workplace_org_number|employer_org_number|branch|club|joined_at))*)?$/)
    .allow('').default('').messages({ 'string.pattern.base': 'STRIKE_NOTICE_FIELDS must be a comma-separated list of: workplace_org_number, employer_org_number, branch, club, joined_at' }),
  BALLOT_REMINDER_OFFSETS: Joi.string().pattern(/^(P(\d+D)?(T(\d+H)?(\d+M)?)?)(,P(\d+D)?(T(\d+H)?(\d+M)?)?)*$/).allow('').default('P3D,P1D')
    .messages({ 'string.pattern.base': 'BALLOT_REMINDER_OFFSETS must be comma-separated ISO 8601 durations such as P3D,P1D,PT12H' }),
  DB_STATEMENT_TIMEOUT_MS: Joi.number().integer().min(0).default(60_000),
  PREVIEW_STATEMENT_TIMEOUT_MS: Joi.number().integer().min(100).default(5_000),
  METRICS_TOKEN: Joi.string().min(16),
  METRICS_PORT: Joi.number().integer().min(1).max(65535),
  WORKER_METRICS_PORT: Joi.number().integer().min(0).max(65535),
  STAFF_2FA_REQUIRED: Joi.string().pattern(/^(admin|communications|representative|auditor|strike_committee)?(,(admin|communications|representative|auditor|strike_committee))*$/)
    .allow('').default('admin,communications')
    .messages({ 'string.pattern.base': 'STAFF_2FA_REQUIRED must be comma-separated roles (admin, communications, representative, auditor, strike_committee)' }),
  TOTP_ENCRYPTION_KEYS: Joi.string().pattern(/^[A-Za-z0-9_-]+:[^,:]{32,}(,[A-Za-z0-9_-]+:[^,:]{32,})*$/)
    .messages({ 'string.pattern.base': 'TOTP_ENCRYPTION_KEYS must be comma-separated kid:secret pairs, each secret at least 32 characters' }),
}).unknown(true);

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const { value: v, error } = schema.validate(env, { abortEarly: false, convert: true });
  if (error) {
    const lines = error.details.map((d) => `${String(d.path[0])}: ${d.message.replace(/^"[^"]+" /, '')}`);
    throw new ConfigError(`invalid configuration: ${lines.join('; ')}`);
  }
  const nodeEnv = v.NODE_ENV as Config['nodeEnv'];
  const production = nodeEnv === 'production';
  const port = v.PORT as number;
  const missing = (name: string) => new ConfigError(`invalid configuration: ${name} is required in production`);

  if (production) {
    for (const name of ['LINK_SIGNING_KEYS', 'SESSION_SECRET', 'TOTP_ENCRYPTION_KEYS', 'PUBLIC_BASE_URL', 'SENDGRID_API_KEY', 'SENDGRID_WEBHOOK_PUBLIC_KEY',
      'TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_MESSAGING_SERVICE_SID']) {
      if (!v[name]) throw missing(name);
    }
    if (v.EMULATORS) throw new ConfigError('invalid configuration: EMULATORS cannot be on in production');
    // The demo union has a published password and a published TOTP secret (README): never in production.
    if (v.DEMO_SEED) throw new ConfigError('invalid configuration: DEMO_SEED cannot be on in production');
    // RFC 8058 one-click unsubscribe and the __Host- cookies need https; an http base URL in production is a mistake.
    if (!String(v.PUBLIC_BASE_URL).startsWith('https://')) throw new ConfigError('invalid configuration: PUBLIC_BASE_URL must be an https:// URL in production');
  }
  const pairs = (list: string) => list.split(',').map((pair) => {
    const i = pair.indexOf(':');
    return { kid: pair.slice(0, i), secret: pair.slice(i + 1) };
  });
  const keys = pairs(String(v.LINK_SIGNING_KEYS ?? DEV_SIGNING_KEY));
  const [qs, qe] = String(v.SMS_QUIET_HOURS).split('-');
  return {
    nodeEnv,
    port,
    databaseUrl: v.DATABASE_URL,
    redisUrl: v.REDIS_URL,
    queuePrefix: v.QUEUE_PREFIX,
    publicBaseUrl: String(v.PUBLIC_BASE_URL ?? `http://localhost:${port}`).replace(/\/$/, ''),
    logLevel: v.LOG_LEVEL,
    linkSigningKeys: keys,
    sessionSecret: v.SESSION_SECRET ?? DEV_SESSION_SECRET,
    unionName: v.UNION_NAME,
    unionReturnAddress: String(v.UNION_RETURN_ADDRESS).split('|'),
    unionEmailFrom: v.UNION_EMAIL_FROM,
    unionPhone: String(v.UNION_PHONE).trim(),
    letterCodeDays: v.LETTER_CODE_DAYS,
    sendgrid: {
      apiKey: v.SENDGRID_API_KEY ?? 'SG.emulator-key',
      baseUrl: v.SENDGRID_BASE_URL ?? null,
      webhookPublicKey: v.SENDGRID_WEBHOOK_PUBLIC_KEY ?? null,
    },
    twilio: {
      accountSid: v.TWILIO_ACCOUNT_SID ?? 'AC00000000000000000000000000000000',
      authToken: v.TWILIO_AUTH_TOKEN ?? 'emulator-auth-token-000000',
      messagingServiceSid: v.TWILIO_MESSAGING_SERVICE_SID ?? 'MG00000000000000000000000000000000',
      baseUrl: v.TWILIO_BASE_URL ?? null,
    },
    smsSenderType: v.TWILIO_SENDER_TYPE,
    emulators: v.EMULATORS ?? !production,
    demoSeed: v.DEMO_SEED ?? nodeEnv === 'development',
    letterOutputDir: v.LETTER_OUTPUT_DIR,
    smsRatePerSecond: v.SMS_RATE_PER_SECOND,
    sendRetry: { attempts: v.SEND_RETRY_ATTEMPTS, delayMs: v.SEND_RETRY_DELAY_MS },
    sendJobLockMs: v.SEND_JOB_LOCK_MS,
    smsQuietHours: { start: qs, end: qe },
    approvalThreshold: v.APPROVAL_THRESHOLD,
    snapshotStep: v.CAMPAIGN_SNAPSHOT_STEP,
    queueWatchdogMs: v.QUEUE_WATCHDOG_MS,
    registerEventMessages: v.REGISTER_EVENT_MESSAGES,
    trackOpensAndClicks: v.TRACK_OPENS_AND_CLICKS,
    retention: {
      resignedMemberYears: v.RETENTION_RESIGNED_MEMBER_YEARS,
      sendLogMonths: v.RETENTION_SEND_LOG_MONTHS,
      auditMonths: v.RETENTION_AUDIT_MONTHS,
      electoralRollDaysAfterClose: v.RETENTION_ELECTORAL_ROLL_DAYS,
    },
    ballotPostalLeadDays: v.BALLOT_POSTAL_LEAD_DAYS,
    strikeRetentionDays: v.STRIKE_RETENTION_DAYS,
    strikeNoticeFields: String(v.STRIKE_NOTICE_FIELDS).split(',').filter(Boolean),
    ballotReminderOffsets: String(v.BALLOT_REMINDER_OFFSETS).split(',').filter((o) => o && o !== 'P' && o !== 'PT'),
    dbStatementTimeoutMs: v.DB_STATEMENT_TIMEOUT_MS,
    previewStatementTimeoutMs: v.PREVIEW_STATEMENT_TIMEOUT_MS,
    metrics: { token: v.METRICS_TOKEN ?? null, port: v.METRICS_PORT ?? null, workerPort: v.WORKER_METRICS_PORT ?? null },
    staff2faRequired: String(v.STAFF_2FA_REQUIRED).split(',').filter(Boolean),
    totpEncryptionKeys: pairs(String(v.TOTP_ENCRYPTION_KEYS ?? DEV_TOTP_KEY)),
  };
}

/** Reads `.env` (if present) into process.env, then validates. */
export function configFromEnvironment(): Config {
  dotenv.config({ quiet: true } as dotenv.DotenvConfigOptions);
  return loadConfig(process.env);
}
