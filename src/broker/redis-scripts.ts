/**
 * Lua scripts, so that steps which must agree happen as one: no replica ever
 * sees a message in the log and not on the channel, or a leave announced twice.
 * Channel payloads: `m <id> <json {from,text}>`, `j <json member>`, `l <json member>`.
 */

/**
 * KEYS: log, ref key (the log again when there is no ref).
 * ARGV: max length, payload, channel, '1' when there is a ref, ref TTL in ms.
 * Returns {duplicate (0|1), id}.
 */
export const PUBLISH_SCRIPT = `
if ARGV[4] == '1' then
  local seen = redis.call('GET', KEYS[2])
  if seen then return {1, seen} end
end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'm', ARGV[2])
if ARGV[4] == '1' then redis.call('SET', KEYS[2], id, 'PX', ARGV[5]) end
redis.call('PUBLISH', ARGV[3], 'm ' .. id .. ' ' .. ARGV[2])
return {0, id}
`;

/**
 * KEYS: members hash. ARGV: channel, member id, stored JSON, public JSON.
 * Announces `join` only when the member was not recorded yet.
 */
export const JOIN_SCRIPT = `
if redis.call('HSET', KEYS[1], ARGV[2], ARGV[3]) == 1 then
  redis.call('PUBLISH', ARGV[1], 'j ' .. ARGV[4])
end
return 1
`;

/**
 * KEYS: members hash. ARGV: channel, then pairs of (member id, public JSON).
 * Announces `leave` for each member that was still recorded, so once at most.
 */
export const LEAVE_SCRIPT = `
local left = 0
for i = 2, #ARGV, 2 do
  if redis.call('HDEL', KEYS[1], ARGV[i]) == 1 then
    redis.call('PUBLISH', ARGV[1], 'l ' .. ARGV[i + 1])
    left = left + 1
  end
end
return left
`;
