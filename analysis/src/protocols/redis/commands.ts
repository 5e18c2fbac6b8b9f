// Redis command knowledge: known verbs (detection, inline commands), sub-command families, value positions to summarise.

/** Verbs accepted as the first word of an inline command by detection (common ones; parse accepts any word). */
export const KNOWN_VERBS = new Set(
  (
    'APPEND AUTH BGREWRITEAOF BGSAVE BITCOUNT BITOP BLPOP BRPOP CLIENT CLUSTER COMMAND CONFIG DBSIZE DEBUG DECR ' +
    'DECRBY DEL DISCARD DUMP ECHO EVAL EVALSHA EXEC EXISTS EXPIRE EXPIREAT FLUSHALL FLUSHDB GET GETBIT GETDEL ' +
    'GETEX GETRANGE GETSET HDEL HELLO HEXISTS HGET HGETALL HINCRBY HKEYS HLEN HMGET HMSET HSET HSETNX HVALS INCR ' +
    'INCRBY INFO KEYS LASTSAVE LINDEX LINSERT LLEN LPOP LPUSH LRANGE LREM LSET LTRIM MGET MONITOR MOVE MSET ' +
    'MULTI OBJECT PERSIST PEXPIRE PING PSUBSCRIBE PTTL PUBLISH PUBSUB PUNSUBSCRIBE QUIT RANDOMKEY RENAME RESET ' +
    'ROLE RPOP RPUSH SADD SAVE SCAN SCARD SCRIPT SELECT SET SETEX SETNX SHUTDOWN SISMEMBER SLOWLOG SMEMBERS SPOP ' +
    'SREM SUBSCRIBE TIME TTL TYPE UNLINK UNSUBSCRIBE UNWATCH WATCH XADD XLEN XRANGE XREAD ZADD ZCARD ZRANGE ZREM ZSCORE'
  ).split(' '),
);

/** Commands whose second word is a sub-command (CLIENT SETNAME, CONFIG GET...): kept in attributes.subcommand. */
export const CONTAINER_COMMANDS = new Set([
  'ACL', 'CLIENT', 'CLUSTER', 'COMMAND', 'CONFIG', 'DEBUG', 'FUNCTION', 'LATENCY', 'MEMORY', 'MODULE', 'OBJECT',
  'PUBSUB', 'SCRIPT', 'SLOWLOG', 'XGROUP', 'XINFO',
]);

/** Argument indexes (0 = the command) holding values, which are summarised as `<N bytes>` rather than shown. */
export function isValueArg(cmd: string, i: number): boolean {
  switch (cmd) {
    case 'SET':
    case 'SETNX':
    case 'GETSET':
    case 'APPEND':
    case 'PUBLISH':
    case 'SPUBLISH':
      return i === 2;
    case 'SETEX':
    case 'PSETEX':
    case 'SETRANGE':
    case 'LSET':
      return i === 3;
    case 'LINSERT':
      return i === 4;
    case 'MSET':
    case 'MSETNX':
      return i >= 2 && i % 2 === 0;
    case 'HSET':
    case 'HMSET':
    case 'HSETNX':
      return i >= 3 && i % 2 === 1;
    case 'LPUSH':
    case 'RPUSH':
    case 'LPUSHX':
    case 'RPUSHX':
      return i >= 2;
    case 'RESTORE':
      return i === 3;
    default:
      return false;
  }
}

/** Commands carrying secrets: every argument after the command (AUTH) or after an AUTH token (HELLO, MIGRATE). */
export function isSecretArg(cmd: string, i: number, args: readonly (string | undefined)[]): boolean {
  if (cmd === 'AUTH') return i >= 1;
  if (cmd === 'HELLO' || cmd === 'MIGRATE') {
    for (let j = 1; j < i && j < args.length; j++) {
      const a = args[j]?.toUpperCase();
      if (a === 'AUTH' || a === 'AUTH2') return i <= j + 2;
    }
  }
  if (cmd === 'CONFIG' && i === 3 && /^(requirepass|masterauth)$/i.test(args[2] ?? '')) return true;
  return false;
}

export const SUBSCRIBE_KINDS = new Set(['subscribe', 'psubscribe', 'ssubscribe', 'unsubscribe', 'punsubscribe', 'sunsubscribe']);
export const MESSAGE_KINDS = new Set(['message', 'pmessage', 'smessage']);
