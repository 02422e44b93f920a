// callinfo — Storage policies: where lines, subscriptions and publications live.
//
// map_storage keeps everything in memory (hash maps with heterogeneous
// lookup, so finding a line by a string_view allocates nothing). The
// presence server reaches storage only through the members named by
// storage_policy, so another backend (shared, persistent) can take its place:
// callinfo::redis::storage is one.
//
// Every server call runs inside storage.transact(scope, body, out): the
// storage brings in the line the call is about, runs body(sink) (the call
// itself, writing its effects to `sink`) and makes the result durable or
// shared before any effect reaches `out`. map_storage runs body(out) and
// nothing else, so an in-memory server pays nothing for it. A storage that
// shares lines between servers may run the body again on a newer state (its
// effects from the failed attempt dropped), so the body must depend only on
// what the storage holds when it starts.
#pragma once

#include <callinfo/line/line_dialogs.hpp>
#include <callinfo/line/line_state.hpp>
#include <callinfo/model/event_package.hpp>
#include <callinfo/model/handles.hpp>

#include <concepts>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace callinfo::inline v1 {

/// A SUBSCRIBE dialog the server keeps: who watches which line, in which package, until when.
struct subscription {
  subscription_id id = 0;                          ///< handed out by the Ids policy; the stack maps it to its dialog
  event_package event = event_package::call_info;  ///< call-info, line-seize or dialog;shared
  std::string line;                                ///< the watched line's URI
  std::string watcher;                             ///< the watcher's identity (From)
  /// When it expires, on the Clock policy's time line.
  time_point expires_at{0};
  std::uint32_t seized_index = 0;  ///< line-seize: the appearance it seized (0: none or released)
  std::uint32_t version = 0;       ///< dialog;shared: the dialog-info version of its next NOTIFY
  std::string event_id;            ///< the Event header's id param (RFC 6665 §8.2.1); empty: none
  friend bool operator==(subscription const&, subscription const&) = default;  ///< Field-wise equality.
};

/// An event state published by PUBLISH (RFC 3903): its line, its entity-tag and its deadline.
struct publication {
  publication_id id = 0;  ///< handed out by the Ids policy
  std::string line;       ///< the line the publication states
  std::string etag;       ///< its current entity-tag (SIP-ETag)
  /// When it expires, on the Clock policy's time line.
  time_point expires_at{0};
  std::string publisher;  ///< publish_request::publisher of the PUBLISH that created it
  friend bool operator==(publication const&, publication const&) = default;  ///< Field-wise equality.
};

/// What storage keeps for one line: its appearances, its watchers and its dialogs.
struct line_record {
  line_state state;                       ///< the line's appearances
  std::vector<subscription_id> watchers;  ///< every live subscription to the line, oldest first
  std::vector<line_dialog> dialogs;       ///< the dialogs known to hold its appearances (RFC 7463 agent)
  friend bool operator==(line_record const&, line_record const&) = default;  ///< Field-wise equality.
};

/// What a transaction reaches storage for, and why it could not.
enum class storage_status : std::uint8_t {
  ok,
  unavailable,  ///< the store could not be reached or refused a command: answer 500 and try later
  contention,   ///< every attempt lost its compare-and-set against another writer
  corrupt,      ///< a stored record could not be read
};
/// The value's name, for logs ("contention").
constexpr std::string_view to_string(storage_status s) noexcept {
  constexpr std::string_view names[] = {"ok", "unavailable", "contention", "corrupt"};
  return names[static_cast<std::size_t>(s)];
}

/// What one server call touches. The line when the call names it; else a
/// subscription whose line the storage knows (a request inside its dialog:
/// the stack may not know the line; end_subscription), or the timer that
/// fired; `every_line` for a call that walks every line
/// (end_all_subscriptions). `in_dialog`: the call answers a request inside
/// the subscription's dialog, so its NOTIFYs go out where the request came
/// in (a shared storage routes other NOTIFYs to the server that holds the
/// dialog).
struct transaction_scope {
  std::string_view line;             ///< the line the call is about (empty: not known)
  subscription_id subscription = 0;  ///< the subscription the call names (0: none)
  std::optional<timer_id> timer;     ///< the timer that fired
  bool every_line = false;           ///< the call walks every line
  bool in_dialog = false;            ///< the call answers a request inside the subscription's dialog

