//! COMMAND: what redis-cli and client libraries ask about the commands (COMMAND, COUNT,
//! INFO, DOCS, LIST). Built from the two command tables (the engine's and the server's)
//! plus, per command, the facts those tables do not hold: key positions, group, summary
//! and syntax, as Redis 7.0's `src/commands/*.json` give them.

use super::client::Client;
use super::commands::{self as server_commands, ServerCommand};
use super::errors;
use super::reply::{bulk_frame, map_frame, set_frame, Answer};
use super::Shared;
use crate::command::{self, is_keyword, Flags, Reply};
use crate::engine::glob::glob_match;
use crate::engine::Error;
use crate::resp::Frame;

/// Per command: group, since, summary, syntax (arguments after the name).
const DOCS: &[(&str, &str, &str, &str, &str)] = &[
    ("append", "string", "2.0.0", "Appends a string to the value of a key. Creates the key if it doesn't exist.", "key value"),
    ("auth", "connection", "1.0.0", "Authenticates the connection.", "[username] password"),
    ("bgrewriteaof", "server", "1.0.0", "Asynchronously rewrites the append-only file to disk.", ""),
    ("bgsave", "server", "1.0.0", "Asynchronously saves the database(s) to disk.", "[SCHEDULE]"),
    ("bitcount", "bitmap", "2.6.0", "Counts the number of set bits (population counting) in a string.", "key [start end [BYTE|BIT]]"),
    ("bitfield", "bitmap", "3.2.0", "Performs arbitrary bitfield integer operations on strings.", "key [GET encoding offset|[OVERFLOW WRAP|SAT|FAIL] SET encoding offset value|INCRBY encoding offset increment ...]"),
    ("bitfield_ro", "bitmap", "6.0.0", "Performs arbitrary read-only bitfield integer operations on strings.", "key [GET encoding offset ...]"),
    ("bitop", "bitmap", "2.6.0", "Performs bitwise operations on multiple strings, and stores the result.", "AND|OR|XOR|NOT destkey key [key ...]"),
    ("bitpos", "bitmap", "2.8.7", "Finds the first set (1) or clear (0) bit in a string.", "key bit [start [end [BYTE|BIT]]]"),
    ("blmove", "list", "6.2.0", "Pops an element from a list, pushes it to another list and returns it. Blocks until an element is available otherwise.", "source destination LEFT|RIGHT LEFT|RIGHT timeout"),
    ("blmpop", "list", "7.0.0", "Pops the first element from one of multiple lists. Blocks until an element is available otherwise.", "timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]"),
    ("blpop", "list", "2.0.0", "Removes and returns the first element in a list. Blocks until an element is available otherwise.", "key [key ...] timeout"),
    ("brpop", "list", "2.0.0", "Removes and returns the last element in a list. Blocks until an element is available otherwise.", "key [key ...] timeout"),
    ("brpoplpush", "list", "2.2.0", "Pops an element from a list, pushes it to another list and returns it. Blocks until an element is available otherwise.", "source destination timeout"),
    ("client", "connection", "2.4.0", "A container for client connection commands.", "subcommand [argument ...]"),
    ("command", "server", "2.8.13", "Returns detailed information about all commands.", "[subcommand [argument ...]]"),
    ("config", "server", "2.0.0", "A container for server configuration commands.", "subcommand [argument ...]"),
    ("copy", "generic", "6.2.0", "Copies the value of a key to a new key.", "source destination [DB destination-db] [REPLACE]"),
    ("dbsize", "server", "1.0.0", "Returns the number of keys in the database.", ""),
    ("decr", "string", "1.0.0", "Decrements the integer value of a key by one.", "key"),
    ("decrby", "string", "1.0.0", "Decrements a number from the integer value of a key.", "key decrement"),
    ("del", "generic", "1.0.0", "Deletes one or more keys.", "key [key ...]"),
    ("discard", "transactions", "2.0.0", "Discards a transaction.", ""),
    ("echo", "connection", "1.0.0", "Returns the given string.", "message"),
    ("exec", "transactions", "1.2.0", "Executes all commands in a transaction.", ""),
    ("exists", "generic", "1.0.0", "Determines whether one or more keys exist.", "key [key ...]"),
    ("expire", "generic", "1.0.0", "Sets the expiration time of a key in seconds.", "key seconds [NX|XX|GT|LT]"),
    ("expireat", "generic", "1.2.0", "Sets the expiration time of a key to a Unix timestamp.", "key unix-time-seconds [NX|XX|GT|LT]"),
    ("expiretime", "generic", "7.0.0", "Returns the expiration time of a key as a Unix timestamp.", "key"),
    ("flushall", "server", "1.0.0", "Removes all keys from all databases.", "[ASYNC|SYNC]"),
    ("flushdb", "server", "1.0.0", "Remove all keys from the current database.", "[ASYNC|SYNC]"),
    ("get", "string", "1.0.0", "Returns the string value of a key.", "key"),
    ("getbit", "bitmap", "2.2.0", "Returns a bit value by offset.", "key offset"),
    ("getdel", "string", "6.2.0", "Returns the string value of a key after deleting the key.", "key"),
    ("getex", "string", "6.2.0", "Returns the string value of a key after setting its expiration time.", "key [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|PERSIST]"),
    ("getrange", "string", "2.4.0", "Returns a substring of the string stored at a key.", "key start end"),
    ("getset", "string", "1.0.0", "Returns the previous string value of a key after setting it to a new value.", "key value"),
    ("hdel", "hash", "2.0.0", "Deletes one or more fields and their values from a hash. Deletes the hash if no fields remain.", "key field [field ...]"),
    ("hello", "connection", "6.0.0", "Handshakes with the Redis server.", "[protover [AUTH username password] [SETNAME clientname]]"),
    ("hexists", "hash", "2.0.0", "Determines whether a field exists in a hash.", "key field"),
    ("hget", "hash", "2.0.0", "Returns the value of a field in a hash.", "key field"),
    ("hgetall", "hash", "2.0.0", "Returns all fields and values in a hash.", "key"),
    ("hincrby", "hash", "2.0.0", "Increments the integer value of a field in a hash by a number. Uses 0 as initial value if the field doesn't exist.", "key field increment"),
    ("hincrbyfloat", "hash", "2.6.0", "Increments the floating point value of a field by a number. Uses 0 as initial value if the field doesn't exist.", "key field increment"),
    ("hkeys", "hash", "2.0.0", "Returns all fields in a hash.", "key"),
    ("hlen", "hash", "2.0.0", "Returns the number of fields in a hash.", "key"),
    ("hmget", "hash", "2.0.0", "Returns the values of all fields in a hash.", "key field [field ...]"),
    ("hmset", "hash", "2.0.0", "Sets the values of multiple fields.", "key field value [field value ...]"),
    ("hrandfield", "hash", "6.2.0", "Returns one or more random fields from a hash.", "key [count [WITHVALUES]]"),
    ("hscan", "hash", "2.8.0", "Iterates over fields and values of a hash.", "key cursor [MATCH pattern] [COUNT count]"),
    ("hset", "hash", "2.0.0", "Creates or modifies the value of a field in a hash.", "key field value [field value ...]"),
    ("hsetnx", "hash", "2.0.0", "Sets the value of a field in a hash only when the field doesn't exist.", "key field value"),
    ("hstrlen", "hash", "3.2.0", "Returns the length of the value of a field.", "key field"),
    ("hvals", "hash", "2.0.0", "Returns all values in a hash.", "key"),
    ("incr", "string", "1.0.0", "Increments the integer value of a key by one.", "key"),
    ("incrby", "string", "1.0.0", "Increments the integer value of a key by a number.", "key increment"),
    ("incrbyfloat", "string", "2.6.0", "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.", "key increment"),
    ("info", "server", "1.0.0", "Returns information and statistics about the server.", "[section [section ...]]"),
    ("keys", "generic", "1.0.0", "Returns all key names that match a pattern.", "pattern"),
    ("lastsave", "server", "1.0.0", "Returns the Unix timestamp of the last successful save to disk.", ""),
    ("lcs", "string", "7.0.0", "Finds the longest common substring.", "key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]"),
    ("lindex", "list", "1.0.0", "Returns an element from a list by its index.", "key index"),
    ("linsert", "list", "2.2.0", "Inserts an element before or after another element in a list.", "key BEFORE|AFTER pivot element"),
    ("llen", "list", "1.0.0", "Returns the length of a list.", "key"),
    ("lmove", "list", "6.2.0", "Returns an element after popping it from one list and pushing it to another. Deletes the list if the last element was moved.", "source destination LEFT|RIGHT LEFT|RIGHT"),
    ("lmpop", "list", "7.0.0", "Returns multiple elements from a list after removing them. Deletes the list if the last element was popped.", "numkeys key [key ...] LEFT|RIGHT [COUNT count]"),
    ("lpop", "list", "1.0.0", "Returns the first elements in a list after removing it. Deletes the list if the last element was popped.", "key [count]"),
    ("lpos", "list", "6.0.6", "Returns the index of matching elements in a list.", "key element [RANK rank] [COUNT num-matches] [MAXLEN len]"),
    ("lpush", "list", "1.0.0", "Prepends one or more elements to a list. Creates the key if it doesn't exist.", "key element [element ...]"),
    ("lpushx", "list", "2.2.0", "Prepends one or more elements to a list only when the list exists.", "key element [element ...]"),
    ("lrange", "list", "1.0.0", "Returns a range of elements from a list.", "key start stop"),
    ("lrem", "list", "1.0.0", "Removes elements from a list. Deletes the list if the last element was removed.", "key count element"),
    ("lset", "list", "1.0.0", "Sets the value of an element in a list by its index.", "key index element"),
    ("ltrim", "list", "1.0.0", "Removes elements from both ends a list. Deletes the list if all elements were trimmed.", "key start stop"),
    ("mget", "string", "1.0.0", "Atomically returns the string values of one or more keys.", "key [key ...]"),
    ("monitor", "server", "1.0.0", "Listens for all requests received by the server in real-time.", ""),
    ("move", "generic", "1.0.0", "Moves a key to another database.", "key db"),
    ("mset", "string", "1.0.1", "Atomically creates or modifies the string values of one or more keys.", "key value [key value ...]"),
    ("msetnx", "string", "1.0.1", "Atomically modifies the string values of one or more keys only when all keys don't exist.", "key value [key value ...]"),
    ("multi", "transactions", "1.2.0", "Starts a transaction.", ""),
    ("object", "generic", "2.2.3", "A container for object introspection commands.", "subcommand [argument ...]"),
    ("persist", "generic", "2.2.0", "Removes the expiration time of a key.", "key"),
    ("pexpire", "generic", "2.6.0", "Sets the expiration time of a key in milliseconds.", "key milliseconds [NX|XX|GT|LT]"),
    ("pexpireat", "generic", "2.6.0", "Sets the expiration time of a key to a Unix milliseconds timestamp.", "key unix-time-milliseconds [NX|XX|GT|LT]"),
    ("pexpiretime", "generic", "7.0.0", "Returns the expiration time of a key as a Unix milliseconds timestamp.", "key"),
    ("ping", "connection", "1.0.0", "Returns the server's liveliness response.", "[message]"),
    ("psetex", "string", "2.6.0", "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist.", "key milliseconds value"),
    ("psubscribe", "pubsub", "2.0.0", "Listens for messages published to channels that match one or more patterns.", "pattern [pattern ...]"),
    ("pttl", "generic", "2.6.0", "Returns the expiration time in milliseconds of a key.", "key"),
    ("publish", "pubsub", "2.0.0", "Posts a message to a channel.", "channel message"),
    ("pubsub", "pubsub", "2.8.0", "A container for Pub/Sub commands.", "subcommand [argument ...]"),
    ("punsubscribe", "pubsub", "2.0.0", "Stops listening to messages published to channels that match one or more patterns.", "[pattern [pattern ...]]"),
    ("quit", "connection", "1.0.0", "Closes the connection.", ""),
    ("randomkey", "generic", "1.0.0", "Returns a random key name from the database.", ""),
    ("rename", "generic", "1.0.0", "Renames a key and overwrites the destination.", "key newkey"),
    ("renamenx", "generic", "1.0.0", "Renames a key only when the target key name doesn't exist.", "key newkey"),
    ("reset", "connection", "6.2.0", "Resets the connection.", ""),
    ("rpop", "list", "1.0.0", "Returns and removes the last elements of a list. Deletes the list if the last element was popped.", "key [count]"),
    ("rpoplpush", "list", "1.2.0", "Returns the last element of a list after removing and pushing it to another list. Deletes the list if the last element was popped.", "source destination"),
    ("rpush", "list", "1.0.0", "Appends one or more elements to a list. Creates the key if it doesn't exist.", "key element [element ...]"),
    ("rpushx", "list", "2.2.0", "Appends an element to a list only when the list exists.", "key element [element ...]"),
    ("sadd", "set", "1.0.0", "Add one or more members to a set", "key member [member ...]"),
    ("save", "server", "1.0.0", "Synchronously saves the database(s) to disk.", ""),
    ("scan", "generic", "2.8.0", "Iterates over the key names in the database.", "cursor [MATCH pattern] [COUNT count] [TYPE type]"),
    ("scard", "set", "1.0.0", "Get the number of members in a set", "key"),
    ("sdiff", "set", "1.0.0", "Subtract multiple sets", "key [key ...]"),
    ("sdiffstore", "set", "1.0.0", "Subtract multiple sets and store the resulting set in a key", "destination key [key ...]"),
    ("select", "connection", "1.0.0", "Changes the selected database.", "index"),
    ("set", "string", "1.0.0", "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.", "key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]"),
    ("setbit", "bitmap", "2.2.0", "Sets or clears the bit at offset of the string value. Creates the key if it doesn't exist.", "key offset value"),
    ("setex", "string", "2.0.0", "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.", "key seconds value"),
    ("setnx", "string", "1.0.0", "Set the string value of a key only when the key doesn't exist.", "key value"),
    ("setrange", "string", "2.2.0", "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.", "key offset value"),
    ("shutdown", "server", "1.0.0", "Synchronously saves the database(s) to disk and shuts down the Redis server.", "[NOSAVE|SAVE] [NOW] [FORCE] [ABORT]"),
    ("sinter", "set", "1.0.0", "Intersect multiple sets", "key [key ...]"),
    ("sintercard", "set", "7.0.0", "Intersect multiple sets and return the cardinality of the result", "numkeys key [key ...] [LIMIT limit]"),
    ("sinterstore", "set", "1.0.0", "Intersect multiple sets and store the resulting set in a key", "destination key [key ...]"),
    ("sismember", "set", "1.0.0", "Determine if a given value is a member of a set", "key member"),
    ("slowlog", "server", "2.2.12", "A container for slow log commands.", "subcommand [argument ...]"),
    ("sort", "generic", "1.0.0", "Sorts the elements in a list, a set, or a sorted set, optionally storing the result.", "key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC|DESC] [ALPHA] [STORE destination]"),
    ("sort_ro", "generic", "7.0.0", "Returns the sorted elements of a list, a set, or a sorted set.", "key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC|DESC] [ALPHA]"),
    ("smembers", "set", "1.0.0", "Get all the members in a set", "key"),
    ("smismember", "set", "6.2.0", "Returns the membership associated with the given elements for a set", "key member [member ...]"),
    ("smove", "set", "1.0.0", "Move a member from one set to another", "source destination member"),
    ("spop", "set", "1.0.0", "Remove and return one or multiple random members from a set", "key [count]"),
    ("spublish", "pubsub", "7.0.0", "Post a message to a shard channel", "shardchannel message"),
    ("srandmember", "set", "1.0.0", "Get one or multiple random members from a set", "key [count]"),
    ("srem", "set", "1.0.0", "Remove one or more members from a set", "key member [member ...]"),
    ("sscan", "set", "2.8.0", "Incrementally iterate Set elements", "key cursor [MATCH pattern] [COUNT count]"),
    ("ssubscribe", "pubsub", "7.0.0", "Listen for messages published to the given shard channels", "shardchannel [shardchannel ...]"),
    ("strlen", "string", "2.2.0", "Returns the length of a string value.", "key"),
    ("subscribe", "pubsub", "2.0.0", "Listens for messages published to channels.", "channel [channel ...]"),
    ("substr", "string", "1.0.0", "Returns a substring from a string value.", "key start end"),
    ("sunion", "set", "1.0.0", "Add multiple sets", "key [key ...]"),
    ("sunionstore", "set", "1.0.0", "Add multiple sets and store the resulting set in a key", "destination key [key ...]"),
    ("sunsubscribe", "pubsub", "7.0.0", "Stop listening for messages posted to the given shard channels", "[shardchannel [shardchannel ...]]"),
    ("swapdb", "server", "4.0.0", "Swaps two Redis databases.", "index1 index2"),
    ("time", "server", "2.6.0", "Returns the server time.", ""),
    ("touch", "generic", "3.2.1", "Returns the number of existing keys out of those specified after updating the time they were last accessed.", "key [key ...]"),
    ("ttl", "generic", "1.0.0", "Returns the expiration time in seconds of a key.", "key"),
    ("type", "generic", "1.0.0", "Determines the type of value stored at a key.", "key"),
    ("unlink", "generic", "4.0.0", "Asynchronously deletes one or more keys.", "key [key ...]"),
    ("unsubscribe", "pubsub", "2.0.0", "Stops listening to messages posted to channels.", "[channel [channel ...]]"),
    ("unwatch", "transactions", "2.2.0", "Forgets about watched keys of a transaction.", ""),
    ("watch", "transactions", "2.2.0", "Monitors changes to keys to determine the execution of a transaction.", "key [key ...]"),
    ("xack", "stream", "5.0.0", "Returns the number of messages that were successfully acknowledged by the consumer group member of a stream.", "key group id [id ...]"),
    ("xadd", "stream", "5.0.0", "Appends a new message to a stream. Creates the key if it doesn't exist.", "key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [field value ...]"),
    ("xautoclaim", "stream", "6.2.0", "Changes, or acquires, ownership of messages in a consumer group, as if the messages were delivered to as consumer group member.", "key group consumer min-idle-time start [COUNT count] [JUSTID]"),
    ("xclaim", "stream", "5.0.0", "Changes, or acquires, ownership of a message in a consumer group, as if the message was delivered a consumer group member.", "key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-milliseconds] [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]"),
    ("xdel", "stream", "5.0.0", "Returns the number of messages after removing them from a stream.", "key id [id ...]"),
    ("xgroup", "stream", "5.0.0", "A container for consumer groups commands.", "subcommand [argument ...]"),
    ("xinfo", "stream", "5.0.0", "A container for stream introspection commands.", "subcommand [argument ...]"),
    ("xlen", "stream", "5.0.0", "Return the number of messages in a stream.", "key"),
    ("xpending", "stream", "5.0.0", "Returns the information and entries from a stream consumer group's pending entries list.", "key group [[IDLE min-idle-time] start end count [consumer]]"),
    ("xrange", "stream", "5.0.0", "Returns the messages from a stream within a range of IDs.", "key start end [COUNT count]"),
    ("xread", "stream", "5.0.0", "Returns messages from multiple streams with IDs greater than the ones requested. Blocks until a message is available otherwise.", "[COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]"),
    ("xreadgroup", "stream", "5.0.0", "Returns new or historical messages from a stream for a consumer in a group. Blocks until a message is available otherwise.", "GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key [key ...] id [id ...]"),
    ("xrevrange", "stream", "5.0.0", "Returns the messages from a stream within a range of IDs in reverse order.", "key end start [COUNT count]"),
    ("xsetid", "stream", "5.0.0", "An internal command for replicating stream values.", "key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]"),
    ("xtrim", "stream", "5.0.0", "Deletes messages from the beginning of a stream.", "key MAXLEN|MINID [=|~] threshold [LIMIT count]"),
];

