// sca-server — SIP digest authentication (RFC 3261 §22, RFC 7616, RFC 8760)
// and the Authorizer it feeds (callinfo::authorizer_policy).
//
// With --credentials FILE (and --realm), every out-of-dialog SUBSCRIBE and
// PUBLISH is challenged with 401 and WWW-Authenticate, every proxied
// request but ACK and CANCEL (which cannot be challenged, RFC 3261 §22.1)
// with 407 and Proxy-Authenticate: two challenges, SHA-256 first, then MD5
// (RFC 8760 §2.4: in order of preference), qop="auth", a nonce the server
// checks without keeping it (digest.hpp: its issue time and an HMAC of it),
// valid for 300 s (--nonce-lifetime; --digest-algorithms chooses the challenges and their
// order: SIPp 3.6 and other older user agents answer only the first one,
// and only if it is MD5); an expired one is challenged again with stale=true
// (RFC 7616 §3.3), so the phone retries without asking its user. The
// nonce-count of each nonce must grow (a replayed request is challenged
// again); a wrong response or an unknown user gets 403.
//
// The authenticated user name is the identity the library's Authorizer
// sees (subscribe_request::watcher, publish_request::publisher);
// line_authorizer lets a user watch, seize or publish a line only when
// --line-user LINE=USER names them on it, and refuses a PUBLISH that names
// another user's publication (request_context::foreign_publication). Since
// every SUBSCRIBE needs the line, a dialog;shared watcher — who sees the
// Call-ID and tags of the line's calls — is one of the line's users.
#pragma once

#include "digest.hpp"
#include "headers.hpp"
#include "nta_glue.hpp"

#include <callinfo/policy/authorizer.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sca {

// --line-user LINE=USER: a line's AOR ("sip:bob@127.0.0.1") -> its users.
using line_users = std::map<std::string, std::set<std::string, std::less<>>, std::less<>>;

// The Authorizer of sca-server. Without --credentials (`users` null) it
// allows everything, as callinfo::allow_all: the server is then open.
struct line_authorizer {
  line_users const* users = nullptr;

  bool authorize(callinfo::request_context const& c) const {
    if (users == nullptr) return true;
    if (c.foreign_publication) return false;  // a takeover of someone else's publication
    auto const it = users->find(c.line);
    return it != users->end() && it->second.find(c.identity) != it->second.end();
  }
};

// What authenticator::check() decided: status 0 and the user, or the
// answer to send (401 / 407 with the challenges, 400, 403).
struct auth_outcome {
  int status = 0;
  char const* phrase = "";
  std::string headers;
  std::string user;
  std::string why;  // for the log
};

class authenticator {
 public:
  // `offered`: the challenges, in order of preference (--digest-algorithms).
  authenticator(std::string realm, digest::credentials credentials, line_users lines,
                std::vector<digest::algorithm> offered = {digest::algorithm::sha256, digest::algorithm::md5},
                std::uint64_t nonce_lifetime = 300)
      : realm_(std::move(realm)), credentials_(std::move(credentials)), lines_(std::move(lines)),
        offered_(std::move(offered)), nonce_lifetime_(nonce_lifetime) {
    std::random_device random;
    for (int i = 0; i < 8; ++i) {
      std::uint32_t const r = random();
      key_.append(reinterpret_cast<char const*>(&r), sizeof r);
    }
  }

  std::string const& realm() const noexcept { return realm_; }
  line_users const& lines() const noexcept { return lines_; }
  bool on_line(std::string_view line, std::string_view user) const {
    auto const it = lines_.find(line);
    return it != lines_.end() && it->second.find(user) != it->second.end();
  }

