// callinfo — a line as an RFC 4235 dialog-info document with the RFC 7463
// shared-appearance extensions (the body of a NOTIFY for Event: dialog;shared).
//
//   dialog-info, version, state="full"/"partial", entity   RFC 4235 §4.1
//   dialog id / direction, state, local, remote            RFC 4235 §4.1.1–4.1.6
//   sa:appearance, sa:exclusive                            RFC 7463 §5.2, §6
//
// One <dialog> per appearance that is not idle (in a partial document an
// idle appearance of the view is written as a `terminated` dialog), its
// state, direction, exclusive flag and hold from the table in
// dialog_info/mapping.hpp:
//
//   <?xml version="1.0" encoding="UTF-8"?>
//   <dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info"
//     xmlns:sa="urn:ietf:params:xml:ns:sa-dialog-info" version="0" state="full" entity="sip:bob@example.com">
//   <dialog id="a1" direction="recipient"><state>early</state>
//   <local><identity>sip:bob@example.com</identity></local>
//   <remote><identity display="Carol">sip:carol@example.com</identity></remote>
//   <sa:appearance>1</sa:appearance><sa:exclusive>false</sa:exclusive></dialog>
//   </dialog-info>
//
// (written without the line breaks inside the root element but the ones
// shown after each dialog). When the line view knows the dialog on an
// appearance (line/line_dialogs.hpp: what an RFC 7463 phone published, or a
// call the stack named), the <dialog> carries its id, call-id, local-tag
// and remote-tag, so a watcher can Join or Replace it; otherwise, or when
// that id is taken or of the "a<digits>" form, the id is "a" + the
// appearance index: one dialog per appearance, stable while it is in use. The
// sa: elements come after <remote>, where the RFC 4235 schema allows
// elements of other namespaces. A held call's local target carries
// `<param pname="+sip.rendering" pval="no"/>` (RFC 4235 §4.1.6, `pval`).
//
// The remote party (appearance-uri) `"Carol" <sip:carol@example.com>` is
// written as identity `sip:carol@example.com` with display="Carol" (the
// quoted-string's quoted-pairs resolved); any other remote is the identity
// text as it is. Every text and attribute value is XML-escaped (& < > " ').
//
// Refused, with nothing written: a line URI that is not an absoluteURI
// (bad_uri), a remote with a control byte or %xFE-FF (bad_remote), an
// appearance state out of range or a known dialog's id, Call-ID or tag with
// a control byte or %xFE-FF (bad_value). So no input can put markup,
// CR, LF or NUL into the document. Nothing is allocated; an overflowing
// fixed_sink reports overflow (see write/error.hpp).
#pragma once

#include <callinfo/write/detail/writer.hpp>
#include <callinfo/write/error.hpp>
#include <callinfo/dialog_info/mapping.hpp>
#include <callinfo/presence/effects.hpp>
#include <callinfo/sink.hpp>

#include <cstdint>
#include <string_view>

