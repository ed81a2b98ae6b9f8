#include "backend/nftables/nft_lift.h"

// glibc's netinet/in.h must precede the kernel's linux/in.h (pulled in by linux/netfilter.h).
#include <netinet/in.h>

#include <libnftnl/expr.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <net/if.h>

#include <cstring>
#include <vector>

namespace kt::backend::nftables {

namespace {

namespace nft = rules::nft;
using rules::L4;
using Bytes = std::vector<uint8_t>;

uint16_t be16Of(const Bytes& b) {
  return static_cast<uint16_t>((b[0] << 8) | b[1]);
}
uint32_t be32Of(const Bytes& b) {
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
}
uint32_t host32Of(const Bytes& b) {
  uint32_t v = 0;
  std::memcpy(&v, b.data(), 4);
  return v;
}

// Walks the expressions left to right; each step consumes the expressions of one statement.
class Lifter {
 public:
  explicit Lifter(std::vector<nftnl_expr*> es) : es_(std::move(es)) {}

  std::optional<rules::NftRule> run() {
    rules::NftRule out;
    while (i_ < es_.size()) {
      auto st = next();
      if (!st) return std::nullopt;
      out.statements.push_back(std::move(*st));
    }
    dropImplied(out.statements);
    return out;
  }

 private:
  bool is(size_t k, const char* name) const {
    if (k >= es_.size()) return false;
    const char* n = nftnl_expr_get_str(es_[k], NFTNL_EXPR_NAME);
    return n && std::strcmp(n, name) == 0;
  }
  uint32_t u32(size_t k, uint16_t attr) const { return nftnl_expr_get_u32(es_[k], attr); }
  Bytes data(size_t k, uint16_t attr) const {
    uint32_t len = 0;
    const auto* p = static_cast<const uint8_t*>(nftnl_expr_get(es_[k], attr, &len));
    return p ? Bytes(p, p + len) : Bytes{};
  }
  // The cmp at k with `size` bytes of data and one of `ops`, or nullopt.
  std::optional<Bytes> cmp(size_t k, size_t size, std::initializer_list<uint32_t> ops) const {
    if (!is(k, "cmp")) return std::nullopt;
    Bytes d = data(k, NFTNL_EXPR_CMP_DATA);
    if (d.size() != size) return std::nullopt;
    for (uint32_t op : ops)
      if (u32(k, NFTNL_EXPR_CMP_OP) == op) return d;
    return std::nullopt;
  }
  bool negated(size_t k) const { return u32(k, NFTNL_EXPR_CMP_OP) == NFT_CMP_NEQ; }

  // A value compared at i_ (after the load): `== V`, `!= V`, `>= A` + `<= B`, `!= A-B` (range)
  // or a set lookup. Sets `first`/`last` or `set`, and `negate`.
  struct Compared {
    Bytes first, last;
    std::string set;
    bool negate = false;
  };
  std::optional<Compared> compared(size_t size) {
    Compared c;
    if (is(i_, "lookup")) {
      const char* set = nftnl_expr_get_str(es_[i_], NFTNL_EXPR_LOOKUP_SET);
      if (!set) return std::nullopt;
      c.set = set;
      c.negate = (u32(i_, NFTNL_EXPR_LOOKUP_FLAGS) & NFT_LOOKUP_F_INV) != 0;
      ++i_;
      return c;
    }
    if (is(i_, "range")) {
      c.first = data(i_, NFTNL_EXPR_RANGE_FROM_DATA);
      c.last = data(i_, NFTNL_EXPR_RANGE_TO_DATA);
      if (c.first.size() != size || c.last.size() != size) return std::nullopt;
      c.negate = u32(i_, NFTNL_EXPR_RANGE_OP) == NFT_RANGE_NEQ;
      ++i_;
      return c;
    }
    if (auto from = cmp(i_, size, {NFT_CMP_GTE})) {
      auto to = cmp(i_ + 1, size, {NFT_CMP_LTE});
      if (!to) return std::nullopt;
      c.first = *from;
      c.last = *to;
      i_ += 2;
      return c;
    }
    auto v = cmp(i_, size, {NFT_CMP_EQ, NFT_CMP_NEQ});
    if (!v) return std::nullopt;
    c.negate = negated(i_);
    c.first = c.last = *v;
    ++i_;
    return c;
  }

