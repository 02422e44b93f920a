// callinfo — reading dialog-info+xml bodies (RFC 4235 §4) with the RFC 7463
// shared-appearance extensions: what RFC 7463 phones PUBLISH and what
// servers NOTIFY, into the appearances the presence server takes.
//
//   dialog-info version / state / entity      RFC 4235 §4.1 (all three required)
//   dialog id / direction, state              RFC 4235 §4.1.1, §3.7.1
//   local target +sip.rendering               RFC 4235 §4.1.6 (hold, as RFC 7463 uses it)
//   remote identity / target                  RFC 4235 §4.1.6
//   sa:appearance, sa:exclusive,              RFC 7463 §5.2, §6 (namespace
//   sa:joined-dialog, sa:replaced-dialog      urn:ietf:params:xml:ns:sa-dialog-info)
//
// Needs pugixml (Debian libpugixml-dev): include it only through the
// optional meson dependency `callinfo-dialog-info`; the umbrella header
// does not include this file.
//
// Refused, with a dialog_info_errc and the byte offset it concerns:
//   - a body longer than dialog_info_limits::max_body (too_large, at the limit);
//   - any markup declaration `<!DOCTYPE`, `<!ENTITY`, `<!ELEMENT`, ... (doctype),
//     found by a scan of the raw bytes BEFORE pugixml sees them: no DTD, so
//     no entity can be declared, let alone expanded;
//   - what pugixml cannot parse (malformed: unclosed tags, bad attributes,
//     ..., at pugixml's offset); more or fewer than one root element;
//   - a root that is not dialog-info in the RFC 4235 namespace
//     (not_dialog_info / wrong_namespace), its attributes missing or wrong;
//   - more than max_dialogs dialogs; a dialog without id or with a state
//     that is not an RFC 4235 state; an sa:appearance that is not an
//     integer in 1..max_appearance; an sa:exclusive that is not an
//     xs:boolean; a control byte in an identity (control_character:
//     character references such as &#10; included); an sa:joined-dialog or
//     sa:replaced-dialog without a non-empty call-id, local-tag and
//     remote-tag, or with a control byte in one (bad_dialog_ref).
// Prefixes are resolved through the xmlns attributes in scope (pugixml does
// not do namespaces); elements of other namespaces, and RFC 4235 elements
// the bridge does not read (duration, replaces, route-set, ...), are
// skipped. sa:joined-dialog and sa:replaced-dialog are read (the first of
// each per dialog; all three attributes required and free of control
// bytes, else bad_dialog_ref) into dialog_info_dialog and appearance_update,
// and so are the dialog's own call-id, local-tag and remote-tag (optional;
// a control byte in one, or in the id, is control_character): the presence
// server's appearance agent acts on them (line/line_dialogs.hpp).
#pragma once

#include <callinfo/dialog_info/write.hpp>
#include <callinfo/dialog_info/mapping.hpp>
#include <callinfo/presence/events.hpp>

#include <pugixml.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace callinfo::inline v1 {

/// Why parse_dialog_info() refused a body; each code names the fault.
enum class dialog_info_errc : std::uint8_t {
  ok = 0,
  too_large,          ///< longer than dialog_info_limits::max_body
  doctype,            ///< a markup declaration (<!DOCTYPE, <!ENTITY, ...): refused before parsing
  malformed,          ///< not well-formed XML (pugixml's verdict), or not exactly one root element
  not_dialog_info,    ///< the root element is not dialog-info
  wrong_namespace,    ///< dialog-info outside urn:ietf:params:xml:ns:dialog-info
  bad_version,        ///< version missing or not a nonNegativeInteger below 2^32
  bad_state,          ///< state missing or not full / partial
  missing_entity,     ///< entity missing or empty
  too_many_dialogs,   ///< more than dialog_info_limits::max_dialogs
  missing_dialog_id,  ///< `<dialog>` without id
  bad_dialog_state,   ///< `<state>` missing or not an RFC 4235 dialog state
  bad_appearance,     ///< sa:appearance not an integer in 1..max_appearance
  bad_exclusive,      ///< sa:exclusive not an xs:boolean
  control_character,  ///< a control byte in an identity or URI the bridge keeps
  bad_dialog_ref,     ///< sa:joined-dialog / sa:replaced-dialog without call-id, local-tag or remote-tag
};

