// kt-nft-ref: the reference point of the nftables install benchmark (scripts/bench.sh).
//
// The least a program can do to install the benchmark's ruleset: the rules
// `kuma-tproxy install --backend nftables` installs for the bench's base configuration
// (--kuma-dp-user=5678 --redirect-all-dns-traffic --exclude-inbound-ports=9001, IPv6 on,
// loopback "lo"), written out by hand with libnftnl and sent as one batch over one libmnl
// socket into the current network namespace, which must not hold `table inet kuma_mesh` yet.
// No configuration, no probes, no read-back, no logging; an ACK is asked for the last message
// only. It adds what bench.sh's exclusion_flags() adds: PORTS excluded outbound ports (20000,
// 20003, ...) in an `inet_proto . inet_service` hash set and IPS excluded outbound IPv4
// addresses (10.200.(i / 120).(2 * (i % 120) + 1)) in an ipv4_addr hash set (none when 0;
// a list of one element would be no set in our rules, so use 0 or at least 2).
//
// bench.sh compares the table this program makes with ours (`nft list`) before it times
// anything, and reports the ratio only when they are the same ruleset.
//
// Usage: kt-nft-ref [PORTS [IPS [hash|rbtree|pipapo]]]   exit 0 when the kernel accepted the
// batch, 1 otherwise. The last argument builds the sets another way (see enum Kind); only
// `hash` (the default) is the ruleset ours installs.
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define TABLE "kuma_mesh"
#define COMMENT "kuma/mesh/transparent/proxy/"
#define UID 5678
#define IPS_SET "output_exclude_ips_daddr4"
#define PORTS_SET "outbound_exclude_ports_dport"
#define PER_MESSAGE 900  // set elements per message (an attribute nest holds 64 KiB)

static struct mnl_nlmsg_batch* batch;
static uint32_t seq;
static struct nlmsghdr* lastObject;  // the last object message, the one that asks for an ACK

static void put(uint16_t type, uint16_t flags, void (*fill)(struct nlmsghdr*, void*), void* obj) {
  struct nlmsghdr* nlh =
      nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(batch), type, NFPROTO_INET, flags, seq++);
  fill(nlh, obj);
  lastObject = nlh;
  mnl_nlmsg_batch_next(batch);
}
static void fillTable(struct nlmsghdr* n, void* o) {
  nftnl_table_nlmsg_build_payload(n, o);
}
static void fillChain(struct nlmsghdr* n, void* o) {
  nftnl_chain_nlmsg_build_payload(n, o);
}
static void fillSet(struct nlmsghdr* n, void* o) {
  nftnl_set_nlmsg_build_payload(n, o);
}
static void fillElems(struct nlmsghdr* n, void* o) {
  nftnl_set_elems_nlmsg_build_payload(n, o);
}
static void fillRule(struct nlmsghdr* n, void* o) {
  nftnl_rule_nlmsg_build_payload(n, o);
}

// --- expressions -----------------------------------------------------------------------------

static struct nftnl_rule* rule;

