#include "backend/nftables/nft_installer.h"

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <chrono>
#include <map>
#include <optional>

#include <spdlog/spdlog.h>

#include "backend/nftables/nft_canonical.h"
#include "backend/nftables/nft_netlink.h"
#include "backend/nftables/nft_objects.h"

namespace kt::backend::nftables {

namespace {

using rules::NftPlan;

struct TableState {
  uint32_t use = 0;  // chains + sets + stateful objects + flowtables
  uint32_t flags = 0;
  uint32_t owner = 0;  // netlink port id of the owning socket (NFT_TABLE_F_OWNER), else 0
};

// The kernel lets only the owning socket change a table created with NFT_TABLE_F_OWNER (firewall
// daemons create theirs so, and the table goes away when they exit). Its refusal, EPERM, would
// otherwise read like a missing privilege.
std::optional<Error> ownedTableError(const Error& e, const std::string& table,
                                     const TableState& st) {
  if (!(st.flags & NFT_TABLE_F_OWNER) || e.errnum() != EPERM) return std::nullopt;
  return Error(ErrorKind::kRuntime,
               "table inet " + table + " is owned by another program (netlink port id " +
                   std::to_string(st.owner) +
                   "), and the kernel lets only that program change it: " + e.message())
      .hint(
          "stop the program that created the table (a netlink port id is usually its pid) or "
          "have it delete the table; nothing was changed");
}

// One GET: the table, or nullopt when it does not exist.
Result<std::optional<TableState>> getTable(NftSocket& sock, const std::string& name) {
  auto ref = tableRef(name);
  if (!ref) return Error::runtime("out of memory");
  std::optional<TableState> found;
  auto s = sock.request(
      NFT_MSG_GETTABLE, NLM_F_ACK,
      [&](nlmsghdr* nlh) { nftnl_table_nlmsg_build_payload(nlh, ref.get()); },
      [&](const nlmsghdr* nlh) {
        TablePtr t(nftnl_table_alloc());
        if (!t || nftnl_table_nlmsg_parse(nlh, t.get()) < 0) return MNL_CB_ERROR;
        found = TableState{nftnl_table_get_u32(t.get(), NFTNL_TABLE_USE),
                           nftnl_table_get_u32(t.get(), NFTNL_TABLE_FLAGS),
                           nftnl_table_is_set(t.get(), NFTNL_TABLE_OWNER)
                               ? nftnl_table_get_u32(t.get(), NFTNL_TABLE_OWNER)
                               : 0};
        return MNL_CB_OK;
      });
  if (!s) {
    if (s.error().errnum() == ENOENT) return std::optional<TableState>{};
    return std::move(s).takeError().context("looking up table inet " + name);
  }
  return found;
}

Result<std::vector<ChainPtr>> dumpChains(NftSocket& sock, const std::string& table) {
  std::vector<ChainPtr> out;
  auto s = sock.request(
      NFT_MSG_GETCHAIN, NLM_F_DUMP, [](nlmsghdr*) {},
      [&](const nlmsghdr* nlh) {
        ChainPtr c(nftnl_chain_alloc());
        if (!c || nftnl_chain_nlmsg_parse(nlh, c.get()) < 0) return MNL_CB_ERROR;
        const char* t = nftnl_chain_get_str(c.get(), NFTNL_CHAIN_TABLE);
        if (t && table == t) out.push_back(std::move(c));
        return MNL_CB_OK;
      });
  if (!s) return std::move(s).takeError().context("listing the chains of table inet " + table);
  return out;
}

Result<std::vector<SetPtr>> dumpSets(NftSocket& sock, const std::string& table) {
  std::vector<SetPtr> out;
  SetPtr filter(nftnl_set_alloc());
  if (!filter) return Error::runtime("out of memory");
  nftnl_set_set_str(filter.get(), NFTNL_SET_TABLE, table.c_str());
  auto s = sock.request(
      NFT_MSG_GETSET, NLM_F_DUMP,
      [&](nlmsghdr* nlh) { nftnl_set_nlmsg_build_payload(nlh, filter.get()); },
      [&](const nlmsghdr* nlh) {
        SetPtr set(nftnl_set_alloc());
        if (!set || nftnl_set_nlmsg_parse(nlh, set.get()) < 0) return MNL_CB_ERROR;
        const char* t = nftnl_set_get_str(set.get(), NFTNL_SET_TABLE);
        if (t && table == t) out.push_back(std::move(set));
        return MNL_CB_OK;
      });
  if (!s) return std::move(s).takeError().context("listing the sets of table inet " + table);
  return out;
}

// Adds the set's elements to `set` (which names table and set).
Status dumpElements(NftSocket& sock, nftnl_set* set) {
  std::string name = nftnl_set_get_str(set, NFTNL_SET_NAME);
  auto s = sock.request(
      NFT_MSG_GETSETELEM, NLM_F_DUMP,
      [&](nlmsghdr* nlh) { nftnl_set_elems_nlmsg_build_payload(nlh, set); },
      [&](const nlmsghdr* nlh) {
        return nftnl_set_elems_nlmsg_parse(nlh, set) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
      });
  if (!s) return std::move(s).takeError().context("listing the elements of set " + name);
  return {};
}

Result<std::vector<RulePtr>> dumpRules(NftSocket& sock, const std::string& table) {
  std::vector<RulePtr> out;
  RulePtr filter(nftnl_rule_alloc());
  if (!filter) return Error::runtime("out of memory");
  nftnl_rule_set_str(filter.get(), NFTNL_RULE_TABLE, table.c_str());
  nftnl_rule_set_u32(filter.get(), NFTNL_RULE_FAMILY, NFPROTO_INET);
  auto s = sock.request(
      NFT_MSG_GETRULE, NLM_F_DUMP,
      [&](nlmsghdr* nlh) { nftnl_rule_nlmsg_build_payload(nlh, filter.get()); },
      [&](const nlmsghdr* nlh) {
        RulePtr r(nftnl_rule_alloc());
        if (!r || nftnl_rule_nlmsg_parse(nlh, r.get()) < 0) return MNL_CB_ERROR;
        const char* t = nftnl_rule_get_str(r.get(), NFTNL_RULE_TABLE);
        if (t && table == t) out.push_back(std::move(r));
        return MNL_CB_OK;
      });
  if (!s) return std::move(s).takeError().context("listing the rules of table inet " + table);
  return out;
}

// Everything of an existing table, as the kernel dumps it.
struct Existing {
  TableState state;
  std::vector<ChainPtr> chains;  // in the table's order
  std::vector<SetPtr> sets;      // named sets with their elements; anonymous sets left out
  size_t anonymousSets = 0;
  std::vector<RulePtr> rules;
};

Result<std::optional<Existing>> readTable(NftSocket& sock, const std::string& table) {
  KT_ASSIGN_OR_RETURN(auto state, getTable(sock, table));
  if (!state) return std::optional<Existing>{};
  Existing e;
  e.state = *state;
  KT_ASSIGN_OR_RETURN(e.chains, dumpChains(sock, table));
  KT_ASSIGN_OR_RETURN(auto sets, dumpSets(sock, table));
  for (auto& set : sets) {
    if (nftnl_set_get_u32(set.get(), NFTNL_SET_FLAGS) & NFT_SET_ANONYMOUS) {
      ++e.anonymousSets;
      continue;
    }
    KT_TRY(dumpElements(sock, set.get()));
    e.sets.push_back(std::move(set));
  }
  KT_ASSIGN_OR_RETURN(e.rules, dumpRules(sock, table));
  return std::optional<Existing>(std::move(e));
}

CanonicalTable canonicalOf(const NftObjects& objs) {
  CanonicalTable t;
  t.present = true;
  for (const auto& c : objs.chains)
    addChain(t, c.get());
  for (const auto& s : objs.sets) {
    addSet(t, s.set.get());
    for (const auto& chunk : s.elementChunks)
      addSetElements(t, s.name, chunk.get());
  }
  for (const auto& r : objs.rules)
    addRule(t, r.rule.get(), r.text());
  finishSets(t);
  return t;
}

CanonicalTable canonicalOf(const std::optional<Existing>& e) {
  CanonicalTable t;
  t.present = e.has_value();
  if (!e) return t;
  for (const auto& c : e->chains)
    addChain(t, c.get());
  for (const auto& s : e->sets) {
    addSet(t, s.get());
    addSetElements(t, nftnl_set_get_str(s.get(), NFTNL_SET_NAME), s.get());
  }
  for (const auto& r : e->rules)
    addRule(t, r.get());
  finishSets(t);
  return t;
}

// The table holds nothing but chains and sets (no stateful objects or flowtables someone
// added), so flushing and refilling it, or leaving it alone, accounts for everything.
bool onlyChainsAndSets(const Existing& e) {
  return e.state.use == e.chains.size() + e.sets.size() + e.anonymousSets;
}

std::string tableName(const NftPlan& plan) {
  return "table inet " + plan.table;
}

// The chains, sets, elements and rules of the plan, in the order nft sends them: chains
// first (rules jump to them), then sets with their elements, then rules.
void addContents(Batch& b, const NftPlan& plan, const NftObjects& objs,
                 const std::map<std::string, bool>& keptChains) {
  for (size_t i = 0; i < plan.chains.size(); ++i) {
    const auto& name = plan.chains[i].name;
    bool kept = keptChains.count(name) && keptChains.at(name);
    // A kept chain is re-sent without NLM_F_EXCL: that updates it (its policy) in place.
    uint16_t flags = NLM_F_CREATE | (kept ? 0 : NLM_F_EXCL);
    nftnl_chain* c = objs.chains[i].get();
    b.add(
        NFT_MSG_NEWCHAIN, flags, [&name] { return "chain " + name; },
        [c](nlmsghdr* nlh) { nftnl_chain_nlmsg_build_payload(nlh, c); });
  }
  for (const auto& s : objs.sets) {
    nftnl_set* def = s.set.get();
    b.add(
        NFT_MSG_NEWSET, NLM_F_CREATE | NLM_F_EXCL,
        [&s] { return "set " + s.name + " (" + std::to_string(s.elementCount) + " elements)"; },
        [def](nlmsghdr* nlh) { nftnl_set_nlmsg_build_payload(nlh, def); });
    for (size_t k = 0; k < s.elementChunks.size(); ++k) {
      nftnl_set* chunk = s.elementChunks[k].get();
      auto what = [&s, k] {
        std::string w = "the elements of set " + s.name;
        if (s.elementChunks.size() > 1) {
          w += " (part " + std::to_string(k + 1) + " of " + std::to_string(s.elementChunks.size()) +
               ")";
        }
        return w;
      };
      b.add(NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_EXCL, what,
            [chunk](nlmsghdr* nlh) { nftnl_set_elems_nlmsg_build_payload(nlh, chunk); });
    }
  }
  for (const auto& r : objs.rules) {
    nftnl_rule* rule = r.rule.get();
    auto what = [&r] {
      return "rule " + std::to_string(r.index + 1) + " of chain " + r.chain + " (" + r.tag() +
             ": " + r.text() + ")";
    };
    b.add(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, what,
          [rule](nlmsghdr* nlh) { nftnl_rule_nlmsg_build_payload(nlh, rule); });
  }
}

void addNewTable(Batch& b, const NftPlan& plan, const NftObjects& objs, bool exclusive) {
  nftnl_table* t = objs.table.get();
  b.add(
      NFT_MSG_NEWTABLE, NLM_F_CREATE | (exclusive ? NLM_F_EXCL : 0),
      [&plan] { return tableName(plan); },
      [t](nlmsghdr* nlh) { nftnl_table_nlmsg_build_payload(nlh, t); });
}

void addDeleteTable(Batch& b, const std::string& table, const TablePtr& ref) {
  nftnl_table* t = ref.get();
  b.add(
      NFT_MSG_DELTABLE, 0, [table] { return "table inet " + table; },
      [t](nlmsghdr* nlh) { nftnl_table_nlmsg_build_payload(nlh, t); });
}

bool sameDefinition(const nftnl_chain* existing, const rules::NftChain& planned) {
  bool isBase = nftnl_chain_is_set(existing, NFTNL_CHAIN_HOOKNUM);
  if (!planned.base) return !isBase;
  if (!isBase) return false;
  const char* type = nftnl_chain_get_str(existing, NFTNL_CHAIN_TYPE);
  std::string want = planned.base->type == rules::NftChainType::kNat ? "nat" : "filter";
  uint32_t hook =
      planned.base->hook == rules::NftHook::kPrerouting ? NF_INET_PRE_ROUTING : NF_INET_LOCAL_OUT;
  return type && want == type && nftnl_chain_get_u32(existing, NFTNL_CHAIN_HOOKNUM) == hook &&
         nftnl_chain_get_s32(existing, NFTNL_CHAIN_PRIO) == planned.base->priority;
}

// Fills `b` with the replacement of an existing table by flushing it: rules flushed, sets
// deleted and re-created, chains kept where possible.
void addFlushAndRefill(Batch& b, const NftPlan& plan, const NftObjects& objs,
                       const Existing& existing) {
  const auto& chains = existing.chains;
  // Flush every rule of the table: this releases the sets and chains they refer to.
  RulePtr flush(nftnl_rule_alloc());
  nftnl_rule_set_str(flush.get(), NFTNL_RULE_TABLE, plan.table.c_str());
  nftnl_rule_set_u32(flush.get(), NFTNL_RULE_FAMILY, NFPROTO_INET);
  b.add(
      NFT_MSG_DELRULE, 0, [table = plan.table] { return "the rules of table inet " + table; },
      [&](nlmsghdr* nlh) { nftnl_rule_nlmsg_build_payload(nlh, flush.get()); });
  // Anonymous sets (not listed) belong to the rules just flushed and go away with them.
  for (const auto& s : existing.sets) {
    nftnl_set* set = s.get();
    b.add(
        NFT_MSG_DELSET, 0,
        [name = std::string(nftnl_set_get_str(set, NFTNL_SET_NAME))] { return "old set " + name; },
        [set](nlmsghdr* nlh) { nftnl_set_nlmsg_build_payload(nlh, set); });
  }
  // The table lists chains in creation order (and `nft list` prints them so). Keep existing
  // chains only as long as they are the plan's first chains, in order and with the same
  // definition, so the result is the table a fresh install creates; re-create the others. In
  // the usual re-run every chain is kept and no base chain is unhooked.
  std::map<std::string, bool> kept;
  size_t keep = 0;
  while (keep < chains.size() && keep < plan.chains.size() &&
         plan.chains[keep].name == nftnl_chain_get_str(chains[keep].get(), NFTNL_CHAIN_NAME) &&
         sameDefinition(chains[keep].get(), plan.chains[keep])) {
    kept[plan.chains[keep].name] = true;
    ++keep;
  }
  for (size_t i = keep; i < chains.size(); ++i) {
    std::string name = nftnl_chain_get_str(chains[i].get(), NFTNL_CHAIN_NAME);
    ChainPtr ref(nftnl_chain_alloc());
    nftnl_chain_set_str(ref.get(), NFTNL_CHAIN_TABLE, plan.table.c_str());
    nftnl_chain_set_str(ref.get(), NFTNL_CHAIN_NAME, name.c_str());
    nftnl_chain* raw = ref.get();
    b.add(
        NFT_MSG_DELCHAIN, 0, [name] { return "old chain " + name; },
        [raw](nlmsghdr* nlh) { nftnl_chain_nlmsg_build_payload(nlh, raw); });
  }
  addNewTable(b, plan, objs, false);
  addContents(b, plan, objs, kept);
}

const char* strategyName(ReplaceStrategy s) {
  return s == ReplaceStrategy::kFlushAndRefill ? "flush and refill" : "delete and re-create";
}

}  // namespace

Result<InstallReport> installPlan(const NftPlan& plan, const InstallOptions& opt) {
  auto start = std::chrono::steady_clock::now();
  KT_ASSIGN_OR_RETURN(auto objs, buildObjects(plan));
  KT_ASSIGN_OR_RETURN(auto sock, NftSocket::open());

  // Two attempts: the table may appear between our look-up and the batch (another run in the
  // same namespace); the exclusive create then fails and the second attempt replaces it.
  for (int attempt = 0;; ++attempt) {
    KT_ASSIGN_OR_RETURN(auto existing, readTable(sock, plan.table));
    InstallReport report;
    report.replaced = existing.has_value();
    report.strategy = opt.replace;
    if (existing && existing->state.flags == 0 && onlyChainsAndSets(*existing) &&
        diffTables(plan.table, canonicalOf(objs), canonicalOf(existing)).empty()) {
      // A re-run with the same configuration. Replacing would cost more than the batch: the
      // kernel frees what a transaction deleted after an RCU grace period, and the next close
      // of a netfilter netlink socket (ours, at exit) waits for that.
      report.unchanged = true;
      spdlog::debug("table inet {} is already up to date", plan.table);
      return report;
    }
    Batch batch(sock.nextSeq());
    auto ref = tableRef(plan.table);
    if (!ref) return Error::runtime("out of memory");
    if (!existing) {
      addNewTable(batch, plan, objs, true);
      addContents(batch, plan, objs, {});
    } else if (opt.replace == ReplaceStrategy::kFlushAndRefill && onlyChainsAndSets(*existing)) {
      addFlushAndRefill(batch, plan, objs, *existing);
    } else {
      report.strategy = ReplaceStrategy::kDeleteTable;
      addDeleteTable(batch, plan.table, ref);
      addNewTable(batch, plan, objs, true);
      addContents(batch, plan, objs, {});
    }
    batch.finish();
    report.messages = batch.messageCount();
    report.bytes = batch.size();
    auto s = sock.commit(batch);
    if (!s) {
      if (!existing && attempt == 0 && s.error().errnum() == EEXIST) {
        KT_ASSIGN_OR_RETURN(auto now, getTable(sock, plan.table));
        if (now) {
          spdlog::debug("table inet {} appeared meanwhile; replacing it", plan.table);
          continue;
        }
      }
      if (existing) {
        if (auto owned = ownedTableError(s.error(), plan.table, existing->state)) {
          return std::move(*owned).context("installing table inet " + plan.table);
        }
      }
      return std::move(s).takeError().context("installing table inet " + plan.table);
    }
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::steady_clock::now() - start)
                  .count();
    spdlog::debug("table inet {} {} in one batch: {} messages, {} bytes, {} us{}", plan.table,
                  report.replaced ? "replaced" : "created", report.messages, report.bytes, us,
                  report.replaced ? std::string(" (") + strategyName(report.strategy) + ")" : "");
    return report;
  }
}

