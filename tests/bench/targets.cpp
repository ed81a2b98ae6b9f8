#include "targets.h"

#include <cstdio>

#include "base/strings.h"

namespace kt::bench {

namespace {

const char* opText(Target::Op op) {
  switch (op) {
    case Target::Op::kAtMost:
      return "<=";
    case Target::Op::kBelow:
      return "<";
    case Target::Op::kAtLeast:
      return ">=";
  }
  return "?";
}

std::string fixed(double v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

}  // namespace

const std::vector<std::string>& defaultTargets() {
  static const std::vector<std::string> kTargets = {
      "base tproxy_nft / nft_ref <= 1.3",   // nftables install vs the minimal batch program
      "base restore / tproxy_nft >= 3",     // Kuma's restore pair vs our nftables install
      "p5000 tproxy_nft / nft_ref <= 1.3",  // 5000 ports, the same set type in both
      "n5000 tproxy_nft / nft_base <= 8",   // 5000 ports + 5000 IPs vs our default install
      "base tproxy_start / floor <= 1.5",   // `kuma-tproxy version` vs a bare process start
      "base ebpf_first <= 10",              // eBPF, first pod on the node (ms)
      "base ebpf_pod <= 3",                 // eBPF, a further pod (ms)
      "base tproxy_ipt / restore <= 1.3",   // iptables backend vs the bare restore pair
  };
  return kTargets;
}

const std::map<std::string, std::string>& defaultLabels() {
  static const std::map<std::string, std::string> kLabels = {
      {"floor", "floor"},
      {"tproxy_start", "version"},
      {"tproxy_nft", "nftables install"},
      {"nft_ref", "minimal batch program"},
      {"nft_base", "nftables install, base config"},
      {"tproxy_ipt", "iptables install"},
      {"restore", "restore pair"},
      {"ebpf_first", "eBPF first pod"},
      {"ebpf_pod", "eBPF further pod"},
  };
  return kLabels;
}

Result<Target> parseTarget(std::string_view spec) {
  auto words = splitList(spec, ' ');
  auto bad = [&] {
    return Error::config("target " + quoteForMessage(spec) +
                         ": expected GROUP METHOD [/ BASELINE] <=|<|>= LIMIT");
  };
  if (words.size() != 4 && words.size() != 6) return bad();
  Target t;
  t.group = words[0];
  t.method = words[1];
  size_t next = 2;
  if (words.size() == 6) {
    if (words[2] != "/") return bad();
    t.baseline = words[3];
    next = 4;
  }
  const std::string& op = words[next];
  if (op == "<=") {
    t.op = Target::Op::kAtMost;
  } else if (op == "<") {
    t.op = Target::Op::kBelow;
  } else if (op == ">=") {
    t.op = Target::Op::kAtLeast;
  } else {
    return bad();
  }
  try {
    size_t used = 0;
    t.limit = std::stod(words[next + 1], &used);
    if (used != words[next + 1].size()) return bad();
  } catch (const std::exception&) {
    return bad();
  }
  return t;
}

TargetResult evaluate(const Target& t, const std::map<std::string, std::vector<Sample>>& byGroup) {
  TargetResult r;
  r.target = t;
  auto it = byGroup.find(t.group);
  if (it == byGroup.end()) return r;
  const auto& samples = it->second;
  if (t.baseline.empty()) {
    std::vector<double> values;
    for (const auto& s : samples)
      if (s.method == t.method) values.push_back(s.value);
    if (values.empty()) return r;
    r.value = summarize(values).median;
  } else {
    r.value = pairedRatio(samples, t.method, t.baseline);
    if (r.value <= 0) return r;
  }
  r.measured = true;
  switch (t.op) {
    case Target::Op::kAtMost:
      r.holds = r.value <= t.limit;
      break;
    case Target::Op::kBelow:
      r.holds = r.value < t.limit;
      break;
    case Target::Op::kAtLeast:
      r.holds = r.value >= t.limit;
      break;
  }
  return r;
}

std::string formatTargets(const std::vector<TargetResult>& results,
                          const std::map<std::string, std::string>& labels) {
  auto label = [&](const std::string& m) {
    auto it = labels.find(m);
    return it == labels.end() ? m : it->second;
  };
  std::vector<std::string> what, measured, limit, verdict;
  for (const auto& r : results) {
    const Target& t = r.target;
    bool ratio = !t.baseline.empty();
    what.push_back(label(t.method) + (ratio ? " / " + label(t.baseline) : "") + " [" + t.group +
                   "]");
    measured.push_back(!r.measured ? "-"
                       : ratio     ? fixed(r.value, 2) + "x"
                                   : fixed(r.value, 2) + " ms");
    limit.push_back(std::string(opText(t.op)) + " " + fixed(t.limit, ratio ? 1 : 0) +
                    (ratio ? "x" : " ms"));
    verdict.push_back(!r.measured ? "not measured" : r.holds ? "holds" : "DOES NOT HOLD");
  }
  size_t w = 6;
  for (const auto& s : what)
    w = std::max(w, s.size());
  std::string out = "== targets ==\n";
  for (size_t i = 0; i < results.size(); ++i) {
    std::string line = what[i] + std::string(w - what[i].size(), ' ');
    std::string m = measured[i];
    line += "  " + std::string(m.size() < 10 ? 10 - m.size() : 0, ' ') + m;
    line +=
        "  target " + limit[i] + std::string(limit[i].size() < 9 ? 9 - limit[i].size() : 0, ' ');
    line += "  " + verdict[i] + "\n";
    out += line;
  }
  return out;
}

}  // namespace kt::bench