/// The code's name ("bad_version").
constexpr std::string_view name(dialog_info_errc e) noexcept {
  constexpr std::string_view names[] = {"ok",           "too_large",         "doctype",          "malformed",
                                        "not_dialog_info", "wrong_namespace", "bad_version",      "bad_state",
                                        "missing_entity", "too_many_dialogs", "missing_dialog_id", "bad_dialog_state",
                                        "bad_appearance", "bad_exclusive",   "control_character", "bad_dialog_ref"};
  return static_cast<std::size_t>(e) < std::size(names) ? names[static_cast<std::size_t>(e)] : "unknown";
}

/// What parse_dialog_info() returns: ok, or the fault and its byte offset into the body.
struct dialog_info_error {
  dialog_info_errc code = dialog_info_errc::ok;  ///< ok, or why the body was refused
  std::uint32_t offset = 0;                      ///< byte offset into the body
  /// Whether the body was read.
  constexpr bool ok() const noexcept { return code == dialog_info_errc::ok; }
  /// Whether the body was read.
  constexpr explicit operator bool() const noexcept { return ok(); }
};

/// Bounds on what parse_dialog_info() reads (the limits policy of bodies).
struct dialog_info_limits {
  std::size_t max_body = 65536;         ///< bytes
  std::size_t max_dialogs = 64;         ///< `<dialog>` elements
  std::uint32_t max_appearance = 1023;  ///< the largest sa:appearance
};

class dialog_info_document;

/// Parses `body` into `doc` (whatever doc held before is dropped). On an
/// error `doc` is left empty.
dialog_info_error parse_dialog_info(std::string_view body, dialog_info_document& doc,
                                    dialog_info_limits const& limits = {});

/// One `<dialog>`, as the bridge reads it. Views point into the document.
struct dialog_info_dialog {
  std::string_view id;                      ///< the RFC 4235 dialog id attribute
  dialog_ref identifiers{};                 ///< call-id, local-tag, remote-tag attributes; may be empty
  std::optional<std::uint32_t> appearance;  ///< sa:appearance
  dialog_facts facts;                       ///< state, direction, sa:exclusive, hold
  std::string_view remote_uri;              ///< remote identity (or target URI); may be empty
  std::string_view remote_display;          ///< identity display attribute; may be empty
  std::optional<dialog_ref> joined{};       ///< sa:joined-dialog (the first one)
  std::optional<dialog_ref> replaced{};     ///< sa:replaced-dialog (the first one)
  std::uint32_t offset = 0;                 ///< of the `<dialog>` element
};

/// A parsed body: owns the DOM and everything its views point into.
class dialog_info_document {
 public:
  dialog_info_document() = default;
  dialog_info_document(dialog_info_document const&) = delete;
  dialog_info_document& operator=(dialog_info_document const&) = delete;

  /// The entity attribute: the line the body describes.
  std::string_view entity() const noexcept { return entity_; }
  /// The version attribute (RFC 4235 §4.1).
  std::uint32_t version() const noexcept { return version_; }
  /// Full or partial state.
  dialog_info_state state() const noexcept { return state_; }
  /// The `<dialog>` elements, in document order.
  std::span<dialog_info_dialog const> dialogs() const noexcept { return dialogs_; }

  /// The appearances the body states, for publish_request::dialogs: one per
  /// sa:appearance, in document order of first mention, and one per dialog
  /// without sa:appearance, with index 0 and its dialog id (RFC 7463:
  /// the appearance agent assigns it one; a terminated one asks for none). When
  /// several dialogs share an appearance (a joined call, a terminated one
  /// beside its successor) the first that is not terminated gives the state.
  /// The remote party is `"display" <uri>` (quoted-string escaped) or the URI.
  std::span<appearance_update const> appearances() const noexcept { return updates_; }

