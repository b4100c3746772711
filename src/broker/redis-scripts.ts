/**
 * Lua scripts, so that steps which must agree happen as one: no replica ever
 * sees a message in the log and not on the channel, or a leave announced twice.
 * Channel payloads: `m <id> <json {from,text}>`, and `j <count> <json member>`,
 * `l <count> <json member>` with the room's member count after the change.
 */

/**
 * KEYS: log, ref key (the log again when there is no ref).
 * ARGV: max length, payload, channel, '1' when there is a ref, ref TTL in ms,
 * and the highest id this replica has seen in the room ('' when none).
 * Returns {duplicate (0|1), id}.
 *
 * The stream gives ids above its own last one; the floor keeps them above what
 * members already hold when Redis lost the stream and its clock is behind.
 */
export const PUBLISH_SCRIPT = `
if ARGV[4] == '1' then
  local seen = redis.call('GET', KEYS[2])
  if seen then return {1, seen} end
end
local id
if ARGV[6] ~= '' then
  local dash = string.find(ARGV[6], '-', 1, true)
  local floorMs = tonumber(string.sub(ARGV[6], 1, dash - 1))
  local floorSeq = tonumber(string.sub(ARGV[6], dash + 1))
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  if now <= floorMs then
    local next = string.format('%.0f-%.0f', floorMs, floorSeq + 1)
    local added = redis.pcall('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], next, 'm', ARGV[2])
    -- An error means the stream already holds a larger id: then * is above both.
    if type(added) == 'string' then id = added end
  end
end
if not id then id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'm', ARGV[2]) end
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
  redis.call('PUBLISH', ARGV[1], 'j ' .. redis.call('HLEN', KEYS[1]) .. ' ' .. ARGV[4])
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
    redis.call('PUBLISH', ARGV[1], 'l ' .. redis.call('HLEN', KEYS[1]) .. ' ' .. ARGV[i + 1])
    left = left + 1
  end
end
return left
`;
