#include "tool/dns_wire.h"

#include <cstring>

#include "base/strings.h"

namespace kt::e2e::dns {

namespace {

constexpr size_t kHeaderSize = 12;
constexpr uint16_t kFlagResponse = 0x8000;
constexpr uint16_t kFlagRecursionDesired = 0x0100;
constexpr uint16_t kFlagRecursionAvailable = 0x0080;

void put16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v & 0xff));
}

uint16_t get16(std::span<const uint8_t> m, size_t at) {
  return static_cast<uint16_t>((m[at] << 8) | m[at + 1]);
}

Status putName(std::vector<uint8_t>& out, std::string_view name) {
  if (name.empty() || name.size() > 253) {
    return Error::config("DNS name " + quoteForMessage(name) + " must have 1..253 bytes");
  }
  for (auto label : split(name, '.')) {
    if (label.empty() || label.size() > 63) {
      return Error::config("DNS name " + quoteForMessage(name) + " has a label of " +
                           std::to_string(label.size()) + " bytes (1..63 allowed)");
    }
    out.push_back(static_cast<uint8_t>(label.size()));
    out.insert(out.end(), label.begin(), label.end());
  }
  out.push_back(0);
  return okStatus();
}

// Reads an uncompressed name starting at `at`; returns the offset just after it.
Result<size_t> readName(std::span<const uint8_t> m, size_t at, std::string* name) {
  std::string n;
  while (true) {
    if (at >= m.size()) return Error::runtime("DNS name runs past the end of the message");
    uint8_t len = m[at];
    if (len == 0) break;
    if (len & 0xc0) return Error::runtime("compressed or extended DNS label in a question");
    if (at + 1 + len > m.size()) return Error::runtime("DNS label runs past the end");
    if (!n.empty()) n += '.';
    n.append(reinterpret_cast<const char*>(&m[at + 1]), len);
    at += 1 + len;
  }
  if (name) *name = std::move(n);
  return at + 1;
}

// Skips a possibly compressed name in a resource record.
Result<size_t> skipName(std::span<const uint8_t> m, size_t at) {
  while (true) {
    if (at >= m.size()) return Error::runtime("DNS name runs past the end of the message");
    uint8_t len = m[at];
    if (len == 0) return at + 1;
    if ((len & 0xc0) == 0xc0) {
      if (at + 2 > m.size()) return Error::runtime("truncated DNS name pointer");
      return at + 2;
    }
    if (len & 0xc0) return Error::runtime("unsupported DNS label type");
    at += 1 + len;
  }
}

}  // namespace

Result<std::vector<uint8_t>> buildQuery(const Question& q) {
  std::vector<uint8_t> out;
  put16(out, q.id);
  put16(out, kFlagRecursionDesired);
  put16(out, 1);  // QDCOUNT
  put16(out, 0);  // ANCOUNT
  put16(out, 0);  // NSCOUNT
  put16(out, 0);  // ARCOUNT
  KT_TRY(putName(out, q.name));
  put16(out, q.qtype);
  put16(out, q.qclass);
  return out;
}

Result<Question> parseQuery(std::span<const uint8_t> m) {
  if (m.size() < kHeaderSize) return Error::runtime("DNS message shorter than its header");
  Question q;
  q.id = get16(m, 0);
  if (get16(m, 2) & kFlagResponse) return Error::runtime("DNS message is a response, not a query");
  if (get16(m, 4) != 1) return Error::runtime("DNS query does not have exactly one question");
  KT_ASSIGN_OR_RETURN(size_t at, readName(m, kHeaderSize, &q.name));
  if (at + 4 > m.size()) return Error::runtime("DNS question truncated");
  q.qtype = get16(m, at);
  q.qclass = get16(m, at + 2);
  return q;
}

std::vector<uint8_t> buildResponse(const Question& q, const std::optional<IpAddress>& a,
                                   const std::optional<IpAddress>& aaaa) {
  const IpAddress* answer = nullptr;
  if (q.qtype == kTypeA && a && a->family == Family::kV4) answer = &*a;
  if (q.qtype == kTypeAaaa && aaaa && aaaa->family == Family::kV6) answer = &*aaaa;

  std::vector<uint8_t> out;
  put16(out, q.id);
  put16(out, kFlagResponse | kFlagRecursionDesired | kFlagRecursionAvailable);
  put16(out, 1);
  put16(out, answer ? 1 : 0);
  put16(out, 0);
  put16(out, 0);
  // The name came out of parseQuery, so it is valid again here.
  Status ignored = putName(out, q.name);
  (void)ignored;
  put16(out, q.qtype);
  put16(out, q.qclass);
  if (answer) {
    put16(out, 0xc000 | kHeaderSize);  // pointer to the question's name
    put16(out, q.qtype);
    put16(out, q.qclass);
    put16(out, 0);
    put16(out, 60);  // TTL
    put16(out, static_cast<uint16_t>(answer->size()));
    out.insert(out.end(), answer->bytes.begin(), answer->bytes.begin() + answer->size());
  }
  return out;
}

Result<std::optional<IpAddress>> parseResponse(std::span<const uint8_t> m, uint16_t expectedId) {
  if (m.size() < kHeaderSize) return Error::runtime("DNS response shorter than its header");
  if (get16(m, 0) != expectedId) {
    return Error::runtime("DNS response id " + std::to_string(get16(m, 0)) + " does not match " +
                          std::to_string(expectedId));
  }
  uint16_t flags = get16(m, 2);
  if (!(flags & kFlagResponse)) return Error::runtime("DNS message is not a response");
  if ((flags & 0x000f) != 0) {
    return Error::runtime("DNS response code " + std::to_string(flags & 0x000f));
  }
  uint16_t qd = get16(m, 4), an = get16(m, 6);
  size_t at = kHeaderSize;
  for (uint16_t i = 0; i < qd; ++i) {
    KT_ASSIGN_OR_RETURN(at, skipName(m, at));
    at += 4;
  }
  for (uint16_t i = 0; i < an; ++i) {
    KT_ASSIGN_OR_RETURN(at, skipName(m, at));
    if (at + 10 > m.size()) return Error::runtime("DNS resource record truncated");
    uint16_t type = get16(m, at);
    uint16_t rdlen = get16(m, at + 8);
    at += 10;
    if (at + rdlen > m.size()) return Error::runtime("DNS record data truncated");
    if ((type == kTypeA && rdlen == 4) || (type == kTypeAaaa && rdlen == 16)) {
      IpAddress addr;
      addr.family = type == kTypeA ? Family::kV4 : Family::kV6;
      std::memcpy(addr.bytes.data(), &m[at], rdlen);
      return std::optional<IpAddress>(addr);
    }
    at += rdlen;
  }
  return std::optional<IpAddress>();
}

}  // namespace kt::e2e::dns
