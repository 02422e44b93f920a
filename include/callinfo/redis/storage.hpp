// callinfo — redis::storage: the Storage policy that shares lines, seizes,
// subscriptions and publications between presence servers through one Redis.
//
//   struct my_policies : callinfo::redis::policies {};   // system_clock, cluster_ids
//   callinfo::basic_server<my_policies> server(callinfo::redis::storage(commands, /*node*/ 2));
//   callinfo::redis::start(server);                       // a boot number for the ids
//   server.on_subscribe(r, sink);                         // exactly as in memory
//
// Redis holds the authoritative state; the storage keeps a cache (a
// map_storage) that holds one line during a call. Every server call is an
// optimistic transaction on the line it touches (storage_policy::transact):
//   1. load the line's record and version (HMGET) into the emptied cache;
//   2. run the call, its effects into a buffer;
//   3. if the line's record changed, commit with a Lua script that checks the
//      version (compare-and-set), writes the record, bumps the version, keeps
//      the expiry set and the subscription index, and PUBLISHes which
//      subscriptions of other servers the change concerns; on a version
//      mismatch, drop the buffered effects and go back to 1 (bounded).
// So of two servers seizing the same appearance at the same moment exactly
// one commits; the other runs again on the new state and answers 480. A
// PUBLISH's SIP-If-Match is checked against the publications stored with the
// line, so a stale entity-tag gets 412 whichever server it reaches. A call
// inside a subscription's dialog that does not name its line (a refresh, an
// end, a failed NOTIFY) finds it in the subscription index first.
//
// Effects: responses and appearance_changed go to the caller; a NOTIFY goes
// to the caller only for a subscription this server owns (cluster_ids puts
// the owner's number in the id) or the one the request names; the others
// travel in the change message, and their owners NOTIFY them (drain(),
// handle_change()). arm_timer / cancel_timer are not passed on: every
// deadline is also in a Redis sorted set, and any live server calls
// expire_due() periodically (or at next_deadline()); it claims due entries
// atomically (each goes to one server, which holds it for a lease) and
// expires them, so the seizes of a server that died still end.
//
// A call Redis could not serve changes nothing: a SUBSCRIBE or PUBLISH is
// answered 500 with Retry-After, the others return what a refused call
// returns, and basic_server::last_storage_status() says why
// (storage_status::unavailable, contention, corrupt).
//
// I/O is explicit and blocking: every call makes blocking hiredis calls on
// the command connection the user gives; change messages arrive on a second
// connection (a subscribed connection takes no other command) that the
// user's event loop polls (its fd) and hands to drain(), which never blocks
// longer than the timeout it is given. A lost connection is reconnected at
// the next call; a commit whose reply was lost is not replayed (the call
// reports `unavailable`).
//
// A storage built without a connection keeps everything in this process
// (its cache is then the state, as map_storage): one program serves alone
// or shared, chosen at run time, through one call path.
//
// dialog;shared watchers (RFC 7463) number their NOTIFYs (RFC 4235 §4.1:
// one more per NOTIFY). The number is stored with the subscription in the
// line's record, and it is taken by the server that sends the NOTIFY, in a
// committed transaction: the owner for a change another server made (the
// change message names the subscription, the owner reloads the line, numbers
// its NOTIFY and commits the bump), the server the request reached for a
// refresh or unsubscribe. The server that makes the change leaves the
// versions of NOTIFYs it routes as it found them. Numbering at the change
// instead (the version in the change message) would let the owner send a
// NOTIFY of its own, numbered after a change message still queued on its
// subscribed connection, before that message's NOTIFY: the watcher would see
// n + 1 then n. A terminated NOTIFY routed to its owner carries its version
// (nobody can take a number after the subscription is gone).
//
// All servers must read their Clock policy on one time line (the system
// clock, NTP-synchronised): deadlines are stored as absolute times. A server
// on redis::storage is not thread-safe: one per thread, each with its own
// connections and its own server number (the number routes NOTIFYs).
#pragma once

#include <callinfo/presence/server.hpp>
#include <callinfo/redis/cluster_ids.hpp>
#include <callinfo/redis/line_codec.hpp>

#include <hiredis/hiredis.h>
#include <poll.h>

#include <algorithm>
#include <charconv>
#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