 private:
  friend dialog_info_error parse_dialog_info(std::string_view, dialog_info_document&, dialog_info_limits const&);

  pugi::xml_document doc_;
  std::string_view entity_;
  std::uint32_t version_ = 0;
  dialog_info_state state_ = dialog_info_state::full;
  std::vector<dialog_info_dialog> dialogs_;
  std::vector<std::string> remotes_;  // reserved before use: views into it stay valid
  std::vector<appearance_update> updates_;
};

namespace detail {

// Where element `n` starts: its '<' (pugixml reports the name's offset).
inline std::uint32_t offset_of(pugi::xml_node n) noexcept {
  std::ptrdiff_t const o = n.offset_debug();
  if (o < 0) return 0;
  return static_cast<std::uint32_t>(n.type() == pugi::node_element && o > 0 ? o - 1 : o);
}

// The first markup declaration (`<!` not opening a comment or CDATA).
inline std::optional<std::size_t> find_markup_declaration(std::string_view body) noexcept {
  for (std::size_t i = body.find("<!"); i != std::string_view::npos; i = body.find("<!", i + 2)) {
    std::string_view const rest = body.substr(i + 2);
    if (rest.substr(0, 2) == "--" || rest.substr(0, 7) == "[CDATA[") continue;
    return i;
  }
  return std::nullopt;
}

inline std::string_view local_name(std::string_view qname) noexcept {
  std::size_t const colon = qname.find(':');
  return colon == std::string_view::npos ? qname : qname.substr(colon + 1);
}

// The namespace URI of element `n`'s prefix, from the xmlns attributes in
// scope (empty when none is declared).
inline std::string_view namespace_of(pugi::xml_node n) noexcept {
  std::string_view const qname = n.name();
  std::size_t const colon = qname.find(':');
  std::string attr = "xmlns";
  if (colon != std::string_view::npos) attr.append(":").append(qname.substr(0, colon));
  for (pugi::xml_node p = n; p && p.type() == pugi::node_element; p = p.parent())
    if (pugi::xml_attribute a = p.attribute(attr.c_str())) return a.value();
  return {};
}

inline bool is_element(pugi::xml_node n, std::string_view ns, std::string_view local) noexcept {
  return n.type() == pugi::node_element && local_name(n.name()) == local && namespace_of(n) == ns;
}

inline std::string_view trim_xml_space(std::string_view v) noexcept {
  auto const space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!v.empty() && space(v.front())) v.remove_prefix(1);
  while (!v.empty() && space(v.back())) v.remove_suffix(1);
  return v;
}