static struct nftnl_expr* expr(const char* name) {
  struct nftnl_expr* e = nftnl_expr_alloc(name);
  nftnl_rule_add_expr(rule, e);
  return e;
}
static void meta(uint32_t key) {
  struct nftnl_expr* e = expr("meta");
  nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
  nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
}
static void cmp(uint32_t op, const void* data, uint32_t len) {
  struct nftnl_expr* e = expr("cmp");
  nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
  nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
  nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
}
static void payload(uint32_t base, uint32_t offset, uint32_t len, uint32_t dreg) {
  struct nftnl_expr* e = expr("payload");
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
}
static void family(uint8_t nfproto) {
  meta(NFT_META_NFPROTO);
  cmp(NFT_CMP_EQ, &nfproto, 1);
}
static void l4(uint8_t proto) {
  meta(NFT_META_L4PROTO);
  cmp(NFT_CMP_EQ, &proto, 1);
}
static void port(int source, uint16_t p) {  // the protocol is already matched
  uint16_t be = htons(p);
  payload(NFT_PAYLOAD_TRANSPORT_HEADER, source ? 0 : 2, 2, NFT_REG_1);
  cmp(NFT_CMP_EQ, &be, 2);
}
static void skuid(uint32_t op) {
  uint32_t uid = UID;
  meta(NFT_META_SKUID);
  cmp(op, &uid, 4);
}
static void oifLo(void) {
  char name[IFNAMSIZ] = "lo";
  meta(NFT_META_OIFNAME);
  cmp(NFT_CMP_EQ, name, IFNAMSIZ);
}
static void addr4(int source, uint32_t op, const char* text) {
  struct in_addr a;
  inet_pton(AF_INET, text, &a);
  family(NFPROTO_IPV4);
  payload(NFT_PAYLOAD_NETWORK_HEADER, source ? 12 : 16, 4, NFT_REG_1);
  cmp(op, &a, 4);
}
static void addr6(int source, uint32_t op, const char* text) {
  struct in6_addr a;
  inet_pton(AF_INET6, text, &a);
  family(NFPROTO_IPV6);
  payload(NFT_PAYLOAD_NETWORK_HEADER, source ? 8 : 24, 16, NFT_REG_1);
  cmp(op, &a, 16);
}
static void lookup(const char* set, uint32_t id) {
  struct nftnl_expr* e = expr("lookup");
  nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
  nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
  nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, id);
  nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, 0);
}
static void byteorderProto(void) {  // nft's no-op byteorder of the protocol for pipapo
  struct nftnl_expr* e = expr("byteorder");
  nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SREG, NFT_REG_1);
  nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_DREG, NFT_REG_1);
  nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_OP, NFT_BYTEORDER_HTON);
  nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_LEN, 1);
  nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SIZE, 2);
}
static void verdict(int code, const char* chain) {
  struct nftnl_expr* e = expr("immediate");
  nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
  nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)code);
  if (chain) nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
}
static void ctZoneReturn(uint16_t zone) {
  struct nftnl_expr* e = expr("immediate");
  nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
  nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, &zone, 2);
  e = expr("ct");
  nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_ZONE);
  nftnl_expr_set_u32(e, NFTNL_EXPR_CT_SREG, NFT_REG_1);
  verdict(NFT_RETURN, NULL);
}
static void redirect(uint16_t p) {
  uint16_t be = htons(p);
  struct nftnl_expr* e = expr("immediate");
  nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
  nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, &be, 2);
  e = expr("redir");
  nftnl_expr_set_u32(e, NFTNL_EXPR_REDIR_REG_PROTO_MIN, NFT_REG_1);
  nftnl_expr_set_u32(e, NFTNL_EXPR_REDIR_REG_PROTO_MAX, NFT_REG_1);
  nftnl_expr_set_u32(e, NFTNL_EXPR_REDIR_FLAGS, NF_NAT_RANGE_PROTO_SPECIFIED);
}

static void begin(const char* chain) {
  rule = nftnl_rule_alloc();
  nftnl_rule_set_str(rule, NFTNL_RULE_TABLE, TABLE);
  nftnl_rule_set_str(rule, NFTNL_RULE_CHAIN, chain);
  nftnl_rule_set_u32(rule, NFTNL_RULE_FAMILY, NFPROTO_INET);
}
static void end(const char* comment) {
  char text[128];
  snprintf(text, sizeof text, COMMENT "%s", comment);
  struct nftnl_udata_buf* ud = nftnl_udata_buf_alloc(256);
  nftnl_udata_put_strz(ud, NFTNL_UDATA_RULE_COMMENT, text);
  nftnl_rule_set_data(rule, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(ud), nftnl_udata_buf_len(ud));
  nftnl_udata_buf_free(ud);
  put(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, fillRule, rule);
  nftnl_rule_free(rule);
}

// --- objects ---------------------------------------------------------------------------------

static void chain(const char* name, const char* type, int hook, int prio) {
  struct nftnl_chain* c = nftnl_chain_alloc();
  nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, TABLE);
  nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
  nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
  if (type) {
    nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, type);
    nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, (uint32_t)hook);
    nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
    nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
  }
  put(NFT_MSG_NEWCHAIN, NLM_F_CREATE, fillChain, c);
  nftnl_chain_free(c);
}

static struct nftnl_set* setRef(const char* name, uint32_t id) {
  struct nftnl_set* s = nftnl_set_alloc();
  nftnl_set_set_str(s, NFTNL_SET_TABLE, TABLE);
  nftnl_set_set_str(s, NFTNL_SET_NAME, name);
  nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
  nftnl_set_set_u32(s, NFTNL_SET_ID, id);
  return s;
}

// How a set is built. The ruleset ours installs uses hash sets (kHash); kRbtree and kPipapo
// exist to measure that choice: the same lists as an interval set (`type inet_service` or
// `ipv4_addr`, flags interval: the kernel's rbtree) or, for the ports, as a concatenation with
// flags interval (pipapo). Their tables differ from ours by the set type only.
enum Kind { kHash, kRbtree, kPipapo };

