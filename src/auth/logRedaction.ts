// pino redaction for every logger the process makes: credentials never reach
// a log line even if a body, header set or token pair is logged by mistake
// (the routes themselves log none of them).
import type { LoggerOptions } from 'pino';

const SECRET_KEYS = ['password', 'new_password', 'api_key', 'access', 'refresh', 'access_token', 'jwt_token', 'verdict_token', 'authorization', 'x-api-key'];

export const LOG_REDACTION: NonNullable<LoggerOptions['redact']> = {
  // Top level, one level down (req.body.password) and two (req.headers.authorization, err.details.*).
  paths: SECRET_KEYS.flatMap((k) => [`["${k}"]`, `*["${k}"]`, `*.*["${k}"]`]),
  censor: '[redacted]',
};
