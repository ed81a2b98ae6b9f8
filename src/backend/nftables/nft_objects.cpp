#include "backend/nftables/nft_objects.h"

#include <arpa/inet.h>
#include <libnftnl/expr.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <net/if.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <map>

#include "backend/nftables/nft_key.h"
#include "iptables/render_nft.h"

namespace kt::backend::nftables {

namespace {

using rules::L4;
using rules::NftPlan;
using rules::NftSet;
using rules::NftSetKey;
namespace nft = rules::nft;

// nft's data type ids (nftables src/datatype.h), stored in NFTA_SET_KEY_TYPE; `nft list`
// prints the key type from them. A concatenation is (type1 << 6) | type2.
constexpr uint32_t kTypeIpAddr = 7;
constexpr uint32_t kTypeIp6Addr = 8;
constexpr uint32_t kTypeInetProtocol = 12;
constexpr uint32_t kTypeInetService = 13;
constexpr uint32_t kTypeConcatBits = 6;
// nft's user data describing the key: byte order (enum byteorder: 2 = big endian) and, for a
// concatenation, the expression type (EXPR_CONCAT = 13) nft records for `type a . b` sets.
constexpr uint32_t kByteorderInvalid = 0;
constexpr uint32_t kByteorderBigEndian = 2;
constexpr uint32_t kExprConcat = 13;

// Sets are built in chunks of this many netlink elements per message; the largest element
// (an IPv6 key with flags and user data) is under 64 bytes, so a chunk stays below the 64 KiB
// an attribute nest can hold.
constexpr size_t kElementsPerMessage = 900;

constexpr size_t kMaxUdata = 256;  // NFT_USERDATA_MAXLEN

using Bytes = std::vector<uint8_t>;

Bytes be16(uint16_t v) {
  return {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
}
Bytes be32(uint32_t v) {
  return {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
          static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
}
Bytes host32(uint32_t v) {
  Bytes b(4);
  std::memcpy(b.data(), &v, 4);
  return b;
}
uint8_t protoNumber(L4 p) {
  return p == L4::kTcp ? IPPROTO_TCP : IPPROTO_UDP;
}
uint8_t nfprotoNumber(Family f) {
  return f == Family::kV4 ? NFPROTO_IPV4 : NFPROTO_IPV6;
}

struct UdataBuf {
  std::unique_ptr<nftnl_udata_buf, void (*)(const nftnl_udata_buf*)> buf{
      nftnl_udata_buf_alloc(kMaxUdata), nftnl_udata_buf_free};
};

// One rule's expressions, with nft's dependency tracking: an address match needs the family
// checked first, a transport port match the protocol, unless an earlier statement did it.
class RuleBuilder {
 public:
  RuleBuilder(nftnl_rule* r, const std::map<std::string, uint32_t>& setIds)
      : r_(r), setIds_(setIds) {}

  Status add(const nft::Statement& st) {
    return std::visit([this](const auto& s) { return emit(s); }, st);
  }

 private:
  nftnl_expr* expr(const char* name) {
    nftnl_expr* e = nftnl_expr_alloc(name);
    if (e) nftnl_rule_add_expr(r_, e);  // the rule owns it from here
    return e;
  }
  Status oom() const { return Error::runtime("out of memory building nftables expressions"); }

  Status meta(uint32_t key, uint32_t dreg) {
    auto* e = expr("meta");
    if (!e) return oom();
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
    return {};
  }
  Status cmp(uint32_t op, const Bytes& data) {
    auto* e = expr("cmp");
    if (!e) return oom();
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
    nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data.data(), data.size());
    return {};
  }
  Status range(uint32_t op, const Bytes& from, const Bytes& to) {
    auto* e = expr("range");
    if (!e) return oom();
    nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_SREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_OP, op);
    nftnl_expr_set(e, NFTNL_EXPR_RANGE_FROM_DATA, from.data(), from.size());
    nftnl_expr_set(e, NFTNL_EXPR_RANGE_TO_DATA, to.data(), to.size());
    return {};
  }
  // `== first-last` is two comparisons in nft; `!= first-last` is one range expression.
  Status inRange(bool negate, const Bytes& from, const Bytes& to) {
    if (negate) return range(NFT_RANGE_NEQ, from, to);
    KT_TRY(cmp(NFT_CMP_GTE, from));
    return cmp(NFT_CMP_LTE, to);
  }
  Status payload(uint32_t base, uint32_t offset, uint32_t len, uint32_t dreg) {
    auto* e = expr("payload");
    if (!e) return oom();
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
    return {};
  }
  Status bitwise(const Bytes& mask) {
    auto* e = expr("bitwise");
    if (!e) return oom();
    Bytes zero(mask.size(), 0);
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, static_cast<uint32_t>(mask.size()));
    nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask.data(), mask.size());
    nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero.data(), zero.size());
    return {};
  }
  Status byteorderHton(uint32_t size, uint32_t len) {
    auto* e = expr("byteorder");
    if (!e) return oom();
    nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_DREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_OP, NFT_BYTEORDER_HTON);
    nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_LEN, len);
    nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SIZE, size);
    return {};
  }
  Status lookup(const std::string& set, bool negate) {
    auto id = setIds_.find(set);
    if (id == setIds_.end()) {
      return Error::runtime("rule refers to set '" + set + "' that the plan does not define");
    }
    auto* e = expr("lookup");
    if (!e) return oom();
    nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
    nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set.c_str());
    nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, id->second);
    // nft omits the flags when they are 0; the kernel dumps them always, so we send them
    // always and read back what we sent.
    nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, negate ? NFT_LOOKUP_F_INV : 0);
    return {};
  }
  Status immediateData(const Bytes& data) {
    auto* e = expr("immediate");
    if (!e) return oom();
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
    nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data.data(), data.size());
    return {};
  }

  Status needFamily(Family f) {
    if (family_ == f) return {};
    KT_TRY(meta(NFT_META_NFPROTO, NFT_REG_1));
    KT_TRY(cmp(NFT_CMP_EQ, {nfprotoNumber(f)}));
    family_ = f;
    return {};
  }
  Status needL4(L4 p) {
    if (l4_ == p) return {};
    KT_TRY(meta(NFT_META_L4PROTO, NFT_REG_1));
    KT_TRY(cmp(NFT_CMP_EQ, {protoNumber(p)}));
    l4_ = p;
    return {};
  }

  Status emit(const nft::MetaNfproto& s) { return needFamily(s.family); }
  Status emit(const nft::MetaL4proto& s) { return needL4(s.proto); }

  Status emit(const nft::AddrMatch& s) {
    KT_TRY(needFamily(s.family));
    const bool v4 = s.family == Family::kV4;
    const uint32_t size = v4 ? 4 : 16;
    // saddr/daddr offsets in the IPv4 (12/16) and IPv6 (8/24) headers.
    const uint32_t offset = v4 ? (s.source ? 12 : 16) : (s.source ? 8 : 24);
    const uint32_t op = s.negate ? NFT_CMP_NEQ : NFT_CMP_EQ;
    if (auto* set = std::get_if<std::string>(&s.value)) {
      KT_TRY(payload(NFT_PAYLOAD_NETWORK_HEADER, offset, size, NFT_REG_1));
      return lookup(*set, s.negate);
    }
    const Cidr& c = std::get<Cidr>(s.value);
    Bytes addr(c.addr.bytes.begin(), c.addr.bytes.begin() + size);
    if (c.isHost()) {
      KT_TRY(payload(NFT_PAYLOAD_NETWORK_HEADER, offset, size, NFT_REG_1));
      return cmp(op, addr);
    }
    if (c.prefix % 8 == 0 && c.prefix > 0) {
      // nft loads only the prefix bytes when the prefix ends on a byte boundary.
      uint32_t bytes = c.prefix / 8;
      KT_TRY(payload(NFT_PAYLOAD_NETWORK_HEADER, offset, bytes, NFT_REG_1));
      return cmp(op, Bytes(addr.begin(), addr.begin() + bytes));
    }
    Bytes mask(size, 0);
    for (uint32_t bit = 0; bit < c.prefix; ++bit)
      mask[bit / 8] |= static_cast<uint8_t>(0x80u >> (bit % 8));
    KT_TRY(payload(NFT_PAYLOAD_NETWORK_HEADER, offset, size, NFT_REG_1));
    KT_TRY(bitwise(mask));
    return cmp(op, addr);
  }

  Status emit(const nft::PortMatch& s) {
    KT_TRY(needL4(s.proto));
    KT_TRY(payload(NFT_PAYLOAD_TRANSPORT_HEADER, s.source ? 0 : 2, 2, NFT_REG_1));
    if (auto* set = std::get_if<std::string>(&s.value)) return lookup(*set, s.negate);
    const PortRange& p = std::get<PortRange>(s.value);
    if (p.single()) return cmp(s.negate ? NFT_CMP_NEQ : NFT_CMP_EQ, be16(p.first));
    return inRange(s.negate, be16(p.first), be16(p.last));
  }

  Status emit(const nft::ProtoPortLookup& s) {
    // meta l4proto . th dport: the protocol fills the first 32-bit register, the port the
    // second; for an interval set nft 1.0.6 emits a (no-op) byteorder for the one-byte
    // protocol.
    KT_TRY(meta(NFT_META_L4PROTO, NFT_REG_1));
    if (s.interval) KT_TRY(byteorderHton(2, 1));
    KT_TRY(payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG32_01));
    return lookup(s.set, s.negate);
  }

  Status emit(const nft::IfaceMatch& s) {
    KT_TRY(meta(s.output ? NFT_META_OIFNAME : NFT_META_IIFNAME, NFT_REG_1));
    Bytes name(IFNAMSIZ, 0);
    std::memcpy(name.data(), s.name.data(), std::min<size_t>(s.name.size(), IFNAMSIZ - 1));
    return cmp(s.negate ? NFT_CMP_NEQ : NFT_CMP_EQ, name);
  }

  Status emit(const nft::SkuidMatch& s) {
    KT_TRY(meta(NFT_META_SKUID, NFT_REG_1));
    if (s.uids.single()) return cmp(s.negate ? NFT_CMP_NEQ : NFT_CMP_EQ, host32(s.uids.first));
    // The uid is in host byte order; ranges compare big-endian values.
    KT_TRY(byteorderHton(4, 4));
    return inRange(s.negate, be32(s.uids.first), be32(s.uids.last));
  }

  Status emit(const nft::CtStateInvalid&) {
    auto* e = expr("ct");
    if (!e) return oom();
    nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
    nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
    KT_TRY(bitwise(host32(NF_CT_STATE_INVALID_BIT)));
    return cmp(NFT_CMP_NEQ, host32(0));
  }

  Status emit(const nft::CtZoneSet& s) {
    Bytes zone(2);
    std::memcpy(zone.data(), &s.zone, 2);  // host byte order, as the kernel reads it
    KT_TRY(immediateData(zone));
    auto* e = expr("ct");
    if (!e) return oom();
    nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_ZONE);
    nftnl_expr_set_u32(e, NFTNL_EXPR_CT_SREG, NFT_REG_1);
    return {};
  }

  Status emit(const nft::Log& s) {
    auto* e = expr("log");
    if (!e) return oom();
    nftnl_expr_set_str(e, NFTNL_EXPR_LOG_PREFIX, s.prefix.c_str());
    nftnl_expr_set_u32(e, NFTNL_EXPR_LOG_LEVEL, s.level);
    return {};
  }

  Status emit(const nft::Redirect& s) {
    KT_TRY(immediateData(be16(s.port)));
    auto* e = expr("redir");
    if (!e) return oom();
    nftnl_expr_set_u32(e, NFTNL_EXPR_REDIR_REG_PROTO_MIN, NFT_REG_1);
    // nft sends only the minimum; the kernel sets max = min and dumps both, so we send both
    // to read back exactly what we sent.
    nftnl_expr_set_u32(e, NFTNL_EXPR_REDIR_REG_PROTO_MAX, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_REDIR_FLAGS, NF_NAT_RANGE_PROTO_SPECIFIED);
    return {};
  }

  Status emit(const nft::Verdict& s) {
    auto* e = expr("immediate");
    if (!e) return oom();
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
    switch (s.kind) {
      case nft::Verdict::Kind::kReturn:
        nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, static_cast<uint32_t>(NFT_RETURN));
        break;
      case nft::Verdict::Kind::kDrop:
        nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, NF_DROP);
        break;
      case nft::Verdict::Kind::kJump:
        // A jump to a chain the plan lacks is left to the kernel, which rejects the rule.
        nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, static_cast<uint32_t>(NFT_JUMP));
        nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, s.chain.c_str());
        break;
    }
    return {};
  }

  nftnl_rule* r_;
  const std::map<std::string, uint32_t>& setIds_;
  std::optional<Family> family_;
  std::optional<L4> l4_;
};

