-- luacheck settings for the Redis scripts in src/redis/lua (`npm run lint:lua`).
-- Redis runs scripts on Lua 5.1 and gives them the globals below; any other
-- global a script reads or sets is a bug (Redis refuses global writes).
std = 'lua51'
read_globals = { 'redis', 'KEYS', 'ARGV', 'cjson', 'cmsgpack', 'bit', 'struct' }
-- A long line is usually a KEYS/ARGV header; the formatter is not ours to fight.
max_line_length = false

-- A script pulls helpers in with `--- @include "includes/name.lua"`, which the
-- loader replaces with that file's text. Linted on its own, a script would see
-- those helpers as undefined globals, and an include would see its own helpers
-- as unused locals. So: each script may read the top-level locals of the files
-- it includes (and no others), and an include may leave its locals unused.
local dir = 'src/redis/lua/'

local function lines(path)
  local file = io.open(path)
  if not file then return function() end end
  return file:lines()
end

local function definedIn(file, names)
  for line in lines(file) do
    local name = line:match('^local%s+function%s+([%w_]+)') or line:match('^local%s+([%w_]+)%s*=')
    if name then names[#names + 1] = name end
  end
end

local function includesOf(path)
  local names = {}
  -- As the loader does, an include's path is relative to the file that names it.
  local folder = path:match('^(.*/)') or dir
  for line in lines(path) do
    local include = line:match('^%-%-%-%s*@include%s+"([^"]+)"')
    if include then definedIn(folder .. include, names) end
  end
  return names
end

files = {}
local listing = io.popen('ls ' .. dir .. '*.lua ' .. dir .. 'includes/*.lua 2>/dev/null')
if listing then
  for path in listing:lines() do
    local helpers = includesOf(path)
    if path:find('/includes/', 1, true) then
      -- An include may use helpers of includes it names, and need not use its own.
      files[path] = { read_globals = helpers, unused = false }
    else
      files[path] = { read_globals = helpers }
    end
  end
  listing:close()
end