  std::optional<nft::Statement> next() {
    if (is(i_, "meta")) return meta();
    if (is(i_, "payload")) return payload();
    if (is(i_, "ct")) return ctState();
    if (is(i_, "immediate")) return immediate();
    if (is(i_, "log")) {
      nft::Log l;
      const char* prefix = nftnl_expr_get_str(es_[i_], NFTNL_EXPR_LOG_PREFIX);
      l.prefix = prefix ? prefix : "";
      l.level = static_cast<uint8_t>(u32(i_, NFTNL_EXPR_LOG_LEVEL));
      ++i_;
      return l;
    }
    return std::nullopt;
  }

  std::optional<nft::Statement> meta() {
    const uint32_t key = u32(i_, NFTNL_EXPR_META_KEY);
    ++i_;
    switch (key) {
      case NFT_META_NFPROTO: {
        auto v = cmp(i_, 1, {NFT_CMP_EQ});
        if (!v || ((*v)[0] != NFPROTO_IPV4 && (*v)[0] != NFPROTO_IPV6)) return std::nullopt;
        ++i_;
        family_ = (*v)[0] == NFPROTO_IPV4 ? Family::kV4 : Family::kV6;
        return nft::MetaNfproto{*family_};
      }
      case NFT_META_L4PROTO: {
        // meta l4proto . th dport @set: with a byteorder for an interval set, without for a
        // hash set.
        const bool interval = is(i_, "byteorder");
        if (interval || is(i_, "payload")) {
          if (interval) ++i_;
          if (!is(i_, "payload") || !is(i_ + 1, "lookup")) return std::nullopt;
          ++i_;
          auto c = compared(0);
          if (!c) return std::nullopt;
          return nft::ProtoPortLookup{c->set, c->negate, interval};
        }
        auto v = cmp(i_, 1, {NFT_CMP_EQ});
        if (!v || ((*v)[0] != IPPROTO_TCP && (*v)[0] != IPPROTO_UDP)) return std::nullopt;
        ++i_;
        l4_ = (*v)[0] == IPPROTO_TCP ? L4::kTcp : L4::kUdp;
        return nft::MetaL4proto{*l4_};
      }
      case NFT_META_IIFNAME:
      case NFT_META_OIFNAME: {
        auto v = cmp(i_, IFNAMSIZ, {NFT_CMP_EQ, NFT_CMP_NEQ});
        if (!v) return std::nullopt;
        nft::IfaceMatch m;
        m.output = key == NFT_META_OIFNAME;
        m.negate = negated(i_);
        m.name.assign(reinterpret_cast<const char*>(v->data()),
                      strnlen(reinterpret_cast<const char*>(v->data()), v->size()));
        ++i_;
        return m;
      }
      case NFT_META_SKUID: {
        const bool ranged = is(i_, "byteorder");
        if (ranged) ++i_;
        auto c = compared(4);
        if (!c || !c->set.empty()) return std::nullopt;
        nft::SkuidMatch m;
        m.negate = c->negate;
        m.uids.first = ranged ? be32Of(c->first) : host32Of(c->first);
        m.uids.last = ranged ? be32Of(c->last) : host32Of(c->last);
        return m;
      }
      default:
        return std::nullopt;
    }
  }

  std::optional<nft::Statement> payload() {
    const uint32_t base = u32(i_, NFTNL_EXPR_PAYLOAD_BASE);
    const uint32_t offset = u32(i_, NFTNL_EXPR_PAYLOAD_OFFSET);
    const uint32_t len = u32(i_, NFTNL_EXPR_PAYLOAD_LEN);
    ++i_;
    if (base == NFT_PAYLOAD_TRANSPORT_HEADER) {
      if (!l4_ || len != 2 || (offset != 0 && offset != 2)) return std::nullopt;
      auto c = compared(2);
      if (!c) return std::nullopt;
      nft::PortMatch m{*l4_, offset == 0, std::string(), c->negate};
      if (c->set.empty())
        m.value = PortRange{be16Of(c->first), be16Of(c->last)};
      else
        m.value = c->set;
      return m;
    }
    if (base != NFT_PAYLOAD_NETWORK_HEADER || !family_) return std::nullopt;
    const bool v4 = *family_ == Family::kV4;
    const uint32_t size = v4 ? 4 : 16;
    const uint32_t src = v4 ? 12 : 8, dst = v4 ? 16 : 24;
    if (offset != src && offset != dst) return std::nullopt;
    nft::AddrMatch m{*family_, offset == src, std::string(), false};
    if (is(i_, "lookup")) {
      auto c = compared(0);
      if (!c) return std::nullopt;
      m.value = c->set;
      m.negate = c->negate;
      return m;
    }
    Cidr cidr;
    cidr.addr.family = *family_;
    cidr.prefix = static_cast<uint8_t>(len * 8);
    if (is(i_, "bitwise")) {
      Bytes mask = data(i_, NFTNL_EXPR_BITWISE_MASK);
      if (mask.size() != size) return std::nullopt;
      uint8_t bits = 0;
      for (uint8_t b : mask)
        for (int k = 7; k >= 0 && ((b >> k) & 1); --k)
          ++bits;
      cidr.prefix = bits;
      ++i_;
    }
    auto v = cmp(i_, len, {NFT_CMP_EQ, NFT_CMP_NEQ});
    if (!v || len > size) return std::nullopt;
    m.negate = negated(i_);
    ++i_;
    std::memcpy(cidr.addr.bytes.data(), v->data(), v->size());
    m.value = cidr;
    return m;
  }