// --- sets ---------------------------------------------------------------------------------

struct KeyInterval {
  Key first, last;  // inclusive, big endian
};

struct ElementSpec {
  Key key;
  Key keyEnd;  // concatenations only (len 0 otherwise)
  bool intervalEnd = false;
  bool openInterval = false;  // the interval runs to the largest key: no end element
};

// The rbtree encoding nft uses for single-field interval sets: a start element per interval,
// an "interval end" element at last+1 (none when last is the largest key; the start then
// carries the open-interval flag in its user data), and an "interval end" at zero first when
// the first interval does not start at zero.
// The intervals come sorted and disjoint: the config stage normalizes every list once
// (config/config.h) and the rule model and nft plan keep that order.
std::vector<ElementSpec> rbtreeElements(std::vector<KeyInterval> intervals) {
  std::vector<ElementSpec> out;
  out.reserve(2 * intervals.size() + 1);
  if (intervals.empty()) return out;
  if (!intervals.front().first.isZero()) {
    Key zero;
    zero.len = intervals.front().first.len;
    out.push_back({zero, {}, true, false});
  }
  for (const auto& iv : intervals) {
    Key next = iv.last;
    bool open = !next.increment();
    out.push_back({iv.first, {}, false, open});
    if (!open) out.push_back({next, {}, true, false});
  }
  return out;
}

