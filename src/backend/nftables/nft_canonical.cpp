#include "backend/nftables/nft_canonical.h"

// glibc's netinet/in.h must precede the kernel's linux/in.h (pulled in by linux/netfilter.h).
#include <netinet/in.h>

#include <libnftnl/expr.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <algorithm>
#include <cstring>

#include "backend/nftables/nft_lift.h"
#include "backend/nftables/nft_objects.h"
#include "base/net.h"
#include "iptables/render_nft.h"

namespace kt::backend::nftables {

namespace {

using Bytes = std::vector<uint8_t>;

// nft data type ids (see nft_objects.cpp).
constexpr uint32_t kTypeIpAddr = 7;
constexpr uint32_t kTypeIp6Addr = 8;
constexpr uint32_t kTypeInetService = 13;
constexpr uint32_t kTypeProtoService = (12 << 6) | 13;

std::string hex(const Bytes& b) {
  static const char* const kDigits = "0123456789abcdef";
  std::string out = "0x";
  for (uint8_t v : b) {
    out += kDigits[v >> 4];
    out += kDigits[v & 15];
  }
  return out;
}

std::string keyTypeName(uint32_t t) {
  switch (t) {
    case kTypeInetService:
      return "inet_service";
    case kTypeIpAddr:
      return "ipv4_addr";
    case kTypeIp6Addr:
      return "ipv6_addr";
    case kTypeProtoService:
      return "inet_proto . inet_service";
    default:
      return "type " + std::to_string(t);
  }
}

std::string hookName(uint32_t hook) {
  switch (hook) {
    case NF_INET_PRE_ROUTING:
      return "prerouting";
    case NF_INET_LOCAL_IN:
      return "input";
    case NF_INET_FORWARD:
      return "forward";
    case NF_INET_LOCAL_OUT:
      return "output";
    case NF_INET_POST_ROUTING:
      return "postrouting";
    default:
      return std::to_string(hook);
  }
}

uint16_t port(const Key& k, size_t at) {
  return static_cast<uint16_t>((k.b[at] << 8) | k.b[at + 1]);
}

std::string portText(uint16_t first, uint16_t last) {
  return first == last ? std::to_string(first) : PortRange{first, last}.str();
}

// "10.0.0.0/8" when [first, last] is exactly one prefix, else "first-last".
std::string addrText(Family f, const Key& first, const Key& last) {
  IpAddress a, b;
  a.family = b.family = f;
  std::memcpy(a.bytes.data(), first.b.data(), first.len);
  std::memcpy(b.bytes.data(), last.b.data(), last.len);
  const int bits = first.len * 8;
  auto bit = [](const Key& k, int i) { return (k.b[i / 8] >> (7 - i % 8)) & 1; };
  int p = 0;
  while (p < bits && bit(first, p) == bit(last, p))
    ++p;
  bool prefix = true;
  for (int i = p; i < bits && prefix; ++i)
    prefix = bit(first, i) == 0 && bit(last, i) == 1;
  if (!prefix) return a.str() + "-" + b.str();
  Cidr c{a, static_cast<uint8_t>(p)};
  return c.isHost() ? a.str() : c.str();
}

std::string hexKey(const Key& k) {
  return hex(Bytes(k.b.begin(), k.b.begin() + k.len));
}

// One interval of a set as nft would print it.
std::string intervalText(uint32_t keyType, const Key& first, const Key& last) {
  if (first.len != last.len) return hexKey(first) + "-" + hexKey(last);
  if (keyType == kTypeInetService && first.len == 2) {
    return portText(port(first, 0), port(last, 0));
  }
  if (keyType == kTypeIpAddr && first.len == 4) return addrText(Family::kV4, first, last);
  if (keyType == kTypeIp6Addr && first.len == 16) return addrText(Family::kV6, first, last);
  if (keyType == kTypeProtoService && first.len == 8 && first.b[0] == last.b[0]) {
    std::string proto = first.b[0] == IPPROTO_TCP   ? "tcp"
                        : first.b[0] == IPPROTO_UDP ? "udp"
                                                    : std::to_string(first.b[0]);
    return proto + " . " + portText(port(first, 4), port(last, 4));
  }
  return first == last ? hexKey(first) : hexKey(first) + "-" + hexKey(last);
}

std::string ruleComment(const nftnl_rule* r, std::string& otherUdata) {
  if (!nftnl_rule_is_set(r, NFTNL_RULE_USERDATA)) return {};
  uint32_t len = 0;
  const void* data = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &len);
  struct Ctx {
    std::string comment;
    std::string other;
  } ctx;
  nftnl_udata_parse(
      data, len,
      [](const nftnl_udata* attr, void* p) -> int {
        auto* c = static_cast<Ctx*>(p);
        const auto* v = static_cast<const uint8_t*>(nftnl_udata_get(attr));
        uint8_t n = nftnl_udata_len(attr);
        if (nftnl_udata_type(attr) == NFTNL_UDATA_RULE_COMMENT && n > 0 && v[n - 1] == 0) {
          c->comment.assign(reinterpret_cast<const char*>(v), n - 1);
        } else {
          c->other +=
              " udata " + std::to_string(nftnl_udata_type(attr)) + "=" + hex(Bytes(v, v + n));
        }
        return 0;
      },
      &ctx);
  otherUdata = ctx.other;
  return ctx.comment;
}

std::string exprsText(const nftnl_rule* r) {
  std::string out;
  nftnl_expr_iter* it = nftnl_expr_iter_create(r);
  if (!it) return "?";
  char buf[4096];
  for (nftnl_expr* e = nftnl_expr_iter_next(it); e; e = nftnl_expr_iter_next(it)) {
    buf[0] = 0;
    nftnl_expr_snprintf(buf, sizeof buf, e, NFTNL_OUTPUT_DEFAULT, 0);
    if (!out.empty()) out += ' ';
    out += std::string("[ ") + nftnl_expr_get_str(e, NFTNL_EXPR_NAME) + " " + buf + "]";
  }
  nftnl_expr_iter_destroy(it);
  return out;
}

// A kernel rule in nft syntax, when its expressions are exactly what some plan statements
// build (lifted, built again and compared), else "".
std::string liftedText(const nftnl_rule* r) {
  auto lifted = liftRule(r);
  if (!lifted) return {};
  auto again = ruleExpressions(*lifted);
  if (!again || exprsText(again->get()) != exprsText(r)) return {};
  return rules::renderNftRule(*lifted);
}

// Longest-common-subsequence diff of two rule lists.
void diffRules(const std::string& chain, const std::vector<CanonicalRule>& a,
               const std::vector<CanonicalRule>& b, std::vector<std::string>& out) {
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<uint32_t>> lcs(n + 1, std::vector<uint32_t>(m + 1, 0));
  for (size_t i = n; i-- > 0;)
    for (size_t j = m; j-- > 0;)
      lcs[i][j] =
          a[i].key == b[j].key ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
  size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i].key == b[j].key) {
      ++i;
      ++j;
    } else if (j == m || (i < n && lcs[i + 1][j] >= lcs[i][j + 1])) {
      out.push_back("- missing: chain " + chain + " rule " + std::to_string(i + 1) + ": " +
                    a[i].display);
      ++i;
    } else {
      out.push_back("+ unexpected: chain " + chain + " rule: " + b[j].display);
      ++j;
    }
  }
}

}  // namespace