/// Several servers sharing one state through Redis (optional, hiredis): the Storage policy, the
/// cluster's ids and the line codec.
namespace callinfo::inline v1::redis {

/// What a call into the storage or the functions below reports (storage_status).
using status = storage_status;

/// How a storage uses Redis: key prefix, retries, expiry leases.
struct options {
  /// Every key starts with it; the braces are a Redis Cluster hash tag, so all
  /// keys land in one slot (the commit script touches several).
  std::string prefix = "{callinfo}:";
  unsigned max_attempts = 32;     ///< transactions per call before `contention`
  time_point claim_lease{30000};  ///< an expiry claimed by a server that dies comes due again after it
  std::size_t expire_batch = 64;  ///< entries claimed per expire_due()
};

/// What a storage has done since it was made, for logs and metrics.
struct counters {
  std::uint64_t attempts = 0;   ///< transactions run (a retried call counts each run)
  std::uint64_t commits = 0;    ///< records written
  std::uint64_t conflicts = 0;  ///< commits refused because another server wrote first
  std::uint64_t messages = 0;   ///< change messages received from other servers
};

namespace detail {
struct reply_deleter {
  void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
};
using reply_ptr = std::unique_ptr<redisReply, reply_deleter>;

inline std::string_view str(redisReply const* r) noexcept {
  return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_ERROR)
             ? std::string_view(r->str, r->len)
             : std::string_view{};
}

// KEYS: line, version sequence, subscription index, expiry set.
// ARGV: expected version, record, channel, message, line, then four counted
// lists: (score member) to ZADD, members to ZREM, subscription ids to index,
// subscription ids to unindex. Returns the new version, or 0 on a mismatch.
inline constexpr char const commit_script[] = R"lua(
local cur = redis.call('HGET', KEYS[1], 'v') or '0'
if cur ~= ARGV[1] then return 0 end
local v = redis.call('INCR', KEYS[2])
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else redis.call('HSET', KEYS[1], 'v', v, 'd', ARGV[2]) end
local i = 6
local n = tonumber(ARGV[i]); i = i + 1
for k = 1, n do redis.call('ZADD', KEYS[4], ARGV[i], ARGV[i + 1]); i = i + 2 end
n = tonumber(ARGV[i]); i = i + 1
for k = 1, n do redis.call('ZREM', KEYS[4], ARGV[i]); i = i + 1 end
n = tonumber(ARGV[i]); i = i + 1
for k = 1, n do redis.call('HSET', KEYS[3], ARGV[i], ARGV[5]); i = i + 1 end
n = tonumber(ARGV[i]); i = i + 1
for k = 1, n do redis.call('HDEL', KEYS[3], ARGV[i]); i = i + 1 end
if ARGV[4] ~= '' then redis.call('PUBLISH', ARGV[3], ARGV[4]) end
return v
)lua";

// KEYS: expiry set. ARGV: now, now + lease, batch. Moves every due entry
// (at most batch) to the end of the lease and returns them: each due entry
// goes to exactly one caller.
inline constexpr char const claim_script[] = R"lua(
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, m in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[2], m) end
return due
)lua";
}  // namespace detail

/// The Storage policy of servers that share one Redis: lines, subscriptions and publications in
/// Redis, each call an optimistic transaction on its line. Design and guarantees: docs/redis.md.
class storage {
 public:
  /// Without a connection: everything in this process (see the top).
  storage() = default;
  /// `commands`: a connected hiredis context, used for blocking commands,
  /// that outlives the storage. `node`: this server's number (0–4095),
  /// unique among the servers sharing the Redis.
  storage(redisContext* commands, std::uint32_t node, options opt = {})
      : c_(commands), node_(node & max_node), opt_(std::move(opt)) {
    seq_key_ = opt_.prefix + "seq";
    index_key_ = opt_.prefix + "subs";
    expiry_key_ = opt_.prefix + "expiry";
    channel_ = opt_.prefix + "changes";
  }
  storage(storage&&) noexcept = default;             ///< Movable (a server takes it by value); not copyable.
  storage& operator=(storage&&) noexcept = default;  ///< Movable; not copyable.

  /// Whether the state is shared through Redis (a connection was given).
  bool shared() const noexcept { return c_ != nullptr; }
  /// This server's number among those sharing the Redis.
  std::uint32_t node() const noexcept { return node_; }
  /// What the storage has done so far.
  counters const& stats() const noexcept { return stats_; }
  /// The pub/sub channel of change messages (subscribe a second connection to it).
  std::string const& channel() const noexcept { return channel_; }

