// Statistics for the benchmark tables: medians and p90 of samples, and paired ratios (per round,
// then the median of the per-round ratios, so that drift between rounds cancels out).
#pragma once

#include <map>
#include <string>
#include <vector>

namespace kt::bench {

// One measurement: `method` measured in round `round`.
struct Sample {
  std::string method;
  int round = 0;
  double value = 0;
};

struct Summary {
  double median = 0, p90 = 0, min = 0, max = 0;
  size_t count = 0;
};

// Nearest-rank percentiles of `values` (must not be empty).
Summary summarize(std::vector<double> values);

// Median over rounds of value(method) / value(baseline), using rounds where both were measured.
// 0 when there is no such round.
double pairedRatio(const std::vector<Sample>& samples, const std::string& method,
                   const std::string& baseline);

struct TableOptions {
  std::string title;
  std::string unit;                    // "ms", "conn/s", "Gbit/s"
  std::vector<std::string> baselines;  // one ratio column per baseline method: "x <name>"
  bool withP90 = true;
};

// A fixed-width table, one row per method in first-appearance order:
// method | median | p90 | min-max | x baseline... `labels` maps method names to the display names
// of the rows; ratio columns are headed by the baseline's method name.
std::string formatTable(const std::vector<Sample>& samples, const TableOptions& opt,
                        const std::map<std::string, std::string>& labels = {});

}  // namespace kt::bench