inline bool has_control_byte(std::string_view v) noexcept {
  for (char ch : v) {
    auto const c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

// xs:nonNegativeInteger below 2^32 (leading and trailing XML space allowed).
inline std::optional<std::uint32_t> to_u32(std::string_view v) noexcept {
  v = trim_xml_space(v);
  if (v.empty() || v.size() > 10) return std::nullopt;
  std::uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (n > 0xffffffffu) return std::nullopt;
  return static_cast<std::uint32_t>(n);
}

inline std::optional<bool> to_xs_boolean(std::string_view v) noexcept {
  v = trim_xml_space(v);
  if (v == "true" || v == "1") return true;
  if (v == "false" || v == "0") return false;
  return std::nullopt;
}

inline std::string_view text_of(pugi::xml_node n) noexcept { return trim_xml_space(n.child_value()); }

}  // namespace detail

inline dialog_info_error parse_dialog_info(std::string_view body, dialog_info_document& doc,
                                           dialog_info_limits const& limits) {
  using namespace detail;
  doc.doc_.reset();
  doc.entity_ = {};
  doc.version_ = 0;
  doc.state_ = dialog_info_state::full;
  doc.dialogs_.clear();
  doc.remotes_.clear();
  doc.updates_.clear();
  auto const fail = [&](dialog_info_errc c, std::uint32_t at) {
    doc.doc_.reset();
    doc.dialogs_.clear();
    doc.remotes_.clear();
    doc.updates_.clear();
    doc.entity_ = {};
    return dialog_info_error{c, at};
  };

  if (body.size() > limits.max_body) return fail(dialog_info_errc::too_large, static_cast<std::uint32_t>(limits.max_body));
  if (auto const at = find_markup_declaration(body)) return fail(dialog_info_errc::doctype, static_cast<std::uint32_t>(*at));

  // parse_default without parse_doctype: a DOCTYPE would not even become a
  // node (and was refused above anyway). pugixml copies the buffer.
  pugi::xml_parse_result const r =
      doc.doc_.load_buffer(body.data(), body.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!r) {
    // pugixml may point one past the last byte when the input ends inside
    // markup: clamp to the end.
    auto const at = r.offset < 0 ? std::size_t{0} : static_cast<std::size_t>(r.offset);
    return fail(dialog_info_errc::malformed, static_cast<std::uint32_t>(at < body.size() ? at : body.size()));
  }

  pugi::xml_node root;
  std::size_t roots = 0;
  for (pugi::xml_node n : doc.doc_.children())
    if (n.type() == pugi::node_element && ++roots == 1) root = n;
  if (roots != 1) return fail(dialog_info_errc::malformed, roots == 0 ? 0u : offset_of(doc.doc_.last_child()));
  if (local_name(root.name()) != "dialog-info") return fail(dialog_info_errc::not_dialog_info, offset_of(root));
  if (namespace_of(root) != dialog_info_namespace) return fail(dialog_info_errc::wrong_namespace, offset_of(root));

  pugi::xml_attribute const version = root.attribute("version");
  auto const v = version ? to_u32(version.value()) : std::nullopt;
  if (!v) return fail(dialog_info_errc::bad_version, offset_of(root));
  std::string_view const state = root.attribute("state").value();
  if (state != "full" && state != "partial") return fail(dialog_info_errc::bad_state, offset_of(root));
  std::string_view const entity = trim_xml_space(root.attribute("entity").value());
  if (entity.empty()) return fail(dialog_info_errc::missing_entity, offset_of(root));
  if (has_control_byte(entity)) return fail(dialog_info_errc::control_character, offset_of(root));

  std::size_t count = 0;
  for (pugi::xml_node d : root.children())
    if (is_element(d, dialog_info_namespace, "dialog") && ++count > limits.max_dialogs)
      return fail(dialog_info_errc::too_many_dialogs, offset_of(d));
  doc.dialogs_.reserve(count);
  doc.remotes_.reserve(count);
  doc.updates_.reserve(count);

  for (pugi::xml_node d : root.children()) {
    if (!is_element(d, dialog_info_namespace, "dialog")) continue;
    dialog_info_dialog out;
    out.offset = offset_of(d);
    out.id = d.attribute("id").value();
    if (out.id.empty()) return fail(dialog_info_errc::missing_dialog_id, out.offset);
    out.identifiers = {d.attribute("call-id").value(), d.attribute("local-tag").value(), d.attribute("remote-tag").value()};
    for (std::string_view v : {std::string_view(out.id), std::string_view(out.identifiers.call_id),
                               std::string_view(out.identifiers.local_tag), std::string_view(out.identifiers.remote_tag)})
      if (has_control_byte(v)) return fail(dialog_info_errc::control_character, out.offset);
    for (text_ref* v : {&out.identifiers.call_id, &out.identifiers.local_tag, &out.identifiers.remote_tag})
      *v = trim_xml_space(*v);
    std::string_view const direction = d.attribute("direction").value();
    out.facts.direction = direction == "initiator"   ? dialog_direction::initiator
                          : direction == "recipient" ? dialog_direction::recipient
                                                     : dialog_direction::none;
    bool have_state = false;
    for (pugi::xml_node c : d.children()) {
      if (c.type() != pugi::node_element) continue;
      std::string_view const ns = namespace_of(c);
      std::string_view const local = local_name(c.name());
      if (ns == dialog_info_namespace && local == "state") {
        auto const s = to_dialog_state(text_of(c));
        if (!s) return fail(dialog_info_errc::bad_dialog_state, offset_of(c));
        out.facts.dialog = *s;
        have_state = true;
      } else if (ns == dialog_info_namespace && local == "local") {
        for (pugi::xml_node t : c.children())
          if (is_element(t, dialog_info_namespace, "target"))
            for (pugi::xml_node p : t.children())
              if (is_element(p, dialog_info_namespace, "param") &&
                  std::string_view(p.attribute("pname").value()) == "+sip.rendering") {
                // RFC 4235's attribute is pval; pvalue is accepted too.
                pugi::xml_attribute val = p.attribute("pval");
                if (!val) val = p.attribute("pvalue");
                out.facts.held = trim_xml_space(val.value()) == "no";
              }
      } else if (ns == dialog_info_namespace && local == "remote") {
        for (pugi::xml_node t : c.children()) {
          if (is_element(t, dialog_info_namespace, "identity")) {
            out.remote_uri = text_of(t);
            out.remote_display = trim_xml_space(t.attribute("display").value());
            if (has_control_byte(out.remote_uri) || has_control_byte(out.remote_display))
              return fail(dialog_info_errc::control_character, offset_of(t));
          } else if (out.remote_uri.empty() && is_element(t, dialog_info_namespace, "target")) {
            out.remote_uri = trim_xml_space(t.attribute("uri").value());
            if (has_control_byte(out.remote_uri)) return fail(dialog_info_errc::control_character, offset_of(t));
          }
        }
      } else if (ns == sa_dialog_info_namespace && local == "appearance") {
        auto const n = to_u32(text_of(c));
        if (!n || *n == 0 || *n > limits.max_appearance) return fail(dialog_info_errc::bad_appearance, offset_of(c));
        out.appearance = *n;
      } else if (ns == sa_dialog_info_namespace && (local == "joined-dialog" || local == "replaced-dialog")) {
        // RFC 7463 §5.2: the three attributes are required, by these names.
        dialog_ref ref{c.attribute("call-id").value(), c.attribute("local-tag").value(),
                       c.attribute("remote-tag").value()};
        for (std::string_view v : {ref.call_id, ref.local_tag, ref.remote_tag})
          if (trim_xml_space(v).empty() || has_control_byte(v)) return fail(dialog_info_errc::bad_dialog_ref, offset_of(c));
        std::optional<dialog_ref>& slot = local == "joined-dialog" ? out.joined : out.replaced;
        if (!slot) slot = ref;
      } else if (ns == sa_dialog_info_namespace && local == "exclusive") {
        auto const b = to_xs_boolean(text_of(c));
        if (!b) return fail(dialog_info_errc::bad_exclusive, offset_of(c));
        out.facts.exclusive = *b;
      }
    }
    if (!have_state) return fail(dialog_info_errc::bad_dialog_state, out.offset);
    doc.dialogs_.push_back(out);
  }

  for (dialog_info_dialog const& d : doc.dialogs_) {
    appearance_state const s = to_appearance_state(d.facts);
    appearance_update* u = nullptr;
    if (d.appearance)
      for (appearance_update& e : doc.updates_)
        if (e.index == *d.appearance) u = &e;
    if (u != nullptr) {
      if (u->state != appearance_state::idle || s == appearance_state::idle) continue;  // the first live dialog wins
    } else {
      u = &doc.updates_.emplace_back();
      u->index = d.appearance.value_or(0);  // 0: the server assigns one
    }
    u->state = s;
    u->dialog = d.id;
    u->identifiers = d.identifiers;
    u->joined = d.joined;
    u->replaced = d.replaced;
    if (d.remote_display.empty()) {
      u->remote = d.remote_uri;
    } else {
      std::string& r = doc.remotes_.emplace_back("\"");
      for (char c : d.remote_display) {
        if (c == '"' || c == '\\') r.push_back('\\');
        r.push_back(c);
      }
      r.append("\" <").append(d.remote_uri).append(">");
      u->remote = r;
    }
  }
  doc.entity_ = entity;
  doc.version_ = *v;
  doc.state_ = state == "full" ? dialog_info_state::full : dialog_info_state::partial;
  return {};
}

}  // namespace callinfo::v1
