//! The Lua scripts every write runs, atomically.
//!
//! Lifetimes are relative (`PX`, `PEXPIRE`): the application says how many milliseconds an
//! entry must be kept by its own clock, and Redis counts them by its own, so the two clocks
//! never have to agree. A write never shortens a key's life. The revocation scripts
//! publish what they wrote (`PUBLISH`, in the same atomic step) on the store's event
//! channel, which keeps every instance's local view current:
//!
//! - `r <pttl> <id>`: `<id>` is revoked for `<pttl>` more milliseconds;
//! - `u <pttl> <not_before> <identity>`: `<identity>`'s "not before" time is now
//!   `<not_before>`, kept `<pttl>` more milliseconds.
//!
//! The id or identity comes last and runs to the end of the message, any bytes included.

use std::sync::LazyLock;

/// A Lua script and its SHA-1 digest.
pub(super) struct Lua {
    pub(super) source: &'static str,
    pub(super) digest: String,
}

impl Lua {
    fn new(body: &'static str) -> Self {
        Self {
            source: body,
            digest: redis::Script::new(body).get_hash().to_owned(),
        }
    }
}

/// Lua helpers shared by the scripts (`extend` never shortens a key's life).
macro_rules! lua_prelude {
    () => {
        r#"
local function extend(key, ttl)
  local pttl = redis.call('PTTL', key)
  if pttl >= 0 and pttl < tonumber(ttl) then
    redis.call('PEXPIRE', key, ttl)
  end
end
local function pttl(key)
  local left = redis.call('PTTL', key)
  if left < 0 then return '-1' end
  return string.format('%.0f', left)
end
local function is_u64(s)
  return #s <= 20 and (s == '0' or string.match(s, '^[1-9]%d*$') ~= nil)
end
local function greater(a, b)
  return #a > #b or (#a == #b and a > b)
end
"#
    };
}

/// KEYS[1] revoked key; ARGV[1] time to keep (ms), ARGV[2] event channel, ARGV[3] id.
/// 1 = done, 0 = the key holds something else.
pub(super) static REVOKE: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(concat!(
        lua_prelude!(),
        r#"
local cur = redis.call('GET', KEYS[1])
if not cur then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
elseif cur ~= '1' then
  return 0
else
  extend(KEYS[1], ARGV[1])
end
redis.call('PUBLISH', ARGV[2], 'r ' .. pttl(KEYS[1]) .. ' ' .. ARGV[3])
return 1
"#
    ))
});

/// KEYS[1] user key; ARGV[1] not_before, ARGV[2] time to keep (ms), ARGV[3] event
/// channel, ARGV[4] identity. The later not-before time and the later expiry win.
/// 1 = done, 0 = the key holds something else.
pub(super) static REVOKE_USER: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(concat!(
        lua_prelude!(),
        r#"
local cur = redis.call('GET', KEYS[1])
if not cur then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  cur = ARGV[1]
elseif not is_u64(cur) then
  return 0
else
  if greater(ARGV[1], cur) then
    redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL')
    cur = ARGV[1]
  end
  extend(KEYS[1], ARGV[2])
end
redis.call('PUBLISH', ARGV[3], 'u ' .. pttl(KEYS[1]) .. ' ' .. cur .. ' ' .. ARGV[4])
return 1
"#
    ))
});

/// KEYS[1] used key, KEYS[2] family's last key; ARGV[1] now, ARGV[2] time to keep (ms),
/// ARGV[3] id. {1} = first use; {0, first_used_at, latest} = reuse.
pub(super) static CONSUME: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(
        r#"
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[2])
  return {1}
end
local first = redis.call('GET', KEYS[1])
local last = redis.call('GET', KEYS[2])
if last == ARGV[3] then return {0, first, 1} end
return {0, first, 0}
"#,
    )
});