// Adds one big-endian to a key of len bytes.
static void increment(uint8_t* k, uint32_t len) {
  for (uint32_t i = len; i-- > 0;)
    if (++k[i] != 0) return;
}

static void portKey(int i, uint8_t* k) {  // tcp . 20000 + 3i, each field in a 32-bit register
  uint16_t p = (uint16_t)(20000 + 3 * i);
  k[0] = IPPROTO_TCP;
  k[4] = (uint8_t)(p >> 8);
  k[5] = (uint8_t)p;
}
static void ipKey(int i, uint8_t* k) {
  k[0] = 10;
  k[1] = 200;
  k[2] = (uint8_t)(i / 120);
  k[3] = (uint8_t)(2 * (i % 120) + 1);
}

static void addElement(struct nftnl_set* chunk, const uint8_t* key, const uint8_t* keyEnd,
                       uint32_t len, int intervalEnd) {
  struct nftnl_set_elem* e = nftnl_set_elem_alloc();
  nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, len);
  if (keyEnd) nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY_END, keyEnd, len);
  if (intervalEnd) nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
  nftnl_set_elem_add(chunk, e);
}

// The set `name` of n ports (ports = 1) or IPv4 addresses, built as `kind` says.
static void addSet(const char* name, uint32_t id, int ports, enum Kind kind, int n) {
  const int concat = ports && kind != kRbtree;
  const uint32_t len = concat ? 8 : ports ? 2 : 4;
  struct nftnl_set* s = setRef(name, id);
  struct nftnl_udata_buf* ud = nftnl_udata_buf_alloc(256);
  uint32_t flags = kind == kHash ? 0 : NFT_SET_INTERVAL;
  if (kind == kPipapo) flags |= NFT_SET_CONCAT;
  nftnl_set_set_u32(s, NFTNL_SET_FLAGS, flags);
  nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, concat ? (12 << 6) | 13 : ports ? 13 : 7);
  nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, len);
  if (kind == kHash) nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, (uint32_t)n);  // `size N`
  if (concat) {
    if (kind == kPipapo) {
      uint8_t fields[] = {1, 2};  // inet_proto, inet_service
      nftnl_set_set_data(s, NFTNL_SET_DESC_CONCAT, fields, 2);
    }
    nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER, 0);
    struct nftnl_udata* typeOf = nftnl_udata_nest_start(ud, NFTNL_UDATA_SET_KEY_TYPEOF);
    nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_TYPEOF_EXPR, 13);  // EXPR_CONCAT
    nftnl_udata_nest_end(ud, nftnl_udata_nest_start(ud, NFTNL_UDATA_SET_TYPEOF_DATA));
    nftnl_udata_nest_end(ud, typeOf);
  } else {
    nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER, 2);  // big endian
  }
  nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud), nftnl_udata_buf_len(ud));
  nftnl_udata_buf_free(ud);
  put(NFT_MSG_NEWSET, NLM_F_CREATE, fillSet, s);
  nftnl_set_free(s);
  for (int first = 0; first < n; first += PER_MESSAGE) {
    struct nftnl_set* chunk = setRef(name, id);
    if (kind == kRbtree && first == 0) {  // the rbtree encoding: an interval end at zero first
      uint8_t zero[8] = {0};
      addElement(chunk, zero, NULL, len, 1);
    }
    for (int i = first; i < n && i < first + PER_MESSAGE; ++i) {
      uint8_t k[8] = {0};
      if (ports) {
        portKey(i, k);
        if (!concat) memmove(k, k + 4, 2);  // the port alone
      } else {
        ipKey(i, k);
      }
      if (kind == kHash) {
        addElement(chunk, k, NULL, len, 0);
      } else if (kind == kPipapo) {
        addElement(chunk, k, k, len, 0);
      } else {  // a start element, and an interval end at the next key
        addElement(chunk, k, NULL, len, 0);
        memset(k + len, 0, sizeof k - len);
        increment(k, len);
        addElement(chunk, k, NULL, len, 1);
      }
    }
    put(NFT_MSG_NEWSETELEM, NLM_F_CREATE, fillElems, chunk);
    nftnl_set_free(chunk);
  }
}