  std::optional<nft::Statement> ctState() {
    if (u32(i_, NFTNL_EXPR_CT_KEY) != NFT_CT_STATE || !is(i_ + 1, "bitwise")) return std::nullopt;
    i_ += 2;
    if (!cmp(i_, 4, {NFT_CMP_NEQ})) return std::nullopt;
    ++i_;
    return nft::CtStateInvalid{};
  }

  std::optional<nft::Statement> immediate() {
    if (u32(i_, NFTNL_EXPR_IMM_DREG) == NFT_REG_VERDICT) {
      nft::Verdict v;
      const auto verdict = static_cast<int32_t>(u32(i_, NFTNL_EXPR_IMM_VERDICT));
      if (verdict == NFT_RETURN) {
        v.kind = nft::Verdict::Kind::kReturn;
      } else if (verdict == NF_DROP) {
        v.kind = nft::Verdict::Kind::kDrop;
      } else if (verdict == NFT_JUMP) {
        v.kind = nft::Verdict::Kind::kJump;
        const char* chain = nftnl_expr_get_str(es_[i_], NFTNL_EXPR_IMM_CHAIN);
        v.chain = chain ? chain : "";
      } else {
        return std::nullopt;
      }
      ++i_;
      return v;
    }
    Bytes d = data(i_, NFTNL_EXPR_IMM_DATA);
    ++i_;
    if (d.size() != 2) return std::nullopt;
    if (is(i_, "redir")) {
      ++i_;
      return nft::Redirect{be16Of(d)};
    }
    if (is(i_, "ct")) {
      ++i_;
      uint16_t zone = 0;
      std::memcpy(&zone, d.data(), 2);
      return nft::CtZoneSet{zone};
    }
    return std::nullopt;
  }

  // nft prints `meta nfproto` / `meta l4proto` only where nothing later implies them, and so
  // does the plan: an address match implies its family, a port match its protocol.
  static void dropImplied(std::vector<nft::Statement>& sts) {
    std::vector<nft::Statement> out;
    for (size_t k = 0; k < sts.size(); ++k) {
      bool implied = false;
      for (size_t j = k + 1; j < sts.size() && !implied; ++j) {
        if (auto* f = std::get_if<nft::MetaNfproto>(&sts[k])) {
          auto* a = std::get_if<nft::AddrMatch>(&sts[j]);
          implied = a && a->family == f->family;
        } else if (auto* p = std::get_if<nft::MetaL4proto>(&sts[k])) {
          auto* m = std::get_if<nft::PortMatch>(&sts[j]);
          implied = m && m->proto == p->proto;
        }
      }
      if (!implied) out.push_back(std::move(sts[k]));
    }
    sts = std::move(out);
  }

  std::vector<nftnl_expr*> es_;
  size_t i_ = 0;
  std::optional<Family> family_;
  std::optional<L4> l4_;
};

}  // namespace

std::optional<rules::NftRule> liftRule(const nftnl_rule* r) {
  std::vector<nftnl_expr*> es;
  nftnl_expr_iter* it = nftnl_expr_iter_create(r);
  if (!it) return std::nullopt;
  for (nftnl_expr* e = nftnl_expr_iter_next(it); e; e = nftnl_expr_iter_next(it))
    es.push_back(e);
  auto out = Lifter(std::move(es)).run();
  nftnl_expr_iter_destroy(it);
  return out;
}

}  // namespace kt::backend::nftables