  // ---- storage_policy: the cache --------------------------------------------
  /// The line `uri` as this call loaded it, or nullptr.
  line_record* find_line(std::string_view uri) noexcept { return cache_.find_line(uri); }
  /// The line `uri`, created idle when missing (written back at commit).
  line_record& make_line(std::string_view uri) { return cache_.make_line(uri); }
  /// Forgets the line `uri` (deleted at commit).
  void erase_line(std::string_view uri) { cache_.erase_line(uri); }
  /// Lines in this process's cache.
  std::size_t line_count() const noexcept { return cache_.line_count(); }
  /// Calls `f(line_record const&)` for every cached line.
  template <class F>
  void for_each_line(F&& f) const {
    cache_.for_each_line(f);
  }
  /// The line a cached subscription watches (as map_storage::line_of()).
  line_record* line_of(subscription& s) noexcept { return cache_.line_of(s); }
  /// The subscription `id`, or nullptr.
  subscription* find_subscription(subscription_id id) noexcept { return cache_.find_subscription(id); }
  /// Stores `s` under its id (written back at commit).
  subscription& add_subscription(subscription s) { return cache_.add_subscription(std::move(s)); }
  /// Forgets subscription `id`.
  void erase_subscription(subscription_id id) { cache_.erase_subscription(id); }
  /// Subscriptions in the cache.
  std::size_t subscription_count() const noexcept { return cache_.subscription_count(); }
  /// Subscriptions of `watcher` in the cache.
  std::size_t subscriptions_of(std::string_view watcher) const noexcept { return cache_.subscriptions_of(watcher); }
  /// Calls `f(subscription const&)` for every cached subscription.
  template <class F>
  void for_each_subscription(F&& f) const {
    cache_.for_each_subscription(f);
  }
  /// The publication with entity-tag `etag`, or nullptr.
  publication* find_publication(std::string_view etag) noexcept { return cache_.find_publication(etag); }
  /// The publication `id`, or nullptr.
  publication* find_publication(publication_id id) noexcept { return cache_.find_publication(id); }
  /// Stores `p` under its id and entity-tag.
  publication& add_publication(publication p) { return cache_.add_publication(std::move(p)); }
  /// Re-keys the publication under a new entity-tag.
  void set_etag(publication& p, std::string_view etag) { cache_.set_etag(p, etag); }
  /// Forgets publication `id`.
  void erase_publication(publication_id id) { cache_.erase_publication(id); }
  /// Publications in the cache.
  std::size_t publication_count() const noexcept { return cache_.publication_count(); }
  /// Calls `f(publication const&)` for every cached publication.
  template <class F>
  void for_each_publication(F&& f) const {
    cache_.for_each_publication(f);
  }
  /// Empties the cache.
  void clear() noexcept { cache_.clear(); }
  /// A restored snapshot (presence/snapshot.hpp): only when this process
  /// keeps the state; Redis keeps a shared one.
  bool adopt(map_storage&& state) {
    if (c_ != nullptr) return false;
    cache_ = std::move(state);
    return true;
  }
  /// This server holds the dialogs of the subscriptions whose ids it handed out.
  bool owns(subscription_id id) const noexcept { return c_ == nullptr || owner_of(id) == node_; }

  /// A server call as a transaction on its line (see the top of this file).
  template <class Body, class Out>
  status transact(transaction_scope const& scope, Body&& body, Out& out) {
    if (c_ == nullptr || in_transaction_) {  // alone, or inside a transaction already
      body(out);
      return status::ok;
    }
    if (scope.every_line) return transact_every_line(body, out);
    std::string_view line = scope.line;
    subscription_id find = scope.subscription;
    if (line.empty() && scope.timer) {
      if (claimed_ && claimed_->timer == *scope.timer) line = claimed_->line;
      else if (scope.timer->kind == timer_kind::subscription) find = scope.timer->id;
    }
    if (line.empty() && find != 0) {  // inside the dialog: the index knows the line
      auto rep = command({"HGET", index_key_, std::to_string(find)}, true);
      if (!rep || rep->type == REDIS_REPLY_ERROR) return last_ = status::unavailable;
      lookup_line_.assign(detail::str(rep.get()));
      line = lookup_line_;
    }
    return transact_line(line, scope.in_dialog ? scope.subscription : 0, body, out);
  }

  // ---- Redis: the server's other duties ---------------------------------------
  /// A boot number for the Ids policy. Call once before anything else.
  template <class Server>
  status start(Server& server) {
    if (c_ == nullptr) return status::ok;
    auto boot = next_boot();
    if (!boot) return status::unavailable;
    server.ids().start(node_, *boot);
    server.ids().on_exhausted([this] {
      auto b = next_boot();
      return b ? *b : 0;  // without Redis, boot 0 of this node: ids repeat only after 2^32 more
    });
    return status::ok;
  }