Key concatKey(L4 proto, uint16_t port) {
  // Each field of a concatenation takes a 32-bit register: proto byte + 3 bytes padding,
  // port (big endian) + 2 bytes padding.
  uint8_t v[8] = {protoNumber(proto),         0, 0, 0, static_cast<uint8_t>(port >> 8),
                  static_cast<uint8_t>(port), 0, 0};
  return Key::of(v, 8);
}

std::vector<ElementSpec> elementsOf(const NftSet& s) {
  std::vector<KeyInterval> intervals;
  switch (s.key) {
    case NftSetKey::kInetService:
      intervals.reserve(s.ports.size());
      for (const auto& p : s.ports)
        intervals.push_back({Key::port(p.first), Key::port(p.last)});
      return rbtreeElements(std::move(intervals));
    case NftSetKey::kIpv4Addr:
    case NftSetKey::kIpv6Addr:
      if (!s.interval) {
        // A hash set: one element per address.
        std::vector<ElementSpec> out;
        out.reserve(s.cidrs.size());
        for (const auto& c : s.cidrs)
          out.push_back({Key::of(c.addr.bytes.data(), c.addr.size()), {}, false, false});
        return out;
      }
      intervals.reserve(s.cidrs.size());
      for (const auto& c : s.cidrs) {
        auto last = c.last();
        size_t n = c.addr.size();
        intervals.push_back({Key::of(c.addr.bytes.data(), n), Key::of(last.bytes.data(), n)});
      }
      return rbtreeElements(std::move(intervals));
    case NftSetKey::kProtoService: {
      // Concatenations with intervals use the pipapo backend: one element with key and
      // key end per interval. Without intervals (a hash set) the key alone.
      std::vector<ElementSpec> out;
      out.reserve(s.protoPorts.size());
      for (const auto& pp : s.protoPorts) {
        Key end = s.interval ? concatKey(pp.proto, pp.ports.last) : Key{};
        out.push_back({concatKey(pp.proto, pp.ports.first), end, false, false});
      }
      return out;
    }
  }
  return {};
}

