// sca-server — SIP message helpers (headers.hpp).
#include "headers.hpp"

#include <cstddef>

namespace sca {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string field_text(msg_header_t const* h) {
  char buf[8192];
  issize_t const n = msg_header_field_e(buf, sizeof buf, h, 0);
  if (n < 0 || static_cast<std::size_t>(n) >= sizeof buf) return {};
  return std::string(buf, static_cast<std::size_t>(n));
}

bool has_bad_header(sip_t const* sip, std::string_view name) {
  for (msg_error_t const* e = sip->sip_error; e != nullptr; e = e->er_next)
    if (e->er_name && iequals(e->er_name, name)) return true;
  return false;
}

std::optional<std::string> if_match_text(sip_t const* sip) {
  if (sip->sip_if_match == nullptr) return std::nullopt;
  return field_text(reinterpret_cast<msg_header_t const*>(sip->sip_if_match));
}

std::optional<std::string> event_text(sip_t const* sip) {
  if (sip->sip_event == nullptr) return std::nullopt;
  return field_text(reinterpret_cast<msg_header_t const*>(sip->sip_event));
}

std::optional<std::string> expires_text(sip_t const* sip) {
  if (sip->sip_expires == nullptr) return std::nullopt;
  return field_text(reinterpret_cast<msg_header_t const*>(sip->sip_expires));
}

std::optional<std::string> call_info_text(sip_t const* sip) {
  std::optional<std::string> out;
  for (sip_call_info_t const* c = sip->sip_call_info; c != nullptr; c = c->ci_next) {
    std::string const v = field_text(reinterpret_cast<msg_header_t const*>(c));
    if (out)
      out->append(", ").append(v);
    else
      out.emplace(v);
  }
  return out;
}

std::string aor(url_t const* u) {
  if (u == nullptr) return {};
  std::string s = u->url_type == url_sips ? "sips:" : "sip:";
  if (u->url_user) s.append(u->url_user).append("@");
  if (u->url_host) s.append(u->url_host);
  return s;
}

bool is_sip_url(url_t const* u) { return u != nullptr && (u->url_type == url_sip || u->url_type == url_sips); }

std::string parse_failure(std::string_view header, callinfo::parse_error const& e) {
  return std::string(header) + ": " + std::string(callinfo::name(e.code)) + " at offset " + std::to_string(e.offset);
}

bool accepts_dialog_info(sip_t const* sip) {
  if (sip->sip_accept == nullptr) return true;
  for (sip_accept_t const* a = sip->sip_accept; a != nullptr; a = a->ac_next) {
    if (a->ac_type == nullptr) continue;
    std::string_view const t = a->ac_type;
    if (iequals(t, dialog_info_type) || iequals(t, "application/*") || t == "*/*") return true;
  }
  return false;
}

void nta_headers::operator()(std::string_view name, std::string_view value) {
  if (name == "Call-Info")
    call_info.append(name).append(": ").append(value);
  else
    block.append(name).append(": ").append(value).append("\r\n");
}

std::span<char> header_values() {
  static char values[65536];
  return values;
}

}  // namespace sca