  // The request's credentials for this realm (Authorization, or for a
  // proxied request Proxy-Authorization), checked.
  auth_outcome check(sip_t const* sip, bool proxy) {
    std::uint64_t const now = seconds();
    msg_auth_t const* a = proxy ? sip->sip_proxy_authorization : sip->sip_authorization;
    for (; a != nullptr; a = a->au_next)
      if (a->au_scheme && iequals(a->au_scheme, "Digest") && param(a, "realm") == realm_) break;
    if (a == nullptr) return challenge(proxy, now, false, "no credentials for realm " + realm_);

    std::string const user = param(a, "username"), nonce = param(a, "nonce"), uri = param(a, "uri");
    std::string const qop = param(a, "qop"), nc = param(a, "nc"), cnonce = param(a, "cnonce");
    std::string response = param(a, "response");
    for (char& c : response) c = static_cast<char>(c >= 'A' && c <= 'F' ? c + ('a' - 'A') : c);
    auto const alg = digest::parse_algorithm(param(a, "algorithm"));
    if (!alg || std::find(offered_.begin(), offered_.end(), *alg) == offered_.end())
      return challenge(proxy, now, false, "algorithm not offered");
    auto const n = digest::check_nonce(key_, realm_, nonce, now, nonce_lifetime_);
    if (n.v == digest::nonce_check::verdict::forged) return challenge(proxy, now, false, "nonce not ours");
    if (n.v == digest::nonce_check::verdict::stale) return challenge(proxy, now, true, "nonce expired");
    // RFC 7616 §3.4: qop=auth was offered; nc is 8 hex digits, cnonce given.
    if (qop != "auth" || !digest::is_hex(nc, 8) || cnonce.empty() || user.empty() || uri.empty())
      return {400, "Bad Request", {}, {}, "digest credentials without qop=auth, nc, cnonce, username or uri"};
    if (!same_uri(uri, sip->sip_request->rq_url))
      return {400, "Bad Request", {}, {}, "digest uri '" + uri + "' is not the Request-URI"};
    auto const it = credentials_.find(std::pair{realm_, user});
    if (it == credentials_.end() || it->second.ha1(*alg).empty())
      return {403, "Forbidden", {}, {}, "unknown user '" + user + "' (" + std::string(digest::name(*alg)) + ")"};
    digest::response_input in;
    in.method = sip->sip_request->rq_method_name;
    in.uri = uri;
    in.nonce = nonce;
    in.nc = nc;
    in.cnonce = cnonce;
    in.qop = qop;
    if (!digest::same(digest::response(*alg, it->second.ha1(*alg), in), response))
      return {403, "Forbidden", {}, {}, "wrong credentials for user '" + user + "'"};
    // A nonce-count that does not grow: a replay (RFC 7616 §3.4.5).
    std::uint32_t const count = static_cast<std::uint32_t>(std::stoul(nc, nullptr, 16));
    forget_old(now);
    auto [seen, fresh] = counts_.try_emplace(nonce, count, n.issued);
    if (!fresh) {
      if (count <= seen->second.first) return challenge(proxy, now, false, "nonce-count replayed");
      seen->second.first = count;
    }
    return {0, "", {}, user, {}};
  }

 private:
  static std::uint64_t seconds() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
  }

  // A parameter's value, unquoted (RFC 3261 §25.1 quoted-pair), "" when absent.
  static std::string param(msg_auth_t const* a, char const* name) {
    std::string const prefix = std::string(name) + "=";
    char const* v = msg_params_find(a->au_params, prefix.c_str());
    if (v == nullptr) return {};
    std::string_view s(v);
    if (s.size() < 2 || s.front() != '"' || s.back() != '"') return std::string(s);
    std::string out;
    for (std::size_t i = 1; i + 1 < s.size(); ++i) {
      if (s[i] == '\\' && i + 2 < s.size()) ++i;
      out.push_back(s[i]);
    }
    return out;
  }

  // The digest's uri names the Request-URI (RFC 3261 §22.4, RFC 7616 §3.4.6).
  static bool same_uri(std::string const& text, url_t const* request_uri) {
    std::string buffer = text;
    url_t u;
    if (url_d(&u, buffer.data()) < 0) return false;
    return url_cmp_all(&u, request_uri) == 0;
  }

  auth_outcome challenge(bool proxy, std::uint64_t now, bool stale, std::string why) {
    std::string const nonce = digest::make_nonce(key_, realm_, now, ++serial_);
    std::string headers;
    for (auto const a : offered_) {
      headers.append(proxy ? "Proxy-Authenticate" : "WWW-Authenticate")
          .append(": Digest realm=\"")
          .append(realm_)
          .append("\", nonce=\"")
          .append(nonce)
          .append("\", algorithm=")
          .append(digest::name(a))
          .append(", qop=\"auth\"")
          .append(stale ? ", stale=true" : "")
          .append("\r\n");
    }
    return {proxy ? 407 : 401, proxy ? "Proxy Authentication Required" : "Unauthorized", std::move(headers), {},
            std::move(why)};
  }

  // Nonce-counts are kept for live nonces only.
  void forget_old(std::uint64_t now) {
    if (counts_.size() < 1024) return;
    for (auto it = counts_.begin(); it != counts_.end();)
      it = now - it->second.second > nonce_lifetime_ ? counts_.erase(it) : std::next(it);
  }

  std::string realm_;
  digest::credentials credentials_;
  line_users lines_;
  std::vector<digest::algorithm> offered_;
  std::uint64_t nonce_lifetime_ = 300;  // seconds (--nonce-lifetime)
  std::string key_;
  std::uint64_t serial_ = 0;  // nonces issued
  std::map<std::string, std::pair<std::uint32_t, std::uint64_t>, std::less<>> counts_;  // nonce -> (nc, issued)
};

}  // namespace sca
