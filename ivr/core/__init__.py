"""The ground every part stands on: settings, the clock, errors, safe logging, phone
numbers, the Redis server and its Lua scripts."""