  /// A call about `line`.
  static constexpr transaction_scope of_line(std::string_view line) noexcept {
    transaction_scope s;
    s.line = line;
    return s;
  }
  /// A request; inside the dialog of subscription `named` when not 0.
  static constexpr transaction_scope of_request(std::string_view line, subscription_id named) noexcept {
    transaction_scope s = of_line(line);
    s.subscription = named;
    s.in_dialog = named != 0;
    return s;
  }
  /// A call about subscription `id`, whose line the storage knows.
  static constexpr transaction_scope of_subscription(subscription_id id) noexcept {
    transaction_scope s;
    s.subscription = id;
    return s;
  }
  /// A timer that fired.
  static constexpr transaction_scope of_timer(timer_id t) noexcept {
    transaction_scope s;
    s.timer = t;
    return s;
  }
  /// A call that walks every line.
  static constexpr transaction_scope of_every_line() noexcept {
    transaction_scope s;
    s.every_line = true;
    return s;
  }
};

namespace detail {
struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
}  // namespace detail

/// The default Storage policy: everything in memory, in hash maps with heterogeneous lookup
/// (finding a line by a string_view allocates nothing).
class map_storage {
 public:
  /// One process holds everything: the body runs on the live state and its
  /// effects go straight out.
  template <class Body, class Out>
  [[gnu::always_inline]] storage_status transact(transaction_scope const&, Body&& body, Out& out) {
    body(out);
    return storage_status::ok;
  }
  /// Whether this process holds the subscription's dialog (a shared storage
  /// answers for the subscriptions it routes to other servers: no).
  static constexpr bool owns(subscription_id) noexcept { return true; }

  // Lines
  /// The line `uri`, or nullptr.
  line_record* find_line(std::string_view uri) noexcept {
    auto it = lines_.find(uri);
    return it == lines_.end() ? nullptr : &it->second;
  }
  /// The line `uri`, created idle when missing.
  line_record& make_line(std::string_view uri) {
    auto it = lines_.find(uri);
    if (it == lines_.end()) it = lines_.emplace(std::string(uri), line_record{line_state(std::string(uri)), {}, {}}).first;
    return it->second;
  }
  /// Forgets the line `uri`.
  void erase_line(std::string_view uri) {
    if (auto it = lines_.find(uri); it != lines_.end()) {
      lines_.erase(it);
      ++line_epoch_;
    }
  }
  /// Lines stored.
  std::size_t line_count() const noexcept { return lines_.size(); }
  /// Calls `f(line_record const&)` for every line.
  template <class F>
  void for_each_line(F&& f) const {
    for (auto const& [uri, rec] : lines_) f(rec);
  }

  /// The line a stored subscription watches (`s` is one this storage
  /// holds: from find_subscription or add_subscription). Remembered on the
  /// subscription, since the nodes of lines_ never move, and trusted only
  /// while no line has been erased since: a refresh or a NOTIFY then costs
  /// no hash of the line's URI. A missing line is looked up again.
  line_record* line_of(subscription& s) noexcept {
    auto& held = static_cast<stored_subscription&>(s);
    if (held.line_record_ == nullptr || held.line_epoch_ != line_epoch_) {
      held.line_record_ = find_line(s.line);
      held.line_epoch_ = line_epoch_;
    }
    return held.line_record_;
  }

  // Subscriptions
  /// The subscription `id`, or nullptr.
  subscription* find_subscription(subscription_id id) noexcept {
    auto it = subscriptions_.find(id);
    return it == subscriptions_.end() ? nullptr : &it->second;
  }
  /// Stores `s` under its id.
  subscription& add_subscription(subscription s) {
    ++per_watcher_[s.watcher];
    subscription_id const id = s.id;
    return subscriptions_.try_emplace(id, std::move(s)).first->second;
  }
  /// Forgets subscription `id`.
  void erase_subscription(subscription_id id) {
    auto it = subscriptions_.find(id);
    if (it == subscriptions_.end()) return;
    if (auto w = per_watcher_.find(it->second.watcher); w != per_watcher_.end() && --w->second == 0)
      per_watcher_.erase(w);
    subscriptions_.erase(it);
  }
  /// Subscriptions stored.
  std::size_t subscription_count() const noexcept { return subscriptions_.size(); }
  /// Subscriptions of `watcher` (for max_subscriptions_per_watcher).
  std::size_t subscriptions_of(std::string_view watcher) const noexcept {
    auto it = per_watcher_.find(watcher);
    return it == per_watcher_.end() ? 0 : it->second;
  }
  /// Calls `f(subscription const&)` for every subscription.
  template <class F>
  void for_each_subscription(F&& f) const {
    for (auto const& [id, s] : subscriptions_) f(s);
  }