  /// Claims the due entries of the expiry set (at most options::expire_batch)
  /// and expires them through server.on_timer(); `expired` counts the entries
  /// handled.
  template <class Server, effect_sink Out>
  status expire_due(Server& server, Out&& out, std::size_t* expired = nullptr) {
    if (expired) *expired = 0;
    if (c_ == nullptr) return status::ok;
    time_point const now = server.clock().now();
    auto rep = eval(claim_sha_, detail::claim_script,
                    {expiry_key_}, {std::to_string(now.count()), std::to_string((now + opt_.claim_lease).count()),
                                    std::to_string(opt_.expire_batch)});
    if (!rep || rep->type != REDIS_REPLY_ARRAY) return status::unavailable;
    std::vector<std::string> claimed;
    for (std::size_t i = 0; i < rep->elements; ++i) claimed.emplace_back(detail::str(rep->element[i]));
    rep.reset();
    for (std::string const& m : claimed) {
      auto const p = parse_expiry_member(m);
      if (!p) {
        command({"ZREM", expiry_key_, m}, true);
        continue;
      }
      std::string const line(p->line);
      claimed_ = claimed_timer{p->timer, line};
      server.on_timer(p->timer, out);
      claimed_.reset();
      if (last_ != status::ok) return last_;  // the lease brings the entry back
      if (!committed_) {
        // Nothing expired (refreshed since, or already gone): the entry gets
        // its real deadline back, or goes.
        std::optional<time_point> at;
        if (p->timer.kind == timer_kind::subscription) {
          if (subscription const* sub = cache_.find_subscription(p->timer.id); sub && sub->line == line)
            at = sub->expires_at;
        } else if (publication const* pub = cache_.find_publication(p->timer.id); pub && pub->line == line) {
          at = pub->expires_at;
        }
        auto fix = at ? command({"ZADD", expiry_key_, "XX", std::to_string(at->count()), m}, true)
                      : command({"ZREM", expiry_key_, m}, true);
        if (!fix) return status::unavailable;
      }
      if (expired) ++*expired;
    }
    return status::ok;
  }