/// Commands with keys elsewhere than (1, 1, 1): (name, first, last, step). Movable-key
/// commands say 0, 0, 0, as Redis's COMMAND does.
const KEY_POSITIONS: &[(&str, i64, i64, i64)] = &[
    ("bitop", 2, -1, 1),
    ("blmove", 1, 2, 1),
    ("blmpop", 0, 0, 0),
    ("blpop", 1, -2, 1),
    ("brpop", 1, -2, 1),
    ("brpoplpush", 1, 2, 1),
    ("copy", 1, 2, 1),
    ("del", 1, -1, 1),
    ("exists", 1, -1, 1),
    ("lcs", 1, 2, 1),
    ("lmove", 1, 2, 1),
    ("lmpop", 0, 0, 0),
    ("mget", 1, -1, 1),
    ("mset", 1, -1, 2),
    ("msetnx", 1, -1, 2),
    ("object", 2, 2, 1),
    ("rename", 1, 2, 1),
    ("renamenx", 1, 2, 1),
    ("rpoplpush", 1, 2, 1),
    ("sdiff", 1, -1, 1),
    ("sdiffstore", 1, -1, 1),
    ("sinter", 1, -1, 1),
    ("sintercard", 0, 0, 0),
    ("sinterstore", 1, -1, 1),
    ("smove", 1, 2, 1),
    ("ssubscribe", 1, -1, 1),
    ("sunion", 1, -1, 1),
    ("sunionstore", 1, -1, 1),
    ("sunsubscribe", 1, -1, 1),
    ("touch", 1, -1, 1),
    ("unlink", 1, -1, 1),
    ("watch", 1, -1, 1),
    ("xgroup", 0, 0, 0),
    ("xinfo", 0, 0, 0),
    ("xread", 0, 0, 0),
    ("xreadgroup", 0, 0, 0),
    ("zmpop", 0, 0, 0),
    ("zrangestore", 1, 2, 1),
];