  // Publications
  /// The publication with entity-tag `etag`, or nullptr.
  publication* find_publication(std::string_view etag) noexcept {
    auto it = by_etag_.find(etag);
    return it == by_etag_.end() ? nullptr : find_publication(it->second);
  }
  /// The publication `id`, or nullptr.
  publication* find_publication(publication_id id) noexcept {
    auto it = publications_.find(id);
    return it == publications_.end() ? nullptr : &it->second;
  }
  /// Stores `p` under its id and entity-tag.
  publication& add_publication(publication p) {
    by_etag_.emplace(p.etag, p.id);
    return publications_.emplace(p.id, std::move(p)).first->second;
  }
  /// Re-keys the publication's index entry in place (the node and both
  /// strings' capacity are reused: a modify allocates nothing once its tags
  /// stop growing).
  void set_etag(publication& p, std::string_view etag) {
    auto node = by_etag_.extract(p.etag);
    p.etag.assign(etag);
    if (node.empty()) {
      by_etag_.emplace(p.etag, p.id);
      return;
    }
    node.key().assign(etag);
    by_etag_.insert(std::move(node));
  }
  /// Forgets publication `id`.
  void erase_publication(publication_id id) {
    auto it = publications_.find(id);
    if (it == publications_.end()) return;
    by_etag_.erase(it->second.etag);
    publications_.erase(it);
  }
  /// Publications stored.
  std::size_t publication_count() const noexcept { return publications_.size(); }
  /// Calls `f(publication const&)` for every publication.
  template <class F>
  void for_each_publication(F&& f) const {
    for (auto const& [id, p] : publications_) f(p);
  }

  /// Forgets everything (a restore starts from here).
  void clear() noexcept {
    lines_.clear();
    ++line_epoch_;
    subscriptions_.clear();
    per_watcher_.clear();
    publications_.clear();
    by_etag_.clear();
  }

 private:
  // A subscription and where its line was last found (see line_of). A copy
  // forgets it: it would point into another storage's lines.
  struct stored_subscription : subscription {
    line_record* line_record_ = nullptr;
    std::uint64_t line_epoch_ = 0;
    explicit stored_subscription(subscription&& s) noexcept : subscription(std::move(s)) {}
    stored_subscription(stored_subscription const& o) : subscription(o) {}
    stored_subscription(stored_subscription&& o) noexcept : subscription(std::move(o)) {}
    stored_subscription& operator=(stored_subscription const& o) {
      subscription::operator=(o);
      line_record_ = nullptr;
      return *this;
    }
    stored_subscription& operator=(stored_subscription&& o) noexcept {
      subscription::operator=(std::move(o));
      line_record_ = nullptr;
      return *this;
    }
  };

  std::unordered_map<std::string, line_record, detail::string_hash, std::equal_to<>> lines_;
  std::uint64_t line_epoch_ = 0;  // lines erased so far: a remembered line_record* older than that may dangle
  std::unordered_map<subscription_id, stored_subscription> subscriptions_;
  std::unordered_map<std::string, std::uint32_t, detail::string_hash, std::equal_to<>> per_watcher_;
  std::unordered_map<publication_id, publication> publications_;
  std::unordered_map<std::string, publication_id, detail::string_hash, std::equal_to<>> by_etag_;
};

namespace detail {
// What storage_policy checks transact() with: a body that writes to any sink.
struct any_effect_sink {
  template <class E>
  void operator()(E const&) const noexcept {}
};
struct any_transaction_body {
  template <class Sink>
  void operator()(Sink&) const noexcept {}
};
}  // namespace detail

/// The Storage policy: transact() around every server call, and the lines, subscriptions and
/// publications it keeps (map_storage is the reference).
template <class S>
concept storage_policy = requires(S& s, S const& cs, std::string_view v, subscription_id id, publication& p,
                                  detail::any_effect_sink& sink) {
  { s.transact(transaction_scope{}, detail::any_transaction_body{}, sink) } -> std::same_as<storage_status>;
  { cs.owns(id) } -> std::convertible_to<bool>;
  { s.find_line(v) } -> std::same_as<line_record*>;
  { s.make_line(v) } -> std::same_as<line_record&>;
  s.erase_line(v);
  { cs.line_count() } -> std::convertible_to<std::size_t>;
  { s.find_subscription(id) } -> std::same_as<subscription*>;
  { s.add_subscription(subscription{}) } -> std::same_as<subscription&>;
  s.erase_subscription(id);
  { cs.subscription_count() } -> std::convertible_to<std::size_t>;
  { cs.subscriptions_of(v) } -> std::convertible_to<std::size_t>;
  { s.find_publication(v) } -> std::same_as<publication*>;
  { s.find_publication(id) } -> std::same_as<publication*>;
  { s.add_publication(publication{}) } -> std::same_as<publication&>;
  s.set_etag(p, std::string_view{});
  s.erase_publication(id);
  { cs.publication_count() } -> std::convertible_to<std::size_t>;
  s.clear();
};

}  // namespace callinfo::v1