SetPtr newSetRef(const std::string& table, const std::string& name, uint32_t id) {
  SetPtr s(nftnl_set_alloc());
  if (!s) return s;
  nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, table.c_str());
  nftnl_set_set_str(s.get(), NFTNL_SET_NAME, name.c_str());
  nftnl_set_set_u32(s.get(), NFTNL_SET_FAMILY, NFPROTO_INET);
  nftnl_set_set_u32(s.get(), NFTNL_SET_ID, id);
  return s;
}

Result<SetObject> buildSet(const std::string& table, const NftSet& plan, uint32_t id) {
  SetObject out;
  out.name = plan.name;
  out.elementCount = plan.size();
  out.set = newSetRef(table, plan.name, id);
  if (!out.set) return Error::runtime("out of memory building nftables set " + plan.name);
  nftnl_set* s = out.set.get();

  // nft marks a concatenation with NFT_SET_CONCAT only together with intervals.
  uint32_t flags = plan.interval ? NFT_SET_INTERVAL : 0;
  uint32_t keyType = kTypeInetService, keyLen = 2;
  switch (plan.key) {
    case NftSetKey::kInetService:
      break;
    case NftSetKey::kIpv4Addr:
      keyType = kTypeIpAddr;
      keyLen = 4;
      break;
    case NftSetKey::kIpv6Addr:
      keyType = kTypeIp6Addr;
      keyLen = 16;
      break;
    case NftSetKey::kProtoService:
      if (plan.interval) flags |= NFT_SET_CONCAT;
      keyType = (kTypeInetProtocol << kTypeConcatBits) | kTypeInetService;
      keyLen = 8;
      break;
  }
  nftnl_set_set_u32(s, NFTNL_SET_FLAGS, flags);
  nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, keyType);
  nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, keyLen);
  // A hash set's declared size: the kernel picks its fixed-size hash table (see nft_plan.h).
  if (!plan.interval) {
    nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, static_cast<uint32_t>(plan.size()));
  }

  UdataBuf ud;
  if (!ud.buf) return Error::runtime("out of memory building nftables set " + plan.name);
  if (plan.key == NftSetKey::kProtoService) {
    // nft describes the fields (for pipapo) only for an interval set.
    uint8_t fieldLens[] = {1, 2, 0};  // inet_proto, inet_service; 0-terminated
    if (plan.interval) nftnl_set_set_data(s, NFTNL_SET_DESC_CONCAT, fieldLens, 2);
    nftnl_udata_put_u32(ud.buf.get(), NFTNL_UDATA_SET_KEYBYTEORDER, kByteorderInvalid);
    auto* typeOf = nftnl_udata_nest_start(ud.buf.get(), NFTNL_UDATA_SET_KEY_TYPEOF);
    nftnl_udata_put_u32(ud.buf.get(), NFTNL_UDATA_SET_TYPEOF_EXPR, kExprConcat);
    auto* data = nftnl_udata_nest_start(ud.buf.get(), NFTNL_UDATA_SET_TYPEOF_DATA);
    nftnl_udata_nest_end(ud.buf.get(), data);
    nftnl_udata_nest_end(ud.buf.get(), typeOf);
  } else {
    nftnl_udata_put_u32(ud.buf.get(), NFTNL_UDATA_SET_KEYBYTEORDER, kByteorderBigEndian);
  }
  nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud.buf.get()),
                     nftnl_udata_buf_len(ud.buf.get()));

  auto specs = elementsOf(plan);
  for (size_t start = 0; start < specs.size(); start += kElementsPerMessage) {
    SetPtr chunk = newSetRef(table, plan.name, id);
    if (!chunk) return Error::runtime("out of memory building nftables set " + plan.name);
    size_t end = std::min(specs.size(), start + kElementsPerMessage);
    for (size_t i = start; i < end; ++i) {
      const auto& spec = specs[i];
      nftnl_set_elem* e = nftnl_set_elem_alloc();
      if (!e) return Error::runtime("out of memory building nftables set " + plan.name);
      nftnl_set_elem_add(chunk.get(), e);  // the chunk owns it from here
      nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, spec.key.b.data(), spec.key.len);
      if (spec.keyEnd.len > 0) {
        nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY_END, spec.keyEnd.b.data(), spec.keyEnd.len);
      }
      if (spec.intervalEnd)
        nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
      if (spec.openInterval) {
        UdataBuf eud;
        if (!eud.buf) return Error::runtime("out of memory building nftables set " + plan.name);
        nftnl_udata_put_u32(eud.buf.get(), NFTNL_UDATA_SET_ELEM_FLAGS,
                            NFTNL_SET_ELEM_F_INTERVAL_OPEN);
        nftnl_set_elem_set(e, NFTNL_SET_ELEM_USERDATA, nftnl_udata_buf_data(eud.buf.get()),
                           nftnl_udata_buf_len(eud.buf.get()));
      }
    }
    out.elementChunks.push_back(std::move(chunk));
  }
  return out;
}

