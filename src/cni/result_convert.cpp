#include "cni/result_convert.h"

#include <initializer_list>

#include "base/net.h"
#include "base/strings.h"
#include "cni/spec.h"

namespace kt::cni {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

struct Converter {
  bool toPreOne = false;  // target 0.x: ips carry "version"
  bool toOneOne = false;  // target 1.1.0: extra interface and route fields

  // Copies the listed members of `in` that are present, checking their JSON type.
  Status copy(const json& in, ordered_json& out, const std::string& where,
              std::initializer_list<std::pair<const char*, json::value_t>> keys) const {
    for (auto [key, type] : keys) {
      auto it = in.find(key);
      if (it == in.end() || it->is_null()) continue;
      // "Unsigned" means a non-negative integer, however the parser stored it.
      bool ok = type == json::value_t::number_unsigned
                    ? it->is_number_integer() && (it->is_number_unsigned() || *it >= 0)
                    : it->type() == type;
      if (!ok) return Error::config(where + "." + key + " has the wrong type");
      out[key] = *it;
    }
    return okStatus();
  }

  Result<ordered_json> interface(const json& in, const std::string& where) const {
    if (!in.is_object()) return Error::config(where + " is not an object");
    ordered_json out = ordered_json::object();
    KT_TRY(copy(in, out, where,
                {{"name", json::value_t::string},
                 {"mac", json::value_t::string},
                 {"sandbox", json::value_t::string}}));
    if (toOneOne) {
      KT_TRY(copy(in, out, where,
                  {{"mtu", json::value_t::number_unsigned},
                   {"socketPath", json::value_t::string},
                   {"pciID", json::value_t::string}}));
    }
    if (!out.contains("name")) return Error::config(where + " has no name");
    return out;
  }

  Result<ordered_json> ip(const json& in, const std::string& where) const {
    if (!in.is_object()) return Error::config(where + " is not an object");
    auto addr = in.find("address");
    if (addr == in.end() || !addr->is_string()) {
      return Error::config(where + ".address is missing or not a string");
    }
    auto cidrText = addr->get<std::string>();
    auto slash = cidrText.find('/');
    auto ipPart = IpAddress::parse(std::string_view(cidrText).substr(0, slash));
    if (slash == std::string::npos || !ipPart.ok() || !Cidr::parse(cidrText).ok()) {
      return Error::config(where + ".address " + quoteForMessage(cidrText) +
                           " is not an address with a prefix length");
    }
    std::string family = ipPart->family == Family::kV4 ? "4" : "6";
    if (auto v = in.find("version"); v != in.end() && !v->is_null()) {
      if (!v->is_string() || (v->get<std::string>() != "4" && v->get<std::string>() != "6")) {
        return Error::config(where + ".version must be \"4\" or \"6\"");
      }
      if (v->get<std::string>() != family) {
        return Error::config(where + ".version does not match address " +
                             quoteForMessage(cidrText));
      }
    }
    ordered_json out = ordered_json::object();
    if (toPreOne) out["version"] = family;
    out["address"] = cidrText;
    KT_TRY(
        copy(in, out, where,
             {{"gateway", json::value_t::string}, {"interface", json::value_t::number_unsigned}}));
    return out;
  }

  Result<ordered_json> route(const json& in, const std::string& where) const {
    if (!in.is_object()) return Error::config(where + " is not an object");
    ordered_json out = ordered_json::object();
    KT_TRY(copy(in, out, where, {{"dst", json::value_t::string}, {"gw", json::value_t::string}}));
    if (toOneOne) {
      KT_TRY(copy(in, out, where,
                  {{"mtu", json::value_t::number_unsigned},
                   {"advmss", json::value_t::number_unsigned},
                   {"priority", json::value_t::number_unsigned},
                   {"table", json::value_t::number_unsigned},
                   {"scope", json::value_t::number_unsigned}}));
    }
    if (!out.contains("dst")) return Error::config(where + " has no dst");
    return out;
  }

  Result<ordered_json> dns(const json& in) const {
    if (!in.is_object()) return Error::config("dns is not an object");
    ordered_json out = ordered_json::object();
    KT_TRY(copy(in, out, "dns",
                {{"nameservers", json::value_t::array},
                 {"domain", json::value_t::string},
                 {"search", json::value_t::array},
                 {"options", json::value_t::array}}));
    for (const char* list : {"nameservers", "search", "options"}) {
      if (!out.contains(list)) continue;
      for (const auto& item : out[list])
        if (!item.is_string())
          return Error::config(std::string("dns.") + list + " has non-strings");
    }
    return out;
  }