Result<std::vector<std::string>> verifyPlan(const NftPlan& plan) {
  KT_ASSIGN_OR_RETURN(auto objs, buildObjects(plan));
  KT_ASSIGN_OR_RETURN(auto sock, NftSocket::open());
  KT_ASSIGN_OR_RETURN(auto existing, readTable(sock, plan.table));
  auto diffs = diffTables(plan.table, canonicalOf(objs), canonicalOf(existing));
  if (existing && existing->state.flags != 0) {
    const TableState& st = existing->state;
    std::vector<std::string> why;
    if (st.flags & NFT_TABLE_F_DORMANT) why.emplace_back("dormant: its chains do not see packets");
    if (st.flags & NFT_TABLE_F_OWNER) {
      why.push_back("owned by netlink port " + std::to_string(st.owner) +
                    ": only that program can change it");
    }
    std::string text;
    for (const auto& w : why)
      text += (text.empty() ? "" : "; ") + w;
    diffs.push_back("+ unexpected: table flags " + std::to_string(st.flags) +
                    (text.empty() ? "" : " (" + text + ")"));
  }
  return diffs;
}

Result<bool> tableExists(const std::string& table) {
  KT_ASSIGN_OR_RETURN(auto sock, NftSocket::open());
  KT_ASSIGN_OR_RETURN(auto state, getTable(sock, table));
  return state.has_value();
}

Result<bool> removeTable(const std::string& table) {
  KT_ASSIGN_OR_RETURN(auto sock, NftSocket::open());
  KT_ASSIGN_OR_RETURN(auto state, getTable(sock, table));
  if (!state) return false;
  Batch batch(sock.nextSeq());
  auto ref = tableRef(table);
  if (!ref) return Error::runtime("out of memory");
  addDeleteTable(batch, table, ref);
  batch.finish();
  auto s = sock.commit(batch);
  if (!s) {
    if (s.error().errnum() == ENOENT) return false;  // removed meanwhile
    if (auto owned = ownedTableError(s.error(), table, *state)) {
      return std::move(*owned).context("removing table inet " + table);
    }
    return std::move(s).takeError().context("removing table inet " + table);
  }
  return true;
}

bool nftablesAvailable() {
  auto sock = NftSocket::open();
  return sock.ok();
}

}  // namespace kt::backend::nftables
