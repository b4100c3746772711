/**
 * Lua scripts, so that steps which must agree happen as one: no replica ever
 * sees a message in the log and not on the channel, or a leave announced twice.
 * Channel payloads: `m <id> <json {from,text}>`, and `j <count> <json member>`,
 * `l <count> <json member>` with the room's member count after the change, and
 * `r <count> <json member>` for a member recorded again, silently, after Redis
 * lost it: replicas keeping member lists take it, members are not told.
 *
 * Every script takes the room's keys as KEYS, in roomKeys().all's order (log,
 * members, refs, ref expiries, swept members), and the room TTL in ms among its ARGV
 * (0: for ever). A join, a leave and a keep set all of the room's keys to live
 * that long again. A publish, the hot path, sets only the keys it wrote (see
 * publishScript), unless the log's TTL was not one it can just extend. Either
 * way the log is the last of a room's keys to expire, and none lives longer
 * than the TTL after the room's last write or keep.
 */

/**
 * How a script sends to the room's channel: PUBLISH on one Redis; SPUBLISH in
 * a Redis Cluster, so the event goes through the room's shard alone. SPUBLISH
 * runs inside a script when the channel hashes to the script's slot: the
 * channel carries the room's hash tag, as every key does (redis-keys.ts).
 */
export type PublishCommand = 'PUBLISH' | 'SPUBLISH';

/** How long a swept member is remembered: a replica cut off from Redis for longer comes back silent. */
const SWEPT_MEMORY_MS = 60 * 60 * 1000;

/** Lua: Redis's clock in ms. */
const NOW_MS = `
local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

/** Lua: sets the TTL of every key in KEYS to `ttl` ms, or removes it when `ttl` is 0. */
const KEEP_ROOM = `
local function keepRoom(ttl)
  for i = 1, #KEYS do
    if ttl > 0 then redis.call('PEXPIRE', KEYS[i], ttl) else redis.call('PERSIST', KEYS[i]) end
  end
end
`;

/**
 * ARGV: max length, payload, channel, ref ('' when none), ref TTL in ms, the
 * highest id this replica has seen in the room ('' when none), room TTL in ms.
 * Returns {duplicate (0|1), id}.
 *
 * Refs live in one hash with their expiries in a sorted set; each publish with
 * a ref prunes those past their time (a bounded batch: each adds one at most).
 * The stream gives ids above its own last one; the floor keeps them above what
 * members already hold when Redis lost the stream (or the room expired) and its
 * clock is behind.
 *
 * The room's lifetime, in as few commands as a message allows (each one a
 * script makes costs Redis about a microsecond, most of it in the call):
 * - With a TTL, the log's is extended with GT (Redis 7). That fails only when the log
 *   has none (it is new, or was kept for ever) or a later one (another
 *   ROOM_TTL): then every key is set, as a join does. Otherwise the publish
 *   sets the refs' keys only when it wrote a ref, or when the TTL is shorter
 *   than a ref's life (refs are remembered while the room lives). Members and
 *   swept members are kept by the join, leave and keep scripts: a replica with
 *   members in the room keeps it well within the TTL, and a room with nobody
 *   in it has nobody to tell about them.
 * - With 0, the log is made persistent; when it had a TTL (the room was
 *   written under a ROOM_TTL), so is every key.
 * A ref older than its 10 minutes counts for nothing, so refs' keys that
 * expire while a room lives on (TTL at least a ref's life, no ref since) lose
 * nothing that counts; with a TTL of 0 such refs stay until the next ref.
 */
export const publishScript = (publish: PublishCommand) => `${NOW_MS}
local ref = ARGV[4]
local floor = ARGV[6]
local ttl = tonumber(ARGV[7])
local now
if ref ~= '' or floor ~= '' then now = nowMs() end
if ref ~= '' then
  local expired = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now, 'LIMIT', 0, 100)
  if #expired > 0 then
    redis.call('HDEL', KEYS[3], unpack(expired))
    redis.call('ZREM', KEYS[4], unpack(expired))
  end
  local expires = tonumber(redis.call('ZSCORE', KEYS[4], ref))
  if expires and expires > now then
    local seen = redis.call('HGET', KEYS[3], ref)
    if seen then return {1, seen} end
  end