/// Commands without keys.
const NO_KEYS: &[&str] = &[
    "auth", "bgrewriteaof", "bgsave", "client", "command", "config", "dbsize", "discard", "echo", "exec", "flushall", "flushdb",
    "hello", "info", "keys", "lastsave", "monitor", "multi", "ping", "psubscribe", "publish", "pubsub", "punsubscribe", "quit", "reset",
    "randomkey", "save", "scan", "select", "shutdown", "slowlog", "subscribe", "swapdb", "time", "unsubscribe", "unwatch",
];

/// What COMMAND reports of one command.
struct Entry {
    name: &'static str,
    arity: i64,
    flags: Vec<&'static str>,
    keys: (i64, i64, i64),
    group: &'static str,
}

fn keys_of(name: &str) -> (i64, i64, i64) {
    if NO_KEYS.contains(&name) {
        return (0, 0, 0);
    }
    KEY_POSITIONS.iter().find(|k| k.0 == name).map_or((1, 1, 1), |k| (k.1, k.2, k.3))
}

fn group_of(name: &str) -> &'static str {
    DOCS.iter().find(|d| d.0 == name).map_or("generic", |d| d.1)
}

fn engine_entry(c: &'static command::Command) -> Entry {
    let mut flags = Vec::new();
    for (f, word) in [
        (Flags::WRITE, "write"),
        (Flags::READONLY, "readonly"),
        (Flags::DENYOOM, "denyoom"),
        (Flags::BLOCKING, "blocking"),
        (Flags::FAST, "fast"),
    ] {
        if c.flags.contains(f) {
            flags.push(word);
        }
    }
    let keys = keys_of(c.name);
    if keys == (0, 0, 0) && !NO_KEYS.contains(&c.name) {
        flags.push("movablekeys");
    }
    Entry { name: c.name, arity: i64::from(c.arity), flags, keys, group: group_of(c.name) }
}

