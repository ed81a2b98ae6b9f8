#include "stats.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace kt::bench {

namespace {

double nearestRank(const std::vector<double>& sorted, double p) {
  size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string number(double v) {
  char buf[32];
  if (v >= 1000) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else if (v >= 10) {
    std::snprintf(buf, sizeof buf, "%.1f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.2f", v);
  }
  return buf;
}

std::string pad(const std::string& s, size_t width, bool left) {
  if (s.size() >= width) return s;
  std::string fill(width - s.size(), ' ');
  return left ? s + fill : fill + s;
}

}  // namespace

Summary summarize(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  Summary s;
  s.count = values.size();
  s.median = median(values);
  s.p90 = nearestRank(values, 0.9);
  s.min = values.front();
  s.max = values.back();
  return s;
}

double pairedRatio(const std::vector<Sample>& samples, const std::string& method,
                   const std::string& baseline) {
  std::map<int, double> base;
  for (const auto& s : samples)
    if (s.method == baseline) base[s.round] = s.value;
  std::vector<double> ratios;
  for (const auto& s : samples) {
    auto it = base.find(s.round);
    if (s.method == method && it != base.end() && it->second > 0) {
      ratios.push_back(s.value / it->second);
    }
  }
  return ratios.empty() ? 0 : median(ratios);
}

std::string formatTable(const std::vector<Sample>& samples, const TableOptions& opt,
                        const std::map<std::string, std::string>& labels) {
  std::vector<std::string> methods;
  std::map<std::string, std::vector<double>> values;
  for (const auto& s : samples) {
    if (!values.count(s.method)) methods.push_back(s.method);
    values[s.method].push_back(s.value);
  }
  auto label = [&](const std::string& m) {
    auto it = labels.find(m);
    return it == labels.end() ? m : it->second;
  };
  size_t nameWidth = 6;
  for (const auto& m : methods)
    nameWidth = std::max(nameWidth, label(m).size());

  std::vector<std::string> header = {"median " + opt.unit};
  if (opt.withP90) header.push_back("p90 " + opt.unit);
  header.push_back("min-max");
  for (const auto& b : opt.baselines)
    header.push_back("x " + b);
  std::vector<size_t> widths;
  for (const auto& h : header)
    widths.push_back(std::max<size_t>(h.size(), 11));

  std::string out = "== " + opt.title + " ==\n" + pad("method", nameWidth, true);
  for (size_t i = 0; i < header.size(); ++i)
    out += "  " + pad(header[i], widths[i], false);
  out += "\n";
  for (const auto& m : methods) {
    Summary s = summarize(values[m]);
    std::vector<std::string> cells = {number(s.median)};
    if (opt.withP90) cells.push_back(number(s.p90));
    cells.push_back(number(s.min) + "-" + number(s.max));
    for (const auto& b : opt.baselines) {
      double r = pairedRatio(samples, m, b);
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.2f", r);
      cells.push_back(r > 0 ? buf : "-");
    }
    out += pad(label(m), nameWidth, true);
    for (size_t i = 0; i < cells.size(); ++i)
      out += "  " + pad(cells[i], widths[i], false);
    out += "\n";
  }
  size_t n = methods.empty() ? 0 : values[methods.front()].size();
  out += "(" + std::to_string(n) + " samples per method; ratios are medians of per-round ratios)\n";
  return out;
}

}  // namespace kt::bench