namespace callinfo::inline v1 {

/// The dialog-info XML namespace (RFC 4235).
inline constexpr std::string_view dialog_info_namespace = "urn:ietf:params:xml:ns:dialog-info";
/// The shared-appearance extension namespace (RFC 7463 §5.2), prefix `sa`.
inline constexpr std::string_view sa_dialog_info_namespace = "urn:ietf:params:xml:ns:sa-dialog-info";
/// The Content-Type of a dialog-info body.
inline constexpr std::string_view dialog_info_content_type = "application/dialog-info+xml";

/// The state attribute of a dialog-info document: full or partial state (RFC 4235 §4.1).
enum class dialog_info_state : std::uint8_t { full, partial };

/// The attribute's value.
constexpr std::string_view to_string(dialog_info_state s) noexcept {
  return s == dialog_info_state::full ? "full" : "partial";
}

/// What write_dialog_info() writes besides the line.
struct dialog_info_options {
  std::uint32_t version = 0;                          ///< RFC 4235 §4.1: per subscription, +1 for each NOTIFY
  dialog_info_state state = dialog_info_state::full;  ///< the document's state attribute
};

/// A remote party split for `<identity>`: display name (still in quoted-string
/// form, without the quotes) and URI, or the whole text as the URI.
struct remote_identity {
  std::string_view display;  ///< empty: no display attribute
  std::string_view uri;      ///< the URI of `<identity>`
  bool quoted = false;       ///< display was a quoted-string: its quoted-pairs are resolved when written
};

namespace detail {

constexpr std::string_view trim_spaces(std::string_view v) noexcept {
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  return v;
}

// The part of quoted-string content whose unescaped form has no blank at
// either edge (a quoted-pair "\ " is a blank too).
constexpr std::string_view trim_quoted(std::string_view content) noexcept {
  std::size_t first = std::string_view::npos, last_end = 0;
  for (std::size_t i = 0; i < content.size();) {
    std::size_t const start = i;
    char c = content[i++];
    if (c == '\\' && i < content.size()) c = content[i++];
    if (c == ' ') continue;
    if (first == std::string_view::npos) first = start;
    last_end = i;
  }
  return first == std::string_view::npos ? std::string_view{} : content.substr(first, last_end - first);
}

// `"Display" <uri>`, `Display <uri>` or `<uri>` (the '<' outside the
// quoted display name, no '<' or '>' inside the URI); anything else is the
// URI.
constexpr remote_identity split_remote(std::string_view r) noexcept {
  r = trim_spaces(r);
  std::size_t lt = std::string_view::npos;
  bool quoted = false;
  for (std::size_t i = 0; i < r.size() && lt == std::string_view::npos; ++i) {
    if (quoted && r[i] == '\\') ++i;
    else if (r[i] == '"') quoted = !quoted;
    else if (!quoted && r[i] == '<') lt = i;
  }
  if (lt == std::string_view::npos || r.back() != '>') return {{}, r};
  std::string_view const uri = trim_spaces(r.substr(lt + 1, r.size() - lt - 2));
  if (uri.find_first_of("<>") != std::string_view::npos) return {{}, r};
  std::string_view const display = trim_spaces(r.substr(0, lt));
  // Blanks at the edges of a display name or URI carry nothing, and a reader
  // trims them from XML text: leave them out so that what is written reads
  // back to what is written again.
  if (display.size() >= 2 && display.front() == '"' && display.back() == '"')
    return {trim_quoted(display.substr(1, display.size() - 2)), uri, true};
  return {display, uri, false};
}

// Writes `text` XML-escaped; with `unquote`, quoted-pairs ("\x") are
// resolved first. The text has passed remote_is_writable() or is_absolute_uri().
template <class Writer>
void put_xml_escaped(Writer& w, std::string_view text, bool unquote = false) {
  std::size_t constexpr piece = Writer::capacity / 6;  // "&quot;" is the longest expansion
  std::size_t i = 0;
  while (i < text.size()) {
    char* p = w.reserve(6 * piece);
    // One output character per step (a quoted-pair is one): at most `piece`.
    for (std::size_t steps = 0; steps < piece && i < text.size(); ++steps) {
      char c = text[i++];
      if (unquote && c == '\\' && i < text.size()) c = text[i++];
      switch (c) {
        case '&': p = put_literal(p, "&amp;"); break;
        case '<': p = put_literal(p, "&lt;"); break;
        case '>': p = put_literal(p, "&gt;"); break;
        case '"': p = put_literal(p, "&quot;"); break;
        case '\'': p = put_literal(p, "&apos;"); break;
        default: *p++ = c;
      }
    }
    w.commit(p);
  }
}

inline build_errc check_dialog_info(line_view const& line) noexcept {
  if (!is_absolute_uri(line.uri)) return build_errc::bad_uri;
  for (appearance const& a : line.busy) {
    if (!is_known_value(a.state)) return build_errc::bad_value;
    if (!remote_is_writable(a.remote)) return build_errc::bad_remote;
  }
  for (line_dialog const& d : line.dialogs)
    for (std::string_view v : {std::string_view(d.id), std::string_view(d.call_id), std::string_view(d.local_tag),
                               std::string_view(d.remote_tag)})
      if (!dialog_field_is_writable(v)) return build_errc::bad_value;
  return build_errc::ok;
}

// "a" followed by digits only: the form of the ids the builder makes itself.
constexpr bool is_index_id(std::string_view id) noexcept {
  if (id.size() < 2 || id[0] != 'a') return false;
  for (char c : id.substr(1))
    if (c < '0' || c > '9') return false;
  return true;
}

// The published dialog id that appearance busy[k] is written with, or empty
// for "a<index>": a known dialog's own id, unless empty, of the "a<digits>"
// form, or already taken by an earlier appearance. So ids stay unique in a
// document (RFC 4235 §4.1.1) whatever publishers chose.
inline std::string_view published_id(line_view const& line, std::size_t k) noexcept {
  line_dialog const* d = dialog_of(line.dialogs, line.busy[k]);
  if (d == nullptr || d->id.empty() || is_index_id(d->id)) return {};
  for (std::size_t j = 0; j < k; ++j)
    if (line_dialog const* e = dialog_of(line.dialogs, line.busy[j]); e && e->id == d->id) return {};
  return d->id;
}

template <class Writer>
void put_attribute(Writer& w, std::string_view name, std::string_view value) {
  if (value.empty()) return;
  w.push(' ');
  w.append(name);
  w.put("=\"");
  put_xml_escaped(w, value);
  w.push('"');
}

template <class Writer>
void put_dialog(Writer& w, line_view const& line, std::size_t k) {
  appearance const& a = line.busy[k];
  std::string_view const line_uri = line.uri;
  dialog_facts const f = to_dialog_facts(a.state);
  w.put("<dialog");
  if (std::string_view const id = published_id(line, k); !id.empty()) {
    put_attribute(w, "id", id);
  } else {
    w.put(" id=\"a");
    w.put_uint(a.index);
    w.push('"');
  }
  if (line_dialog const* d = dialog_of(line.dialogs, a)) {
    put_attribute(w, "call-id", d->call_id);
    put_attribute(w, "local-tag", d->local_tag);
    put_attribute(w, "remote-tag", d->remote_tag);
  }
  if (f.direction != dialog_direction::none) {
    w.put(" direction=\"");
    w.append(to_string(f.direction));
    w.push('"');
  }
  w.put("><state>");
  w.append(to_string(f.dialog));
  w.put("</state><local><identity>");
  put_xml_escaped(w, line_uri);
  w.put("</identity>");
  if (f.held) {
    w.put("<target uri=\"");
    put_xml_escaped(w, line_uri);
    w.put("\"><param pname=\"+sip.rendering\" pval=\"no\"/></target>");
  }
  w.put("</local>");
  // A remote that says nothing (blank, or `<>`) gets no <remote>: a reader
  // would see none either.
  remote_identity const r = split_remote(a.remote);
  if (!r.uri.empty() || !r.display.empty()) {
    w.put("<remote><identity");
    if (!r.display.empty()) {
      w.put(" display=\"");
      put_xml_escaped(w, r.display, r.quoted);
      w.push('"');
    }
    w.push('>');
    put_xml_escaped(w, r.uri);
    w.put("</identity></remote>");
  }
  w.put("<sa:appearance>");
  w.put_uint(a.index);
  w.put("</sa:appearance><sa:exclusive>");
  if (f.exclusive)
    w.put("true");
  else
    w.put("false");
  w.put("</sa:exclusive></dialog>\n");
}

}  // namespace detail

/// The document for `line`.
template <sink Sink>
build_result write_dialog_info(line_view const& line, dialog_info_options const& o, Sink& out) {
  if (build_errc const e = detail::check_dialog_info(line); e != build_errc::ok) return e;
  detail::staging_writer<Sink> w(out);
  w.put("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<dialog-info xmlns=\"");
  w.append(dialog_info_namespace);
  w.put("\" xmlns:sa=\"");
  w.append(sa_dialog_info_namespace);
  w.put("\" version=\"");
  w.put_uint(o.version);
  w.put("\" state=\"");
  w.append(to_string(o.state));
  w.put("\" entity=\"");
  detail::put_xml_escaped(w, line.uri);
  w.put("\">\n");
  for (std::size_t k = 0; k < line.busy.size(); ++k) {
    if (line.busy[k].state == appearance_state::idle && o.state == dialog_info_state::full) continue;
    detail::put_dialog(w, line, k);
  }
  w.put("</dialog-info>\n");
  w.flush();
  return detail::finish_build(out);
}

/// The body of a dialog;shared NOTIFY effect: full state, the effect's
/// version. Nothing is written (and ok returned) when the effect has no line
/// URI: a terminated NOTIFY for a line the server no longer stores has no
/// body, like write_notify_headers() writes no Call-Info for it.
template <sink Sink>
build_result write_dialog_info(notify const& n, Sink& out) {
  if (n.line.uri.empty()) return detail::finish_build(out);
  return write_dialog_info(n.line, dialog_info_options{n.version, dialog_info_state::full}, out);
}

}  // namespace callinfo::v1
