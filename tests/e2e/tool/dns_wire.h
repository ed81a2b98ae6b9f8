// Just enough of the DNS wire format (RFC 1035) for the e2e tests: one-question queries, and
// answers with one A or AAAA record, so every reply identifies who answered it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/net.h"
#include "base/result.h"

namespace kt::e2e::dns {

inline constexpr uint16_t kTypeA = 1;
inline constexpr uint16_t kTypeAaaa = 28;

struct Question {
  uint16_t id = 0;
  std::string name;  // dotted, without the final dot
  uint16_t qtype = 0;
  uint16_t qclass = 1;
};

// A standard query with the recursion-desired bit. kConfig error for names that are not
// dot-separated labels of 1..63 bytes (at most 253 bytes in all).
Result<std::vector<uint8_t>> buildQuery(const Question& q);

// Parses a query: header, exactly one question, no compression in the question name.
Result<Question> parseQuery(std::span<const uint8_t> msg);

// A response to `q`: the question echoed, and one answer record (TTL 60) when q asks for A and
// `a` is set, or for AAAA and `aaaa` is set; otherwise an empty NOERROR answer.
std::vector<uint8_t> buildResponse(const Question& q, const std::optional<IpAddress>& a,
                                   const std::optional<IpAddress>& aaaa);

// Checks that `msg` is a response to query id `expectedId` and returns the address of its first
// A or AAAA record (nullopt when it has none).
Result<std::optional<IpAddress>> parseResponse(std::span<const uint8_t> msg, uint16_t expectedId);

}  // namespace kt::e2e::dns
