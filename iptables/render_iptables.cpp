#include "render_iptables.h"

#include <optional>
#include <variant>

namespace kt::rules {

namespace {

// XT_MAX_COMMENT_LEN is 256 including the terminating NUL.
constexpr size_t kMaxCommentLen = 255;
// Kernel LOG prefixes hold 29 characters plus NUL.
constexpr size_t kMaxLogPrefixLen = 29;
// The LOG target's default level; iptables-save omits --log-level when it is this value.
constexpr uint8_t kDefaultLogLevel = 4;

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

// Option spellings: iptables-save's short form, or the long names of Kuma's verbose output.
struct Spelling {
  bool verbose;
  const char* source() const { return verbose ? "--source" : "-s"; }
  const char* destination() const { return verbose ? "--destination" : "-d"; }
  const char* inIface() const { return verbose ? "--in-interface" : "-i"; }
  const char* outIface() const { return verbose ? "--out-interface" : "-o"; }
  const char* protocol() const { return verbose ? "--protocol" : "-p"; }
  const char* match() const { return verbose ? "--match" : "-m"; }
  const char* dport() const { return verbose ? "--destination-port" : "--dport"; }
  const char* sport() const { return verbose ? "--source-port" : "--sport"; }
  const char* dports() const { return verbose ? "--destination-ports" : "--dports"; }
  const char* sports() const { return verbose ? "--source-ports" : "--sports"; }
  const char* jump() const { return verbose ? "--jump" : "-j"; }
};

const char* protoName(L4 p) {
  return p == L4::kTcp ? "tcp" : "udp";
}

// "80", "8000:9000" (iptables writes ranges with a colon).
std::string portText(const PortRange& r) {
  return r.single() ? std::to_string(r.first)
                    : std::to_string(r.first) + ":" + std::to_string(r.last);
}

// Splits a port list into groups that fit one multiport match (15 slots, a range takes two).
// A negated list stays one group: "none of A" and "none of B" in two rules would not mean
// "none of A or B".
std::vector<std::vector<PortRange>> portGroups(const PortMatch& m) {
  std::vector<std::vector<PortRange>> groups;
  if (m.negate) {
    groups.push_back(m.ports);
    return groups;
  }
  size_t used = kMultiportMax;
  for (const auto& r : m.ports) {
    size_t cost = r.single() ? 1 : 2;
    if (used + cost > kMultiportMax) {
      groups.emplace_back();
      used = 0;
    }
    groups.back().push_back(r);
    used += cost;
  }
  return groups;
}

// Everything that varies between the rules one model rule expands to.
struct Expansion {
  std::optional<Cidr> src;
  std::optional<Cidr> dst;
  std::optional<std::vector<PortRange>> sport;
  std::optional<std::vector<PortRange>> dport;
};

// The values one dimension takes: {nullopt} when the rule has no such match.
template <class T, class M, class F>
std::vector<std::optional<T>> choices(const std::optional<M>& match, F values) {
  if (!match) return {std::nullopt};
  std::vector<std::optional<T>> out;
  for (auto& v : values(*match))
    out.emplace_back(std::move(v));
  return out;
}

std::vector<Expansion> expand(const Rule& r, Family f) {
  auto addrs = [f](const AddrMatch& m) { return cidrsOf(m, f); };
  auto srcs = choices<Cidr>(r.src, addrs);
  auto dsts = choices<Cidr>(r.dst, addrs);
  auto sports = choices<std::vector<PortRange>>(r.sport, portGroups);
  auto dports = choices<std::vector<PortRange>>(r.dport, portGroups);
  std::vector<Expansion> out;
  for (const auto& s : srcs)
    for (const auto& d : dsts)
      for (const auto& sp : sports)
        for (const auto& dp : dports)
          out.push_back(Expansion{s, d, sp, dp});
  return out;
}

class SpecWriter {
 public:
  explicit SpecWriter(bool verbose) : sp_{verbose} {}

  void opt(bool negate, const char* name, const std::string& value) {
    if (negate) add("!");
    add(name);
    add(value);
  }
  void add(const std::string& word) {
    if (!out_.empty()) out_ += ' ';
    out_ += word;
  }
  const Spelling& sp() const { return sp_; }
  std::string take() { return std::move(out_); }