static void ruleset(int ports, int ips, enum Kind kind) {
  struct nftnl_table* t = nftnl_table_alloc();
  nftnl_table_set_str(t, NFTNL_TABLE_NAME, TABLE);
  nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
  nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, 0);
  put(NFT_MSG_NEWTABLE, NLM_F_CREATE, fillTable, t);
  nftnl_table_free(t);
  const uint32_t ipsId = 1, portsId = ips > 0 ? 2 : 1;  // numbered in creation order
  if (ips > 0) addSet(IPS_SET, ipsId, 0, kind == kHash ? kHash : kRbtree, ips);
  if (ports > 0) addSet(PORTS_SET, portsId, 1, kind, ports);
  chain("raw_prerouting", "filter", NF_INET_PRE_ROUTING, -300);
  chain("raw_output", "filter", NF_INET_LOCAL_OUT, -300);
  chain("nat_prerouting", "nat", NF_INET_PRE_ROUTING, -100);
  chain("nat_output", "nat", NF_INET_LOCAL_OUT, -100);
  chain("KUMA_MESH_INBOUND", NULL, 0, 0);
  chain("KUMA_MESH_OUTBOUND", NULL, 0, 0);
  chain("KUMA_MESH_INBOUND_REDIRECT", NULL, 0, 0);
  chain("KUMA_MESH_OUTBOUND_REDIRECT", NULL, 0, 0);

  begin("raw_prerouting");
  l4(IPPROTO_UDP), port(1, 53), ctZoneReturn(1), end("dns/upstream-reply-zone");

  begin("raw_output");
  l4(IPPROTO_UDP), port(0, 53), skuid(NFT_CMP_EQ), ctZoneReturn(1);
  end("dns/sidecar-upstream-zone");
  begin("raw_output");
  l4(IPPROTO_UDP), port(1, 15053), skuid(NFT_CMP_EQ), ctZoneReturn(2);
  end("dns/proxy-reply-zone");
  begin("raw_output");
  l4(IPPROTO_UDP), port(0, 53), ctZoneReturn(2), end("dns/app-query-zone");

  begin("nat_prerouting");
  l4(IPPROTO_TCP), verdict(NFT_JUMP, "KUMA_MESH_INBOUND"), end("prerouting/inbound");

  if (ips > 0) {
    begin("nat_output");
    family(NFPROTO_IPV4), payload(NFT_PAYLOAD_NETWORK_HEADER, 16, 4, NFT_REG_1);
    lookup(IPS_SET, ipsId), verdict(NFT_RETURN, NULL), end("output/exclude-ips");
  }
  begin("nat_output");
  l4(IPPROTO_UDP), port(0, 53), skuid(NFT_CMP_EQ), verdict(NFT_RETURN, NULL);
  end("output/dns/sidecar-return");
  begin("nat_output");
  l4(IPPROTO_UDP), port(0, 53), redirect(15053), end("output/dns/redirect");
  begin("nat_output");
  l4(IPPROTO_TCP), port(0, 53), skuid(NFT_CMP_NEQ), verdict(NFT_RETURN, NULL);
  end("output/dns/tcp-return");
  begin("nat_output");
  l4(IPPROTO_TCP), verdict(NFT_JUMP, "KUMA_MESH_OUTBOUND"), end("output/outbound");

  begin("KUMA_MESH_INBOUND");
  l4(IPPROTO_TCP), port(0, 9001), verdict(NFT_RETURN, NULL), end("inbound/exclude-ports");
  begin("KUMA_MESH_INBOUND");
  l4(IPPROTO_TCP), verdict(NFT_JUMP, "KUMA_MESH_INBOUND_REDIRECT"), end("inbound/redirect");

  const char* out = "KUMA_MESH_OUTBOUND";
  if (ports > 0) {
    begin(out);
    if (kind == kRbtree) {
      l4(IPPROTO_TCP), payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
    } else {
      meta(NFT_META_L4PROTO);
      if (kind == kPipapo) byteorderProto();
      payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG32_01);
    }
    lookup(PORTS_SET, portsId), verdict(NFT_RETURN, NULL), end("outbound/exclude-ports");
  }
  begin(out);
  addr4(1, NFT_CMP_EQ, "127.0.0.6"), oifLo(), verdict(NFT_RETURN, NULL);
  end("outbound/inbound-passthrough");
  begin(out);
  addr6(1, NFT_CMP_EQ, "::6"), oifLo(), verdict(NFT_RETURN, NULL);
  end("outbound/inbound-passthrough");
  begin(out);
  addr4(0, NFT_CMP_NEQ, "127.0.0.1"), l4(IPPROTO_TCP), oifLo(), skuid(NFT_CMP_EQ);
  verdict(NFT_JUMP, "KUMA_MESH_INBOUND_REDIRECT"), end("outbound/sidecar-to-self-as-inbound");
  begin(out);
  addr6(0, NFT_CMP_NEQ, "::1"), l4(IPPROTO_TCP), oifLo(), skuid(NFT_CMP_EQ);
  verdict(NFT_JUMP, "KUMA_MESH_INBOUND_REDIRECT"), end("outbound/sidecar-to-self-as-inbound");
  begin(out);
  l4(IPPROTO_TCP), oifLo(), skuid(NFT_CMP_NEQ), verdict(NFT_RETURN, NULL);
  end("outbound/app-loopback");
  begin(out);
  skuid(NFT_CMP_EQ), verdict(NFT_RETURN, NULL), end("outbound/sidecar");
  begin(out);
  addr4(0, NFT_CMP_EQ, "127.0.0.1"), verdict(NFT_RETURN, NULL), end("outbound/localhost");
  begin(out);
  addr6(0, NFT_CMP_EQ, "::1"), verdict(NFT_RETURN, NULL), end("outbound/localhost");
  begin(out);
  verdict(NFT_JUMP, "KUMA_MESH_OUTBOUND_REDIRECT"), end("outbound/redirect");

  begin("KUMA_MESH_INBOUND_REDIRECT");
  family(NFPROTO_IPV4), l4(IPPROTO_TCP), redirect(15006), end("inbound-redirect");
  begin("KUMA_MESH_INBOUND_REDIRECT");
  family(NFPROTO_IPV6), l4(IPPROTO_TCP), redirect(15010), end("inbound-redirect");
  begin("KUMA_MESH_OUTBOUND_REDIRECT");
  l4(IPPROTO_TCP), redirect(15001), end("outbound-redirect");
}