end
local id
if floor ~= '' then
  local dash = string.find(floor, '-', 1, true)
  local floorMs = tonumber(string.sub(floor, 1, dash - 1))
  if now <= floorMs then
    local next = string.format('%.0f-%.0f', floorMs, tonumber(string.sub(floor, dash + 1)) + 1)
    local added = redis.pcall('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], next, 'm', ARGV[2])
    -- An error means the stream already holds a larger id: then * is above both.
    if type(added) == 'string' then id = added end
  end
end
if not id then id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'm', ARGV[2]) end
if ref ~= '' then
  redis.call('HSET', KEYS[3], ref, id)
  redis.call('ZADD', KEYS[4], string.format('%.0f', now + tonumber(ARGV[5])), ref)
end
if ttl > 0 then
  if redis.call('PEXPIRE', KEYS[1], ttl, 'GT') == 0 then
    for i = 1, #KEYS do redis.call('PEXPIRE', KEYS[i], ttl) end
  elseif ref ~= '' or ttl < tonumber(ARGV[5]) then
    redis.call('PEXPIRE', KEYS[3], ttl)
    redis.call('PEXPIRE', KEYS[4], ttl)
  end
elseif redis.call('PERSIST', KEYS[1]) == 1 then
  for i = 2, #KEYS do redis.call('PERSIST', KEYS[i]) end
end
redis.call('${publish}', ARGV[3], 'm ' .. id .. ' ' .. ARGV[2])
return {0, id}
`;

/**
 * ARGV: channel, member id, stored JSON, public JSON, room TTL in ms, '1' to
 * announce. Records the member; announces `join` when it was not recorded yet
 * and either asked to or the member had been swept. Recording again after
 * Redis lost its data does not announce (the other replicas' members still
 * list that member) but says `r`, so that the replicas' own lists, read again
 * after the restart maybe before this record, get it back; recording one a
 * survivor swept while its replica was cut off announces (they were told it left).
 */
export const recordScript = (publish: PublishCommand) => `${KEEP_ROOM}
local added = redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
local wasSwept = redis.call('ZREM', KEYS[5], ARGV[2])
keepRoom(tonumber(ARGV[5]))
if added == 1 then
  local kind = (ARGV[6] == '1' or wasSwept == 1) and 'j ' or 'r '
  redis.call('${publish}', ARGV[1], kind .. redis.call('HLEN', KEYS[2]) .. ' ' .. ARGV[4])
end
return added
`;

/**
 * ARGV: channel, room TTL in ms, '1' when the members are swept (their
 * replica's incarnation is gone) rather than leaving, then pairs of (member
 * id, public JSON). Announces `leave` for each member that was still
 * recorded, so once at most; a swept one is remembered for an hour.
 */
export const leaveScript = (publish: PublishCommand) => `${NOW_MS}${KEEP_ROOM}
local left = 0
local now
if ARGV[3] == '1' then
  now = nowMs()
  redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', string.format('%.0f', now - ${SWEPT_MEMORY_MS}))
end
for i = 4, #ARGV, 2 do
  if redis.call('HDEL', KEYS[2], ARGV[i]) == 1 then
    redis.call('${publish}', ARGV[1], 'l ' .. redis.call('HLEN', KEYS[2]) .. ' ' .. ARGV[i + 1])
    if now then redis.call('ZADD', KEYS[5], string.format('%.0f', now), ARGV[i]) end
    left = left + 1
  end
end
keepRoom(tonumber(ARGV[2]))
return left
`;

/** ARGV: room TTL in ms. A replica holding members in the room keeps it, however quiet. */
export const KEEP_SCRIPT = `${KEEP_ROOM}
keepRoom(tonumber(ARGV[1]))
return 1
`;