fn server_entry(c: &'static ServerCommand) -> Entry {
    let mut flags = Vec::new();
    if c.flags & server_commands::NO_AUTH != 0 {
        flags.push("no_auth");
    }
    if c.flags & server_commands::PUBSUB_OK != 0 {
        flags.push("pubsub");
    }
    if c.flags & server_commands::NO_MULTI != 0 {
        flags.push("no_multi");
    }
    flags.push("noscript");
    Entry { name: c.name, arity: i64::from(c.arity), flags, keys: keys_of(c.name), group: group_of(c.name) }
}

/// Every command, sorted by name.
fn entries() -> Vec<Entry> {
    let mut all: Vec<Entry> = command::commands().iter().map(engine_entry).collect();
    all.extend(server_commands::all().map(server_entry));
    all.sort_by(|a, b| a.name.cmp(b.name));
    all
}

fn find(name: &[u8]) -> Option<Entry> {
    if let Some(s) = server_commands::lookup(name) {
        return Some(server_entry(s));
    }
    command::lookup(name).map(engine_entry)
}

/// COMMAND INFO's array of ten for one command (`addReplyCommandInfo`).
fn info_frame(e: &Entry, resp: u8) -> Frame {
    let status = |s: &str| Frame::Simple(s.as_bytes().to_vec());
    let category = format!("@{}", e.group);
    Frame::Array(vec![
        bulk_frame(e.name),
        Frame::Integer(e.arity),
        set_frame(resp, e.flags.iter().map(|f| status(f)).collect()),
        Frame::Integer(e.keys.0),
        Frame::Integer(e.keys.1),
        Frame::Integer(e.keys.2),
        set_frame(resp, vec![status(&category)]),
        set_frame(resp, Vec::new()),
        Frame::Array(Vec::new()),
        Frame::Array(Vec::new()),
    ])
}

