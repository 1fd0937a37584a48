-- Parameterised KV workload for wrk (https://github.com/wg/wrk), used by bench/run.sh.
-- Copied unchanged (apart from these comments) from the peer benchmarks in shared/bench/lua/kv.lua.
--
--   STYLE=kv MODE=put wrk -t2 -c64 -d10s --latency -s lua/kv.lua http://127.0.0.1:8080
--
-- Environment variables (all optional):
--   STYLE      kv     : PUT /keys/<key> body {"type":"string","value":"..."}  (application/json)
--                       GET /keys/<key>,  DELETE /keys/<key>
--              etcd2  : PUT /v2/keys/<key> body value=...  (application/x-www-form-urlencoded)
--                       GET /v2/keys/<key>, DELETE /v2/keys/<key>
--              etcd3  : POST /v3/kv/put   {"key":b64,"value":b64}
--                       POST /v3/kv/range {"key":b64}, POST /v3/kv/deleterange {"key":b64}
--              plain  : wrk's static GET of the URL given on the command line (no Lua per request)
--   PATH_PREFIX override the path prefix of the style (e.g. /api/keys for a kv server mounted elsewhere)
--   MODE       get | put | mixed | delete          (default get)
--   READ_PCT   percentage of GETs in mixed mode    (default 90)
--   KEYS       key space size; keys are <KEY_PREFIX>-000001 .. -<KEYS> (default 10000)
--   KEY_PREFIX default "anchor"
--   VALUE_SIZE value length in bytes, [a-z0-9]      (default 16)
--   SEED       base of the per-thread random seed   (default: time)
--
-- done() prints one machine-readable line:
--   RESULT rps=.. p50_ms=.. p90_ms=.. p99_ms=.. max_ms=.. requests=.. non2xx=.. sock_errors=..
-- (non2xx counts HTTP status >= 400, i.e. wrk's summary.errors.status; 404 on GET counts there.)

local function env(name, default)
  local v = os.getenv(name)
  if v == nil or v == "" then return default end
  return v
end
local style      = env("STYLE", "kv")
local mode       = env("MODE", "get")
local read_pct   = tonumber(env("READ_PCT", "90"))
local nkeys      = tonumber(env("KEYS", "10000"))
local key_prefix = env("KEY_PREFIX", "anchor")
local value_size = tonumber(env("VALUE_SIZE", "16"))

local default_prefix = { kv = "/keys/", etcd2 = "/v2/keys/", etcd3 = "/v3/kv/", plain = "/" }
local path_prefix = env("PATH_PREFIX", default_prefix[style])
if not path_prefix then error("unknown STYLE " .. style) end

local b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local function base64(data)
  return ((data:gsub(".", function(x)
    local r, b = "", x:byte()
    for i = 8, 1, -1 do r = r .. (b % 2 ^ i - b % 2 ^ (i - 1) > 0 and "1" or "0") end
    return r
  end) .. "0000"):gsub("%d%d%d?%d?%d?%d?", function(x)
    if #x < 6 then return "" end
    local c = 0
    for i = 1, 6 do c = c + (x:sub(i, i) == "1" and 2 ^ (6 - i) or 0) end
    return b64chars:sub(c + 1, c + 1)
  end) .. ({ "", "==", "=" })[#data % 3 + 1])
end

-- per-thread ids so that seeds differ
local thread_counter = 0
function setup(thread)
  thread_counter = thread_counter + 1
  thread:set("tid", thread_counter)
end

local alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
local values = {}
local b64cache = {}
local hdr_form = { ["Content-Type"] = "application/x-www-form-urlencoded" }
local hdr_json = { ["Content-Type"] = "application/json" }
local hdr_none = {}

function init(args)
  local seed = tonumber(env("SEED", "")) or os.time()
  math.randomseed(seed * 1000 + (tid or 0) * 7919)
  for i = 1, 64 do
    local t = {}
    for j = 1, value_size do
      local c = math.random(1, #alphabet)
      t[j] = alphabet:sub(c, c)
    end
    values[i] = table.concat(t)
  end
end

local function key_of(n) return string.format("%s-%06d", key_prefix, n) end
local function b64(s)
  local v = b64cache[s]
  if not v then v = base64(s); b64cache[s] = v end
  return v
end

local function req_get(k)
  if style == "etcd3" then
    return wrk.format("POST", path_prefix .. "range", hdr_json, '{"key":"' .. b64(k) .. '"}')
  elseif style == "plain" then
    return wrk.format("GET", path_prefix, hdr_none, nil)
  end
  return wrk.format("GET", path_prefix .. k, hdr_none, nil)
end

local function req_put(k)
  local v = values[math.random(1, #values)]
  if style == "kv" then
    return wrk.format("PUT", path_prefix .. k, hdr_json, '{"type":"string","value":"' .. v .. '"}')
  elseif style == "etcd2" then
    return wrk.format("PUT", path_prefix .. k, hdr_form, "value=" .. v)
  elseif style == "etcd3" then
    return wrk.format("POST", path_prefix .. "put", hdr_json,
      '{"key":"' .. b64(k) .. '","value":"' .. base64(v) .. '"}')
  end
  return wrk.format("PUT", path_prefix, hdr_json, '{"type":"string","value":"' .. v .. '"}')
end

local function req_delete(k)
  if style == "etcd3" then
    return wrk.format("POST", path_prefix .. "deleterange", hdr_json, '{"key":"' .. b64(k) .. '"}')
  end
  return wrk.format("DELETE", path_prefix .. k, hdr_none, nil)
end

local function dynamic_request()
  local k = key_of(math.random(1, nkeys))
  if mode == "get" then
    return req_get(k)
  elseif mode == "put" then
    return req_put(k)
  elseif mode == "delete" then
    return req_delete(k)
  elseif mode == "mixed" then
    if math.random(1, 100) <= read_pct then return req_get(k) end
    return req_put(k)
  end
  error("unknown MODE " .. mode)
end

-- STYLE=plain: no request() at all, so wrk sends its static request for the URL given on the
-- command line (no per-request Lua cost) - the fixed-response ceiling.
if style ~= "plain" then request = dynamic_request end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "RESULT rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f requests=%d non2xx=%d sock_errors=%d\n",
    summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout))
end