void addSet(CanonicalTable& t, const nftnl_set* def) {
  const char* name = nftnl_set_get_str(def, NFTNL_SET_NAME);
  auto& s = t.sets[name ? name : "?"];
  s.keyType = nftnl_set_get_u32(def, NFTNL_SET_KEY_TYPE);
  s.flags = nftnl_set_get_u32(def, NFTNL_SET_FLAGS);
  char flags[16];
  std::snprintf(flags, sizeof flags, "0x%x", s.flags);
  s.def = "type " + keyTypeName(s.keyType) + ", key length " +
          std::to_string(nftnl_set_get_u32(def, NFTNL_SET_KEY_LEN)) + ", flags " + flags;
}

void addSetElements(CanonicalTable& t, const std::string& set, nftnl_set* holder) {
  auto& s = t.sets[set];
  nftnl_set_elem_foreach(
      holder,
      [](nftnl_set_elem* e, void* p) -> int {
        auto* raw = static_cast<std::vector<CanonicalTable::RawElement>*>(p);
        CanonicalTable::RawElement re;
        uint32_t len = 0;
        if (const void* k = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len)) {
          re.key = Key::of(k, len);
        }
        if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_KEY_END)) {
          if (const void* k = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY_END, &len)) {
            re.keyEnd = Key::of(k, len);
          }
        }
        if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS)) {
          re.intervalEnd =
              nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS) & NFT_SET_ELEM_INTERVAL_END;
        }
        raw->push_back(std::move(re));
        return 0;
      },
      &s.raw);
}