  /// The earliest deadline in the expiry set (nullopt: none, or unreachable).
  std::optional<time_point> next_deadline() {
    if (c_ == nullptr) return std::nullopt;
    auto rep = command({"ZRANGE", expiry_key_, "0", "0", "WITHSCORES"}, true);
    if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements != 2) return std::nullopt;
    std::string const score(detail::str(rep->element[1]));
    return time_point(static_cast<std::int64_t>(std::stod(score)));
  }

  // ---- Changes made by other servers ----------------------------------------
  /// Subscribes `c` (a connection of its own) to the change channel.
  status subscribe(redisContext* c) {
    detail::reply_ptr rep(static_cast<redisReply*>(redisCommand(c, "SUBSCRIBE %b", channel_.data(), channel_.size())));
    return rep && rep->type == REDIS_REPLY_ARRAY ? status::ok : status::unavailable;
  }

  /// Handles the change messages that have arrived on `c` (subscribed with
  /// subscribe()), waiting at most timeout_ms for the first. After a lost
  /// connection it reconnects, subscribes again and resync()s, since messages
  /// sent meanwhile are lost.
  template <class Server, effect_sink Out>
  status drain(Server& server, redisContext* c, Out&& out, int timeout_ms = 0) {
    if (c->err) {
      if (redisReconnect(c) != REDIS_OK || subscribe(c) != status::ok) return status::unavailable;
      if (status const s = resync(server, out); s != status::ok) return s;
    }
    if (status const s = drain_buffered(server, c, out); s != status::ok) return s;
    pollfd p{c->fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return status::ok;
    if (redisBufferRead(c) != REDIS_OK) return status::unavailable;
    return drain_buffered(server, c, out);
  }

  /// One change message (the payload of a message on channel()), for users
  /// whose event loop reads the subscription itself.
  template <class Server, effect_sink Out>
  status handle_change(Server& server, std::string_view payload, Out&& out) {
    if (!decode_change(payload, msg_in_)) return status::corrupt;
    if (msg_in_.origin == node_) return status::ok;
    bool mine = false;
    for (change_entry const& e : msg_in_.entries) mine = mine || owner_of(e.id) == node_;
    if (!mine) return status::ok;
    ++stats_.messages;
    owed_.clear();
    for (change_entry const& e : msg_in_.entries)
      if (owner_of(e.id) == node_) owed_.push_back(e);
    return notify_owned(server, msg_in_.line, out);
  }

  /// A NOTIFY to each call-info and dialog;shared subscription this server
  /// owns, showing its line as Redis holds it: after change messages may have
  /// been lost. The lines are read in pipelined batches; a line with a
  /// dialog;shared watcher is then run as a transaction (its version).
  template <class Server, effect_sink Out>
  status resync(Server& server, Out&& out) {
    if (c_ == nullptr) return status::ok;
    std::vector<std::pair<std::string, subscription_id>> mine;  // (line, id)
    if (!owned_subscriptions(mine)) return status::unavailable;
    std::vector<std::string> lines;
    std::vector<std::pair<std::string, subscription_id>> numbered;  // dialog;shared: (line, id)
    for (auto const& [line, id] : mine)
      if (lines.empty() || lines.back() != line) lines.push_back(line);
    // The lines' records in pipelined batches: one round trip per batch.
    constexpr std::size_t batch = 256;
    std::size_t next = 0;  // into mine
    for (std::size_t first = 0; first < lines.size(); first += batch) {
      std::size_t const last = std::min(lines.size(), first + batch);
      if (c_->err && redisReconnect(c_) != REDIS_OK) return status::unavailable;
      for (std::size_t i = first; i < last; ++i) {
        std::string const key = line_key(lines[i]);
        char const* argv[] = {"HMGET", key.data(), "v", "d"};
        std::size_t const lens[] = {5, key.size(), 1, 1};
        if (redisAppendCommandArgv(c_, 4, argv, lens) != REDIS_OK) return status::unavailable;
      }
      for (std::size_t i = first; i < last; ++i) {
        void* raw = nullptr;
        if (redisGetReply(c_, &raw) != REDIS_OK || raw == nullptr) return status::unavailable;
        detail::reply_ptr r(static_cast<redisReply*>(raw));
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) return status::unavailable;
        cache_.clear();
        if (!decode_line(lines[i], detail::str(r->element[1]), cache_)) return status::corrupt;
        buf_.clear();
        {
          // The line is loaded: the NOTIFYs read it as it is (no transaction).
          holding hold(*this);
          server.notify_watchers_of(lines[i], buf_);
        }
        for (; next < mine.size() && mine[next].first == lines[i]; ++next)
          for (effect const& f : buf_.items)
            if (auto const* n = std::get_if<notify>(&f); n && n->subscription == mine[next].second) {
              // A dialog;shared NOTIFY takes its version in a transaction, below.
              if (n->event == event_package::dialog_shared) numbered.emplace_back(lines[i], n->subscription);
              else out(f);
            }
      }
    }
    for (std::size_t i = 0; i < numbered.size();) {
      owed_.clear();
      std::size_t j = i;
      for (; j < numbered.size() && numbered[j].first == numbered[i].first; ++j)
        owed_.push_back({numbered[j].second, false, event_package::dialog_shared, std::nullopt, 0, 0, {}});
      if (status const s = notify_owned(server, numbered[i].first, out); s != status::ok) return s;
      i = j;
    }
    return status::ok;
  }

 private:
  enum class commit_result { committed, conflict, failed };

  // The expiry entry expire_due() is handing to on_timer(): its line.
  struct claimed_timer {
    timer_id timer;
    std::string line;
  };
  // Marks the cache as holding a loaded line: calls made meanwhile run on it.
  struct holding {
    storage& s;
    explicit holding(storage& st) noexcept : s(st) { s.in_transaction_ = true; }
    ~holding() { s.in_transaction_ = false; }
    holding(holding const&) = delete;
    holding& operator=(holding const&) = delete;
  };

  // A command on the command connection. A lost connection is reconnected
  // first; an idempotent command is sent again once after a failure (the
  // connection may have died since the last call).
  detail::reply_ptr command(std::vector<std::string_view> const& args, bool idempotent) {
    argv_.clear();
    lens_.clear();
    for (std::string_view a : args) {
      argv_.push_back(a.data());
      lens_.push_back(a.size());
    }
    for (int round = 0; round < 2; ++round) {
      if (c_->err && redisReconnect(c_) != REDIS_OK) return {};
      auto* r = static_cast<redisReply*>(
          redisCommandArgv(c_, static_cast<int>(argv_.size()), argv_.data(), lens_.data()));
      if (r != nullptr) return detail::reply_ptr(r);
      if (!idempotent) break;
    }
    return {};
  }

  // EVALSHA, or EVAL when Redis does not hold the script (a restart
  // empties its script cache).
  detail::reply_ptr eval(std::string& sha, char const* script, std::vector<std::string_view> const& keys,
                         std::vector<std::string_view> const& args, bool idempotent = true) {
    std::string const nkeys = std::to_string(keys.size());
    std::vector<std::string_view> a;
    a.reserve(3 + keys.size() + args.size());
    a.push_back("EVALSHA");
    a.push_back(sha);
    a.push_back(nkeys);
    a.insert(a.end(), keys.begin(), keys.end());
    a.insert(a.end(), args.begin(), args.end());
    if (!sha.empty()) {
      auto r = command(a, idempotent);
      if (!r || !(r->type == REDIS_REPLY_ERROR && detail::str(r.get()).starts_with("NOSCRIPT"))) return r;
    }
    // Redis refused nothing yet: load the script (its SHA1 comes back) and run it.
    auto loaded = command({"SCRIPT", "LOAD", script}, true);
    if (!loaded || loaded->type != REDIS_REPLY_STRING) return loaded;
    sha.assign(detail::str(loaded.get()));
    a[1] = sha;
    return command(a, idempotent);
  }

  std::optional<std::uint64_t> next_boot() {
    auto rep = command({"INCR", opt_.prefix + "boot:" + std::to_string(node_)}, false);
    if (!rep || rep->type != REDIS_REPLY_INTEGER) return std::nullopt;
    return static_cast<std::uint64_t>(rep->integer);
  }

  std::string line_key(std::string_view line) const {
    std::string k = opt_.prefix;
    k += "line:";
    k += line;
    return k;
  }

  // Adds the stored line to the (emptied) cache; `version` is "0" for a
  // line Redis does not hold.
  status load_line(std::string_view line, std::string& version) {
    auto rep = command({"HMGET", line_key(line), "v", "d"}, true);
    if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements != 2) return status::unavailable;
    redisReply const* v = rep->element[0];
    version = v->type == REDIS_REPLY_STRING ? std::string(detail::str(v)) : std::string("0");
    if (!decode_line(line, detail::str(rep->element[1]), cache_)) return status::corrupt;
    return status::ok;
  }

  bool local(notify const& n, subscription_id subject) const noexcept {
    return owner_of(n.subscription) == node_ || n.subscription == subject;
  }

  // make_notify() took a version for every dialog;shared NOTIFY; those that
  // go to their owner in the change message get theirs there (see the top of
  // this file), so their subscriptions keep the version they were loaded
  // with (the first taken, hence the reverse walk).
  void keep_routed_versions(subscription_id subject) {
    for (auto it = buf_.items.rbegin(); it != buf_.items.rend(); ++it) {
      auto const* n = std::get_if<notify>(&*it);
      if (n == nullptr || n->event != event_package::dialog_shared || local(*n, subject)) continue;
      if (subscription* s = cache_.find_subscription(n->subscription)) s->version = n->version;
    }
  }

  // The NOTIFYs owed_ (entries for subscriptions this server owns) asks for,
  // showing the line as Redis holds it now; in a transaction, so that the
  // versions dialog;shared NOTIFYs take are committed before they are sent.
  template <class Server, class Out>
  status notify_owned(Server& server, std::string const& line, Out& out) {
    bool const numbers = std::any_of(owed_.begin(), owed_.end(), [](change_entry const& e) { return !e.ended; });
    auto run = [&](effect_list& b) {
      rendered_.clear();
      if (numbers) server.notify_watchers_of(line, rendered_);
      // The versions of the NOTIFYs not sent here stay as loaded.
      for (auto it = rendered_.items.rbegin(); it != rendered_.items.rend(); ++it) {
        auto const* n = std::get_if<notify>(&*it);
        if (n == nullptr || owes(n->subscription)) continue;
        if (subscription* s = cache_.find_subscription(n->subscription)) s->version = n->version;
      }
      line_record const* rec = cache_.find_line(line);
      for (auto it = owed_.begin(); it != owed_.end(); ++it) {
        change_entry const& e = *it;
        // One NOTIFY per subscription, however often a message names it.
        if (!e.ended && std::any_of(owed_.begin(), it, [&](change_entry const& x) { return !x.ended && x.id == e.id; }))
          continue;
        if (e.ended) {
          notify n;
          n.subscription = e.id;
          n.event = e.event;
          n.state = substate::terminated;
          n.reason = e.reason;
          n.line = rec ? Server::view_of(*rec) : line_view{line, {}, {}};
          n.seized_index = e.seized_index;
          n.version = e.version;
          n.event_id = e.event_id;
          n.format = Server::dialect::format;
          n.expires_in_initial = Server::dialect::expires_in_initial_notify;
          b(effect{n});
          continue;
        }
        for (effect const& f : rendered_.items)
          if (auto const* n = std::get_if<notify>(&f); n && n->subscription == e.id) b(f);
      }
    };
    return transact_line(line, 0, run, out);
  }
  // The subscriptions this server owns, from the subscription index, as
  // (line, id) sorted by line; false when Redis could not be read.
  bool owned_subscriptions(std::vector<std::pair<std::string, subscription_id>>& mine) {
    auto rep = command({"HGETALL", index_key_}, true);
    if (!rep || rep->type != REDIS_REPLY_ARRAY) return false;
    for (std::size_t i = 0; i + 1 < rep->elements; i += 2) {
      std::uint64_t id = 0;
      std::string_view const f = detail::str(rep->element[i]);
      std::from_chars(f.data(), f.data() + f.size(), id);
      if (id != 0 && owner_of(id) == node_) mine.emplace_back(detail::str(rep->element[i + 1]), id);
    }
    std::sort(mine.begin(), mine.end());
    return true;
  }
  bool owes(subscription_id id) const noexcept {
    return std::any_of(owed_.begin(), owed_.end(), [&](change_entry const& e) { return !e.ended && e.id == id; });
  }

  // end_all_subscriptions: the body once per line that holds a subscription
  // this server owns, each line its own transaction.
  template <class Body, class Out>
  status transact_every_line(Body& body, Out& out) {
    std::vector<std::pair<std::string, subscription_id>> mine;
    if (!owned_subscriptions(mine)) return last_ = status::unavailable;
    std::vector<std::string> lines;
    for (auto const& [line, id] : mine)
      if (lines.empty() || lines.back() != line) lines.push_back(line);
    for (std::string const& line : lines)
      if (status const s = transact_line(line, 0, body, out); s != status::ok) return s;
    return status::ok;
  }

  template <class Body, class Out>
  status transact_line(std::string_view line, subscription_id subject, Body& body, Out& out) {
    for (unsigned attempt = 0; attempt < opt_.max_attempts; ++attempt) {
      ++stats_.attempts;
      committed_ = false;
      buf_.clear();
      cache_.clear();
      std::string version;
      if (status const s = load_line(line, version); s != status::ok) return last_ = s;
      encode_line(cache_, line, before_);
      expiry_entries(cache_, line, old_entries_);
      {
        holding hold(*this);
        body(buf_);
      }
      keep_routed_versions(subject);
      encode_line(cache_, line, after_);
      if (after_ != before_) {
        commit_result const c = commit(line, version, subject);
        if (c == commit_result::conflict) {
          ++stats_.conflicts;
          continue;
        }
        if (c == commit_result::failed) return last_ = status::unavailable;
        committed_ = true;
        ++stats_.commits;
      }
      for (effect const& e : buf_.items) {
        if (auto const* n = std::get_if<notify>(&e)) {
          if (local(*n, subject)) out(e);
        } else if (!std::holds_alternative<arm_timer>(e) && !std::holds_alternative<cancel_timer>(e)) {
          out(e);
        }
      }
      return last_ = status::ok;
    }
    return last_ = status::contention;
  }

  commit_result commit(std::string_view line, std::string const& version, subscription_id subject) {
    // The NOTIFYs other servers owe their subscriptions.
    msg_out_.origin = node_;
    msg_out_.line.assign(line);
    msg_out_.entries.clear();
    // One entry per subscription: the owner NOTIFYs the line as it is then,
    // once. A subscription that also ended is owed only its terminated
    // NOTIFY, numbered as the first NOTIFY the call made to it (the stored
    // version was not bumped for routed NOTIFYs).
    for (effect const& e : buf_.items) {
      auto const* n = std::get_if<notify>(&e);
      if (n == nullptr || local(*n, subject)) continue;
      auto same = std::find_if(msg_out_.entries.begin(), msg_out_.entries.end(),
                               [&](change_entry const& x) { return x.id == n->subscription; });
      if (n->state == substate::terminated) {
        std::uint32_t const version = same != msg_out_.entries.end() ? same->version : n->version;
        if (same != msg_out_.entries.end()) msg_out_.entries.erase(same);
        msg_out_.entries.push_back(
            {n->subscription, true, n->event, n->reason, n->seized_index, version, std::string(n->event_id)});
      } else if (n->event != event_package::line_seize && same == msg_out_.entries.end()) {
        // call-info, dialog;shared: the owner numbers it (version kept here only for an end above)
        msg_out_.entries.push_back({n->subscription, false, n->event, std::nullopt, 0, n->version, {}});
      }
    }
    for (change_entry& x : msg_out_.entries)
      if (!x.ended) x.version = 0;  // not sent: see line_codec.hpp
    if (msg_out_.entries.empty()) message_.clear();
    else encode_change(msg_out_, message_);

    expiry_entries(cache_, line, new_entries_);
    strings_.clear();
    auto num = [&](auto v) { strings_.push_back(std::to_string(v)); };
    auto member = [&](timer_id t) { strings_.push_back(expiry_member(t, line)); };
    num(new_entries_.size());
    for (expiry_entry const& e : new_entries_) {
      num(e.at.count());
      member(e.timer);
    }
    auto gone = [&](expiry_entry const& o) {
      return std::none_of(new_entries_.begin(), new_entries_.end(), [&](auto const& n) { return n.timer == o.timer; });
    };
    auto is_new = [&](expiry_entry const& n) {
      return std::none_of(old_entries_.begin(), old_entries_.end(), [&](auto const& o) { return n.timer == o.timer; });
    };
    num(std::count_if(old_entries_.begin(), old_entries_.end(), gone));
    for (expiry_entry const& o : old_entries_)
      if (gone(o)) member(o.timer);
    auto is_sub = [](expiry_entry const& e) { return e.timer.kind == timer_kind::subscription; };
    num(std::count_if(new_entries_.begin(), new_entries_.end(), [&](auto const& n) { return is_sub(n) && is_new(n); }));
    for (expiry_entry const& n : new_entries_)
      if (is_sub(n) && is_new(n)) num(n.timer.id);
    num(std::count_if(old_entries_.begin(), old_entries_.end(), [&](auto const& o) { return is_sub(o) && gone(o); }));
    for (expiry_entry const& o : old_entries_)
      if (is_sub(o) && gone(o)) num(o.timer.id);

    std::string const key = line_key(line);
    std::vector<std::string_view> args{version, after_, channel_, message_, line};
    args.insert(args.end(), strings_.begin(), strings_.end());
    auto rep = eval(commit_sha_, detail::commit_script, {key, seq_key_, index_key_, expiry_key_}, args, false);
    if (!rep || rep->type != REDIS_REPLY_INTEGER) return commit_result::failed;
    return rep->integer == 0 ? commit_result::conflict : commit_result::committed;
  }

  template <class Server, class Out>
  status drain_buffered(Server& server, redisContext* c, Out& out) {
    for (;;) {
      void* raw = nullptr;
      if (redisGetReplyFromReader(c, &raw) != REDIS_OK) return status::unavailable;
      if (raw == nullptr) return status::ok;
      detail::reply_ptr rep(static_cast<redisReply*>(raw));
      if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 3 || detail::str(rep->element[0]) != "message") continue;
      std::string const payload(detail::str(rep->element[2]));
      rep.reset();
      if (status const s = handle_change(server, payload, out); s == status::unavailable) return s;
    }
  }

  redisContext* c_ = nullptr;
  std::uint32_t node_ = 0;
  options opt_;
  map_storage cache_;
  counters stats_;
  std::string seq_key_, index_key_, expiry_key_, channel_;
  std::string commit_sha_, claim_sha_;
  bool in_transaction_ = false;
  bool committed_ = false;
  status last_ = status::ok;
  std::optional<claimed_timer> claimed_;
  effect_list buf_;
  std::string before_, after_, message_, lookup_line_;
  std::vector<expiry_entry> old_entries_, new_entries_;
  std::vector<std::string> strings_;
  change_message msg_out_, msg_in_;
  std::vector<change_entry> owed_;
  effect_list rendered_;
  std::vector<char const*> argv_;
  std::vector<std::size_t> lens_;
};