 private:
  Spelling sp_;
  std::string out_;
};

std::string ruleSpec(const Rule& r, const Expansion& e, const IptablesOptions& opt) {
  SpecWriter w(opt.verbose);
  const Spelling& sp = w.sp();
  // iptables-save's order: -s -d -i -o -p, then the matches in rule order, then the target.
  if (e.src) w.opt(r.src->negate, sp.source(), e.src->str());
  if (e.dst) w.opt(r.dst->negate, sp.destination(), e.dst->str());
  if (r.inIface) w.opt(r.inIface->negate, sp.inIface(), r.inIface->name);
  if (r.outIface) w.opt(r.outIface->negate, sp.outIface(), r.outIface->name);
  if (r.proto) w.opt(false, sp.protocol(), protoName(*r.proto));

  // The tcp/udp match takes single ports and ranges; longer lists go to multiport.
  bool sportSingle = e.sport && e.sport->size() == 1;
  bool dportSingle = e.dport && e.dport->size() == 1;
  if (r.proto && (sportSingle || dportSingle)) {
    w.opt(false, sp.match(), protoName(*r.proto));
    if (sportSingle) w.opt(r.sport->negate, sp.sport(), portText(e.sport->front()));
    if (dportSingle) w.opt(r.dport->negate, sp.dport(), portText(e.dport->front()));
  }
  auto multiport = [&](const std::vector<PortRange>& ports, bool negate, const char* name) {
    std::string list;
    for (const auto& p : ports) {
      if (!list.empty()) list += ',';
      list += portText(p);
    }
    w.opt(false, sp.match(), "multiport");
    w.opt(negate, name, list);
  };
  if (e.sport && !sportSingle) multiport(*e.sport, r.sport->negate, sp.sports());
  if (e.dport && !dportSingle) multiport(*e.dport, r.dport->negate, sp.dports());

  if (r.uid) {
    w.opt(false, sp.match(), "owner");
    w.opt(r.uid->negate, "--uid-owner", r.uid->uids.str());
  }
  if (r.ctStateInvalid) {
    w.opt(false, sp.match(), "conntrack");
    w.opt(false, "--ctstate", "INVALID");
  }
  if (opt.comments && !r.tag.empty()) {
    std::string comment = std::string(kCommentPrefix) + r.tag;
    if (comment.size() > kMaxCommentLen) comment.resize(kMaxCommentLen);
    w.opt(false, sp.match(), "comment");
    w.opt(false, "--comment", iptablesQuote(comment));
  }

  std::visit(
      Overloaded{
          [&](const action::Return&) { w.opt(false, sp.jump(), "RETURN"); },
          [&](const action::Jump& a) { w.opt(false, sp.jump(), iptablesChainName(a.chain)); },
          [&](const action::JumpForeign& a) { w.opt(false, sp.jump(), a.chain); },
          [&](const action::Redirect& a) {
            w.opt(false, sp.jump(), "REDIRECT");
            w.opt(false, "--to-ports", std::to_string(a.port));
          },
          [&](const action::CtZone& a) {
            w.opt(false, sp.jump(), "CT");
            w.opt(false, "--zone", std::to_string(a.zone));
          },
          [&](const action::Log& a) {
            std::string prefix = a.prefix.substr(0, kMaxLogPrefixLen);
            w.opt(false, sp.jump(), "LOG");
            w.opt(false, "--log-prefix", iptablesQuote(prefix));
            if (a.level != kDefaultLogLevel) {
              w.opt(false, "--log-level", std::to_string(a.level));
            }
          },
          [&](const action::Drop&) { w.opt(false, sp.jump(), "DROP"); },
      },
      r.action);
  return w.take();
}

void appendTable(std::string& out, const IptablesTable& t, bool verbose) {
  out += '*';
  out += tableName(t.table);
  out += '\n';
  if (verbose && !t.newChains.empty()) out += "# Custom Chains:\n";
  for (const auto& c : t.newChains) {
    out += verbose ? "--new-chain " : "-N ";
    out += c;
    out += '\n';
  }
  if (verbose && !t.rules.empty()) {
    if (!t.newChains.empty()) out += '\n';
    out += "# Rules:\n";
  }
  for (const auto& r : t.rules) {
    out += r.line();
    out += '\n';
  }
  out += "COMMIT\n";
}

}  // namespace

std::string IptablesRule::line() const {
  std::string s = position > 0 ? (verbose ? "--insert " : "-I ") : (verbose ? "--append " : "-A ");
  s += chain;
  if (position > 0) s += ' ' + std::to_string(position);
  if (!spec.empty()) s += ' ' + spec;
  return s;
}

std::string IptablesRule::saveLine() const {
  std::string s = "-A " + chain;
  if (!spec.empty()) s += ' ' + spec;
  return s;
}

std::string iptablesQuote(std::string_view value) {
  bool bare = !value.empty();
  for (char c : value) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) bare = false;
  }
  if (bare) return std::string(value);
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

std::vector<IptablesTable> renderIptablesTables(const Model& m, Family f,
                                                const IptablesOptions& opt) {
  std::vector<IptablesTable> tables;
  if (f == Family::kV6 && !m.ipv6) return tables;
  if (f == Family::kV4 && !m.ipv4) return tables;
  for (Table t : {Table::kRaw, Table::kNat, Table::kMangle}) {
    IptablesTable out{t, {}, {}};
    // Built-in chains first, then ours; within each group the model's order.
    for (bool builtin : {true, false}) {
      for (const auto& c : m.chains) {
        if (tableOf(c.id) != t || isBuiltin(c.id) != builtin) continue;
        const char* name = iptablesChainName(c.id);
        if (!builtin) out.newChains.emplace_back(name);
        int position = 0;
        for (const auto& r : c.rules) {
          if (!appliesTo(r, f)) continue;
          for (const auto& e : expand(r, f)) {
            IptablesRule ir;
            ir.chain = name;
            ir.position = builtin && r.insert ? ++position : 0;
            ir.spec = ruleSpec(r, e, opt);
            ir.verbose = opt.verbose;
            out.rules.push_back(std::move(ir));
          }
        }
      }
    }
    if (!out.rules.empty() || !out.newChains.empty()) tables.push_back(std::move(out));
  }
  return tables;
}

std::string renderIptables(const Model& m, Family f, const IptablesOptions& opt) {
  std::string out;
  auto tables = renderIptablesTables(m, f, opt);
  for (size_t i = 0; i < tables.size(); ++i) {
    if (i > 0 && opt.verbose) out += '\n';
    appendTable(out, tables[i], opt.verbose);
  }
  return out;
}

std::string renderIptablesDryRun(const Model& m, const IptablesOptions& opt) {
  std::string out;
  for (Family f : {Family::kV4, Family::kV6}) {
    if ((f == Family::kV4 && !m.ipv4) || (f == Family::kV6 && !m.ipv6)) continue;
    if (!out.empty()) out += '\n';
    out += "### ";
    out += familyName(f);
    out += " ###\n\n";
    out += renderIptables(m, f, opt);
  }
  return out;
}

}  // namespace kt::rules
