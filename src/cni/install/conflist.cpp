#include "cni/install/conflist.h"

#include <optional>
#include <vector>

#include "cni/install/json_text.h"
#include "cni/json_parse.h"

namespace kt::cni {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

bool isWs(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

Result<json> parse(std::string_view text) {
  KT_ASSIGN_OR_RETURN(json doc, parseJson(text, "the file"));
  if (!doc.is_object()) return Error::config("not a JSON object");
  return doc;
}

struct Chain {
  std::vector<TextSpan> elements;
  std::vector<size_t> ours;  // indices of kuma-cni entries
  TextSpan array;
};

Result<Chain> scanChain(std::string_view text) {
  KT_ASSIGN_OR_RETURN(json doc, parse(text));
  auto plugins = doc.find("plugins");
  if (plugins == doc.end() || !plugins->is_array()) {
    return Error::config("not a conflist (no \"plugins\" list)");
  }
  KT_ASSIGN_OR_RETURN(TextSpan root, rootValue(text));
  KT_ASSIGN_OR_RETURN(auto array, findMember(text, root, "plugins"));
  if (!array) return Error::runtime("\"plugins\" not found in the text");
  Chain c;
  c.array = *array;
  KT_ASSIGN_OR_RETURN(c.elements, arrayElements(text, *array));
  for (size_t i = 0; i < c.elements.size(); ++i) {
    const auto& e = c.elements[i];
    // Each element was part of the document parse() accepted, so it parses within the limit.
    KT_ASSIGN_OR_RETURN(json el, parseJson(text.substr(e.begin, e.end - e.begin), "a plugin"));
    if (el.is_object() && el.value("type", json()) == kPluginType) c.ours.push_back(i);
  }
  return c;
}

// Our entry rendered to sit where `sample` sits, preceded by `lead` (the blanks before it).
std::string render(const ordered_json& plugin, std::string_view lead, std::string_view sample) {
  if (lead.find('\n') == std::string_view::npos) return plugin.dump();
  std::string newline = lead.find("\r\n") != std::string_view::npos ? "\r\n" : "\n";
  std::string indent(lead.substr(lead.rfind('\n') + 1));
  // One indentation step: how much deeper the sample's second line is than the sample itself.
  char unitChar = ' ';
  int unitWidth = 2;
  if (auto nl = sample.find('\n'); nl != std::string_view::npos) {
    size_t i = nl + 1, n = 0;
    while (i + n < sample.size() && (sample[i + n] == ' ' || sample[i + n] == '\t'))
      ++n;
    if (n > indent.size()) {
      unitChar = sample[i];
      unitWidth = static_cast<int>(n - indent.size());
    }
  }
  std::string body = plugin.dump(unitWidth, unitChar);
  std::string out;
  for (char c : body) {
    if (c == '\n') {
      out += newline;
      out += indent;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

Result<ConfKind> classifyConf(std::string_view text) {
  KT_ASSIGN_OR_RETURN(json doc, parse(text));
  if (auto p = doc.find("plugins"); p != doc.end() && p->is_array()) return ConfKind::kConflist;
  if (auto t = doc.find("type"); t != doc.end() && t->is_string()) return ConfKind::kSingle;
  return Error::config("neither a conflist (\"plugins\") nor a plugin configuration (\"type\")");
}

Result<ChainState> chainState(std::string_view text, const ordered_json& plugin) {
  KT_ASSIGN_OR_RETURN(Chain c, scanChain(text));
  if (c.ours.empty()) return ChainState::kAbsent;
  if (c.ours.size() > 1 || c.ours.front() + 1 != c.elements.size()) return ChainState::kStale;
  const auto& e = c.elements[c.ours.front()];
  // Compare as unordered JSON: a component that re-serializes the file with other key order or
  // spacing has not changed our entry, and rewriting it would start a tug of war.
  KT_ASSIGN_OR_RETURN(json have,
                      parseJson(text.substr(e.begin, e.end - e.begin), "our plugin entry"));
  return have == json(plugin) ? ChainState::kCurrent : ChainState::kStale;
}

Result<std::string> chainIntoConflist(std::string_view text, const ordered_json& plugin) {
  KT_ASSIGN_OR_RETURN(ChainState state, chainState(text, plugin));
  if (state == ChainState::kCurrent) return std::string(text);
  KT_ASSIGN_OR_RETURN(std::string base, unchainFromConflist(text));
  KT_ASSIGN_OR_RETURN(Chain c, scanChain(base));
  std::string out;
  if (c.elements.empty()) {
    // "[" + ours + whatever stood between the brackets.
    size_t at = c.array.begin + 1;
    out = base.substr(0, at) + plugin.dump() + base.substr(at);
    return out;
  }
  const TextSpan& last = c.elements.back();
  size_t leadBegin = last.begin;
  while (leadBegin > 0 && isWs(base[leadBegin - 1]))
    --leadBegin;
  std::string_view lead = std::string_view(base).substr(leadBegin, last.begin - leadBegin);
  std::string_view sample = std::string_view(base).substr(last.begin, last.end - last.begin);
  out = base.substr(0, last.end) + "," + std::string(lead) + render(plugin, lead, sample) +
        base.substr(last.end);
  return out;
}

Result<std::string> unchainFromConflist(std::string_view text) {
  std::string out(text);
  // One entry per pass: removal ranges of neighbouring entries overlap, so rescan each time.
  for (;;) {
    KT_ASSIGN_OR_RETURN(Chain c, scanChain(out));
    if (c.ours.empty()) return out;
    size_t k = c.ours.back();
    const auto& e = c.elements;
    if (k > 0) {
      out.erase(e[k - 1].end, e[k].end - e[k - 1].end);
    } else if (e.size() > 1) {
      out.erase(e[0].begin, e[1].begin - e[0].begin);
    } else {
      out.erase(e[0].begin, e[0].end - e[0].begin);
    }
  }
}

Result<std::string> wrapConf(std::string_view confText, const ordered_json& plugin) {
  KT_ASSIGN_OR_RETURN(ordered_json conf, parseOrderedJson(confText, "the file"));
  if (!conf.is_object()) return Error::config("not a JSON object");
  ordered_json list = ordered_json::object();
  auto name = conf.find("name");
  list["name"] = name != conf.end() && name->is_string() ? *name : ordered_json("k8s-pod-network");
  auto version = conf.find("cniVersion");
  list["cniVersion"] =
      version != conf.end() && version->is_string() ? *version : ordered_json("0.3.1");
  list["plugins"] = ordered_json::array({conf, plugin});
  return list.dump(2) + "\n";
}

}  // namespace kt::cni