// --- chains -------------------------------------------------------------------------------

ChainPtr buildChain(const std::string& table, const rules::NftChain& c) {
  ChainPtr ch(nftnl_chain_alloc());
  if (!ch) return ch;
  nftnl_chain_set_str(ch.get(), NFTNL_CHAIN_TABLE, table.c_str());
  nftnl_chain_set_str(ch.get(), NFTNL_CHAIN_NAME, c.name.c_str());
  nftnl_chain_set_u32(ch.get(), NFTNL_CHAIN_FAMILY, NFPROTO_INET);
  if (c.base) {
    nftnl_chain_set_str(ch.get(), NFTNL_CHAIN_TYPE,
                        c.base->type == rules::NftChainType::kNat ? "nat" : "filter");
    nftnl_chain_set_u32(
        ch.get(), NFTNL_CHAIN_HOOKNUM,
        c.base->hook == rules::NftHook::kPrerouting ? NF_INET_PRE_ROUTING : NF_INET_LOCAL_OUT);
    nftnl_chain_set_s32(ch.get(), NFTNL_CHAIN_PRIO, c.base->priority);
    nftnl_chain_set_u32(ch.get(), NFTNL_CHAIN_POLICY, NF_ACCEPT);
  }
  return ch;
}

}  // namespace

std::string RuleObject::text() const {
  return rules::renderNftRule(*source);
}