void finishSets(CanonicalTable& t) {
  for (auto& [name, s] : t.sets) {
    auto raw = std::move(s.raw);
    s.raw.clear();
    std::vector<std::pair<Key, Key>> out;
    out.reserve(raw.size());
    bool rbtree = (s.flags & NFT_SET_INTERVAL) && !(s.flags & NFT_SET_CONCAT);
    if (!rbtree) {
      for (const auto& e : raw)
        out.emplace_back(e.key, e.keyEnd.len == 0 ? e.key : e.keyEnd);
    } else {
      // Start elements followed by an interval-end element at last+1; a start without an end
      // runs to the largest key; stray end elements (the one at zero) carry no interval.
      std::sort(raw.begin(), raw.end(), [](const auto& a, const auto& b) {
        if (!(a.key == b.key)) return a.key < b.key;
        return a.intervalEnd && !b.intervalEnd;
      });
      for (size_t i = 0; i < raw.size(); ++i) {
        if (raw[i].intervalEnd) continue;
        Key last = Key::largest(raw[i].key.len);
        if (i + 1 < raw.size() && raw[i + 1].intervalEnd) {
          last = raw[i + 1].key;
          last.decrement();
        }
        out.emplace_back(raw[i].key, last);
      }
    }
    std::sort(out.begin(), out.end());
    s.elements = std::move(out);
  }
}

void addChain(CanonicalTable& t, const nftnl_chain* c) {
  const char* name = nftnl_chain_get_str(c, NFTNL_CHAIN_NAME);
  auto& ch = t.chains[name ? name : "?"];
  if (nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM)) {
    const char* type = nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE);
    uint32_t policy = nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY)
                          ? nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY)
                          : static_cast<uint32_t>(NF_ACCEPT);
    ch.def = std::string("type ") + (type ? type : "?") + " hook " +
             hookName(nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM)) + " priority " +
             std::to_string(nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO)) + " policy " +
             (policy == NF_ACCEPT ? "accept"
              : policy == NF_DROP ? "drop"
                                  : std::to_string(policy));
  }
}

void addRule(CanonicalTable& t, const nftnl_rule* r, const std::string& text) {
  const char* chain = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN);
  std::string other;
  std::string comment = ruleComment(r, other);
  std::string commentText = comment.empty() ? "" : " comment \"" + comment + "\"";
  CanonicalRule cr;
  cr.key = exprsText(r) + commentText + other;
  cr.display = text.empty() ? liftedText(r) : text;
  if (cr.display.empty()) {
    cr.display = cr.key;
  } else {
    cr.display += commentText;
  }
  t.chains[chain ? chain : "?"].rules.push_back(std::move(cr));
}

std::vector<std::string> diffTables(const std::string& table, const CanonicalTable& expected,
                                    const CanonicalTable& actual) {
  std::vector<std::string> out;
  if (expected.present != actual.present) {
    out.push_back((expected.present ? "- missing: table inet " : "+ unexpected: table inet ") +
                  table);
    return out;
  }
  for (const auto& [name, s] : expected.sets) {
    auto it = actual.sets.find(name);
    if (it == actual.sets.end()) {
      out.push_back("- missing: set " + name + " (" + s.def + ", " +
                    std::to_string(s.elements.size()) + " elements)");
      continue;
    }
    if (s.def != it->second.def) {
      out.push_back("- missing: set " + name + " " + s.def);
      out.push_back("+ unexpected: set " + name + " " + it->second.def);
    }
    std::vector<std::pair<Key, Key>> missing, extra;
    std::set_difference(s.elements.begin(), s.elements.end(), it->second.elements.begin(),
                        it->second.elements.end(), std::back_inserter(missing));
    std::set_difference(it->second.elements.begin(), it->second.elements.end(), s.elements.begin(),
                        s.elements.end(), std::back_inserter(extra));
    for (const auto& [first, last] : missing)
      out.push_back("- missing: set " + name + " element " + intervalText(s.keyType, first, last));
    for (const auto& [first, last] : extra) {
      out.push_back("+ unexpected: set " + name + " element " +
                    intervalText(it->second.keyType, first, last));
    }
  }
  for (const auto& [name, s] : actual.sets) {
    if (!expected.sets.count(name)) {
      out.push_back("+ unexpected: set " + name + " (" + s.def + ", " +
                    std::to_string(s.elements.size()) + " elements)");
    }
  }
  for (const auto& [name, c] : expected.chains) {
    auto it = actual.chains.find(name);
    if (it == actual.chains.end()) {
      out.push_back("- missing: chain " + name + (c.def.empty() ? "" : " (" + c.def + ")") +
                    " with " + std::to_string(c.rules.size()) + " rules");
      continue;
    }
    if (c.def != it->second.def) {
      out.push_back("- missing: chain " + name + " " + (c.def.empty() ? "(regular)" : c.def));
      out.push_back("+ unexpected: chain " + name + " " +
                    (it->second.def.empty() ? "(regular)" : it->second.def));
    }
    diffRules(name, c.rules, it->second.rules, out);
  }
  for (const auto& [name, c] : actual.chains) {
    if (!expected.chains.count(name)) {
      out.push_back("+ unexpected: chain " + name + " with " + std::to_string(c.rules.size()) +
                    " rules");
    }
  }
  return out;
}

}  // namespace kt::backend::nftables