  template <class Fn>
  Status list(const json& in, ordered_json& out, const char* key, Fn&& convertOne) const {
    auto it = in.find(key);
    if (it == in.end() || it->is_null()) return okStatus();
    if (!it->is_array()) return Error::config(std::string(key) + " is not a list");
    ordered_json items = ordered_json::array();
    for (size_t i = 0; i < it->size(); ++i) {
      KT_ASSIGN_OR_RETURN(auto item,
                          convertOne((*it)[i], std::string(key) + "[" + std::to_string(i) + "]"));
      items.push_back(std::move(item));
    }
    out[key] = std::move(items);
    return okStatus();
  }
};

}  // namespace

Result<ordered_json> convertResult(const json& result, std::string_view toVersion) {
  if (!result.is_object()) return Error::config("prevResult: not an object");
  if (auto v = result.find("cniVersion"); v != result.end() && !v->is_null()) {
    if (!v->is_string() || !isSupportedVersion(v->get<std::string>())) {
      return Error::config("prevResult: cniVersion " +
                           quoteForMessage(v->is_string() ? v->get<std::string>() : v->dump()) +
                           " cannot be converted (supported: " + join(supportedVersions(), ", ") +
                           ")");
    }
  }
  if (result.contains("ip4") || result.contains("ip6")) {
    return Error::config("prevResult: a 0.2.0 result (ip4/ip6) cannot be converted");
  }
  Converter c;
  c.toPreOne = isPreOneZero(toVersion);
  c.toOneOne = toVersion == "1.1.0";
  ordered_json out = ordered_json::object();
  out["cniVersion"] = std::string(toVersion);
  auto fail = [](Error e) { return std::move(e).context("prevResult"); };
  if (auto s = c.list(result, out, "interfaces",
                      [&](const json& j, const std::string& w) { return c.interface(j, w); });
      !s) {
    return fail(std::move(s).takeError());
  }
  if (auto s = c.list(result, out, "ips",
                      [&](const json& j, const std::string& w) { return c.ip(j, w); });
      !s) {
    return fail(std::move(s).takeError());
  }
  if (auto s = c.list(result, out, "routes",
                      [&](const json& j, const std::string& w) { return c.route(j, w); });
      !s) {
    return fail(std::move(s).takeError());
  }
  if (auto it = result.find("dns"); it != result.end() && !it->is_null()) {
    auto d = c.dns(*it);
    if (!d) return fail(std::move(d).takeError());
    out["dns"] = std::move(*d);
  } else {
    out["dns"] = ordered_json::object();
  }
  return out;
}

std::optional<IpAddress> podAddress(const json& result) {
  auto ips = result.find("ips");
  if (ips == result.end() || !ips->is_array()) return std::nullopt;
  const json* interfaces = nullptr;
  if (auto it = result.find("interfaces"); it != result.end() && it->is_array()) interfaces = &*it;
  auto inSandbox = [&](const json& ip) {
    auto idx = ip.find("interface");
    if (!interfaces || idx == ip.end() || !idx->is_number_unsigned()) return false;
    auto i = idx->get<size_t>();
    if (i >= interfaces->size()) return false;
    const json& iface = (*interfaces)[i];
    auto sandbox = iface.is_object() ? iface.find("sandbox") : iface.end();
    return sandbox != iface.end() && sandbox->is_string() && !sandbox->get<std::string>().empty();
  };
  std::optional<IpAddress> best;
  int bestRank = 99;
  for (const auto& ip : *ips) {
    if (!ip.is_object() || !ip.contains("address") || !ip["address"].is_string()) continue;
    std::string cidr = ip["address"];
    auto addr = IpAddress::parse(std::string_view(cidr).substr(0, cidr.find('/')));
    if (!addr) continue;
    // Rank: sandbox IPv4 < sandbox IPv6 < other IPv4 < other IPv6.
    int rank = (inSandbox(ip) ? 0 : 2) + (addr->family == Family::kV4 ? 0 : 1);
    if (rank < bestRank) {
      bestRank = rank;
      best = *addr;
    }
  }
  return best;
}

ordered_json emptyResult(std::string_view version) {
  ordered_json out = ordered_json::object();
  out["cniVersion"] = std::string(version);
  out["dns"] = ordered_json::object();
  return out;
}

}  // namespace kt::cni