Result<RulePtr> ruleExpressions(const rules::NftRule& rule) {
  // Lookups need a known set; its id is not part of what the kernel dumps.
  std::map<std::string, uint32_t> setIds;
  for (const auto& st : rule.statements) {
    if (auto* a = std::get_if<rules::nft::AddrMatch>(&st)) {
      if (auto* set = std::get_if<std::string>(&a->value)) setIds[*set] = 0;
    } else if (auto* p = std::get_if<rules::nft::PortMatch>(&st)) {
      if (auto* set = std::get_if<std::string>(&p->value)) setIds[*set] = 0;
    } else if (auto* l = std::get_if<rules::nft::ProtoPortLookup>(&st)) {
      setIds[l->set] = 0;
    }
  }
  RulePtr r(nftnl_rule_alloc());
  if (!r) return Error::runtime("out of memory building an nftables rule");
  RuleBuilder b(r.get(), setIds);
  for (const auto& st : rule.statements)
    KT_TRY(b.add(st));
  return r;
}

TablePtr tableRef(const std::string& table) {
  TablePtr t(nftnl_table_alloc());
  if (!t) return t;
  nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, table.c_str());
  nftnl_table_set_u32(t.get(), NFTNL_TABLE_FAMILY, NFPROTO_INET);
  return t;
}

Result<NftObjects> buildObjects(const NftPlan& plan) {
  NftObjects out;
  out.table = tableRef(plan.table);
  if (!out.table) return Error::runtime("out of memory building the nftables table");
  // Flags 0, as nft sends: it also wakes up a table someone made dormant.
  nftnl_table_set_u32(out.table.get(), NFTNL_TABLE_FLAGS, 0);

  for (const auto& c : plan.chains) {
    auto ch = buildChain(plan.table, c);
    if (!ch) return Error::runtime("out of memory building nftables chain " + c.name);
    out.chains.push_back(std::move(ch));
  }

  std::map<std::string, uint32_t> setIds;
  uint32_t nextId = 1;
  for (const auto& s : plan.sets) {
    uint32_t id = nextId++;
    setIds[s.name] = id;
    KT_ASSIGN_OR_RETURN(auto obj, buildSet(plan.table, s, id));
    out.sets.push_back(std::move(obj));
  }

  for (const auto& c : plan.chains) {
    for (size_t i = 0; i < c.rules.size(); ++i) {
      const auto& pr = c.rules[i];
      RulePtr r(nftnl_rule_alloc());
      if (!r) return Error::runtime("out of memory building an nftables rule");
      nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, plan.table.c_str());
      nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, c.name.c_str());
      nftnl_rule_set_u32(r.get(), NFTNL_RULE_FAMILY, NFPROTO_INET);
      RuleBuilder b(r.get(), setIds);
      for (const auto& st : pr.statements) {
        auto s = b.add(st);
        if (!s) {
          return std::move(s).takeError().context("chain " + c.name + " rule " +
                                                  std::to_string(i + 1));
        }
      }
      if (!pr.comment.empty()) {
        UdataBuf ud;
        if (!ud.buf) return Error::runtime("out of memory building an nftables rule");
        nftnl_udata_put_strz(ud.buf.get(), NFTNL_UDATA_RULE_COMMENT, pr.comment.c_str());
        nftnl_rule_set_data(r.get(), NFTNL_RULE_USERDATA, nftnl_udata_buf_data(ud.buf.get()),
                            nftnl_udata_buf_len(ud.buf.get()));
      }
      out.rules.push_back(RuleObject{std::move(r), c.name, i, &pr});
    }
  }
  return out;
}

}  // namespace kt::backend::nftables