/// The `arguments` of COMMAND DOCS from a syntax line: one argument per word, `optional`
/// inside brackets, `multiple` before `...`, upper-case words as tokens.
fn arguments_frame(syntax: &str, resp: u8) -> Frame {
    let mut args: Vec<(String, bool, bool)> = Vec::new();
    let mut depth = 0usize;
    for word in syntax.split_whitespace() {
        let opens = word.chars().take_while(|&c| c == '[').count();
        depth += opens;
        let closes = word.chars().rev().take_while(|&c| c == ']').count();
        let bare = word.trim_matches(|c| c == '[' || c == ']');
        if bare == "..." {
            if let Some(last) = args.last_mut() {
                last.2 = true;
            }
        } else if !bare.is_empty() {
            args.push((bare.to_owned(), depth > 0, false));
        }
        depth = depth.saturating_sub(closes);
    }
    // `key [key ...]` is one multiple argument.
    let mut merged: Vec<(String, bool, bool)> = Vec::new();
    for a in args {
        if let Some(prev) = merged.last_mut() {
            if prev.0 == a.0 && a.1 && a.2 {
                prev.2 = true;
                continue;
            }
        }
        merged.push(a);
    }
    let status = |s: &str| Frame::Simple(s.as_bytes().to_vec());
    Frame::Array(
        merged
            .into_iter()
            .map(|(name, optional, multiple)| {
                let token = name.chars().all(|c| c.is_ascii_uppercase() || c == '-' || c == '|' || c == '=' || c == '~' || c == '*')
                    && name.chars().any(|c| c.is_ascii_uppercase());
                let ty = if token {
                    "pure-token"
                } else if name == "key" || name == "source" || name == "destination" || name == "newkey" {
                    "key"
                } else if matches!(name.as_str(), "count" | "index" | "start" | "stop" | "numkeys" | "seconds" | "milliseconds" | "increment" | "decrement") {
                    "integer"
                } else {
                    "string"
                };
                let mut pairs = vec![
                    (bulk_frame("name"), bulk_frame(name.to_ascii_lowercase())),
                    (bulk_frame("type"), bulk_frame(ty)),
                ];
                if token {
                    pairs.push((bulk_frame("token"), bulk_frame(&name)));
                }
                let mut flags = Vec::new();
                if optional {
                    flags.push(status("optional"));
                }
                if multiple {
                    flags.push(status("multiple"));
                }
                if !flags.is_empty() {
                    pairs.push((bulk_frame("flags"), set_frame(resp, flags)));
                }
                map_frame(resp, pairs)
            })
            .collect(),
    )
}