int main(int argc, char** argv) {
  int ports = argc > 1 ? atoi(argv[1]) : 0;
  int ips = argc > 2 ? atoi(argv[2]) : 0;
  const char* how = argc > 3 ? argv[3] : "hash";
  enum Kind kind = !strcmp(how, "rbtree") ? kRbtree : !strcmp(how, "pipapo") ? kPipapo : kHash;
  int n = ports + ips;
  // Room for the whole batch (about 45 bytes per set element, a few KiB of rules) plus the one
  // message libmnl lets overflow the limit.
  size_t limit = 64 * 1024 + (size_t)(n > 0 ? n : 0) * 128;
  char* buf = malloc(limit + 64 * 1024);
  if (!buf) return 1;
  batch = mnl_nlmsg_batch_start(buf, limit);
  seq = 1;
  nftnl_batch_begin(mnl_nlmsg_batch_current(batch), seq++);
  mnl_nlmsg_batch_next(batch);
  ruleset(ports, ips, kind);
  // The ACK of the last object message tells that the whole batch was applied.
  lastObject->nlmsg_flags |= NLM_F_ACK;
  uint32_t lastSeq = lastObject->nlmsg_seq;
  nftnl_batch_end(mnl_nlmsg_batch_current(batch), seq++);
  mnl_nlmsg_batch_next(batch);
  char* p = mnl_nlmsg_batch_head(batch);
  size_t len = mnl_nlmsg_batch_size(batch);

  struct mnl_socket* nl = mnl_socket_open(NETLINK_NETFILTER);
  if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
    perror("kt-nft-ref: netlink socket");
    return 1;
  }
  int size = (int)len + 4096;
  setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size);
  if (mnl_socket_sendto(nl, p, len) < 0) {
    perror("kt-nft-ref: sending the batch");
    return 1;
  }
  char reply[MNL_SOCKET_BUFFER_SIZE];
  uint32_t portid = mnl_socket_get_portid(nl);
  for (;;) {
    ssize_t got = mnl_socket_recvfrom(nl, reply, sizeof reply);
    if (got < 0) {
      perror("kt-nft-ref: reading the answer");
      return 1;
    }
    int rc = mnl_cb_run(reply, (size_t)got, lastSeq, portid, NULL, NULL);
    if (rc == MNL_CB_ERROR) {
      fprintf(stderr, "kt-nft-ref: the kernel refused the batch: %s\n", strerror(errno));
      return 1;
    }
    if (rc == MNL_CB_STOP) break;
  }
  mnl_socket_close(nl);
  return 0;
}
