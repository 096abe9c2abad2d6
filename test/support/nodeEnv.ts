// The environment of a node that one test or eval starts for itself: loopback
// only, ports 0, one media worker, quiet, its data in `tmp`.
import path from 'node:path';

export function loopbackNodeEnv(tmp: string): Record<string, string> {
  return {
    FACEGATE_DATA_DIR: path.join(tmp, 'data'),
    HOST: '127.0.0.1',
    PORT: '0',
    RTC_PORT: '0',
    MEDIA_WORKERS: '1',
    LOG_LEVEL: 'silent',
  };
}
