// Chooses session state from config: Redis when REDIS_URL is set, else memory.
import type { Config } from '../config.ts';
import { MemoryStateStore } from './MemoryStateStore.ts';
import { RedisStateStore } from './RedisStateStore.ts';
import type { StateStore } from './StateStore.ts';

export async function openStateStore(config: Config, options: { prefix?: string } = {}): Promise<StateStore> {
  if (config.storage.redisUrl) {
    return RedisStateStore.open({ url: config.storage.redisUrl, ...(options.prefix ? { prefix: options.prefix } : {}) });
  }
  return new MemoryStateStore();
}