/// The servers sharing one Redis: the storage, ids unique across them, and
/// one time line (the system clock; keep the hosts NTP-synchronised).
struct policies : default_policies {
  using clock = system_clock;      ///< the shared time line
  using storage = redis::storage;  ///< lines in Redis
  using ids = cluster_ids;         ///< ids unique across the servers
};

/// A server on redis::storage; the functions below are its storage's duties
/// that need the server (its clock, ids and calls).
template <class S>
concept server_on_redis = std::same_as<typename S::storage_type, storage> &&
                          std::same_as<typename S::ids_type, cluster_ids>;

/// storage::start(): a boot number for the Ids policy. Call once before anything else.
template <server_on_redis Server>
status start(Server& s) {
  return s.storage().start(s);
}
/// storage::expire_due(): expires the due subscriptions and publications of the cluster.
template <server_on_redis Server, effect_sink Out>
status expire_due(Server& s, Out&& out, std::size_t* expired = nullptr) {
  return s.storage().expire_due(s, out, expired);
}
/// storage::drain(): handles the change messages that arrived on `c`.
template <server_on_redis Server, effect_sink Out>
status drain(Server& s, redisContext* c, Out&& out, int timeout_ms = 0) {
  return s.storage().drain(s, c, out, timeout_ms);
}
/// storage::handle_change(): one change message read by the caller's own event loop.
template <server_on_redis Server, effect_sink Out>
status handle_change(Server& s, std::string_view payload, Out&& out) {
  return s.storage().handle_change(s, payload, out);
}
/// storage::resync(): NOTIFYs every subscription this server owns, after change messages may have
/// been lost.
template <server_on_redis Server, effect_sink Out>
status resync(Server& s, Out&& out) {
  return s.storage().resync(s, out);
}

}  // namespace callinfo::v1::redis