/// COMMAND DOCS's map for one command.
fn docs_frame(e: &Entry, resp: u8) -> Frame {
    let (summary, since, syntax) = DOCS
        .iter()
        .find(|d| d.0 == e.name)
        .map_or(("", "1.0.0", ""), |d| (d.3, d.2, d.4));
    map_frame(
        resp,
        vec![
            (bulk_frame("summary"), bulk_frame(summary)),
            (bulk_frame("since"), bulk_frame(since)),
            (bulk_frame("group"), bulk_frame(e.group)),
            (bulk_frame("arguments"), arguments_frame(syntax, resp)),
        ],
    )
}

/// ```text
/// COMMAND [COUNT | DOCS [command ...] | INFO [command ...] | LIST [FILTERBY ...] | HELP]
/// ```
pub fn command(c: &mut Client, _sh: &Shared, args: &[&[u8]]) -> Answer {
    let resp = c.ctx.resp;
    if args.len() == 1 {
        return Answer::Frame(Frame::Array(entries().iter().map(|e| info_frame(e, resp)).collect()));
    }
    let sub = args[1];
    let arity = |name: &str| Answer::Reply(Reply::Error(Error::WrongArity { cmd: format!("command|{name}") }));
    if is_keyword(sub, "count") {
        if args.len() != 2 {
            return arity("count");
        }
        Answer::Reply(Reply::count(entries().len()))
    } else if is_keyword(sub, "info") {
        if args.len() == 2 {
            return Answer::Frame(Frame::Array(entries().iter().map(|e| info_frame(e, resp)).collect()));
        }
        Answer::Frame(Frame::Array(
            args[2..].iter().map(|n| find(n).map_or(Frame::NullBulk, |e| info_frame(&e, resp))).map(|f| {
                if resp >= 3 && f == Frame::NullBulk {
                    Frame::Null
                } else {
                    f
                }
            }).collect(),
        ))
    } else if is_keyword(sub, "docs") {
        let chosen: Vec<Entry> = if args.len() == 2 { entries() } else { args[2..].iter().filter_map(|n| find(n)).collect() };
        Answer::Frame(map_frame(resp, chosen.iter().map(|e| (bulk_frame(e.name), docs_frame(e, resp))).collect()))
    } else if is_keyword(sub, "list") {
        let all = entries();
        let names: Vec<&str> = match args.len() {
            2 => all.iter().map(|e| e.name).collect(),
            5 if is_keyword(args[2], "filterby") => {
                let v = args[4];
                if is_keyword(args[3], "pattern") {
                    all.iter().filter(|e| glob_match(v, e.name.as_bytes(), true)).map(|e| e.name).collect()
                } else if is_keyword(args[3], "aclcat") {
                    let cat = String::from_utf8_lossy(v).to_ascii_lowercase();
                    all.iter().filter(|e| e.group == cat.trim_start_matches('@')).map(|e| e.name).collect()
                } else if is_keyword(args[3], "module") {
                    Vec::new()
                } else {
                    return Answer::Reply(Reply::Error(Error::Syntax));
                }
            }
            _ => return Answer::Reply(Reply::Error(Error::Syntax)),
        };
        Answer::Reply(Reply::bulks(names.into_iter().map(str::as_bytes)))
    } else if is_keyword(sub, "help") {
        Answer::Reply(Reply::Array(
            [
                "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "(no subcommand)",
                "    Return details about all Redis commands.",
                "COUNT",
                "    Return the total number of commands in this Redis server.",
                "LIST",
                "    Return a list of all commands in this Redis server.",
                "INFO [<command-name> ...]",
                "    Return details about multiple Redis commands.",
                "DOCS [<command-name> ...]",
                "    Return documentation details about multiple Redis commands.",
                "HELP",
                "    Print this help.",
            ]
            .iter()
            .map(|l| Reply::simple(l))
            .collect(),
        ))
    } else {
        Answer::Error(errors::unknown_subcommand("command", sub).into())
    }
}
