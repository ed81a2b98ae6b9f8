// A set key of up to 16 bytes (an IPv6 address is the longest we use), kept inline: a set can
// hold tens of thousands of keys, and a vector per key would cost a heap allocation each.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>

namespace kt::backend::nftables {

struct Key {
  std::array<uint8_t, 16> b{};
  uint8_t len = 0;

  static Key of(const void* data, size_t n) {
    Key k;
    k.len = static_cast<uint8_t>(n < 16 ? n : 16);
    std::memcpy(k.b.data(), data, k.len);
    return k;
  }
  static Key port(uint16_t p) {
    uint8_t v[2] = {static_cast<uint8_t>(p >> 8), static_cast<uint8_t>(p)};
    return of(v, 2);
  }
  bool isZero() const {
    for (size_t i = 0; i < len; ++i)
      if (b[i] != 0) return false;
    return true;
  }
  // Adds one (big endian); returns false when the key wraps around (it was the largest).
  bool increment() {
    for (size_t i = len; i-- > 0;)
      if (++b[i] != 0) return true;
    return false;
  }
  // Subtracts one (big endian); the caller ensures the key is not zero.
  void decrement() {
    for (size_t i = len; i-- > 0;)
      if (b[i]-- != 0) return;
  }
  static Key largest(size_t n) {
    Key k;
    k.len = static_cast<uint8_t>(n);
    std::memset(k.b.data(), 0xff, n);
    return k;
  }
  bool operator<(const Key& o) const {
    if (len != o.len) return len < o.len;
    return std::memcmp(b.data(), o.b.data(), len) < 0;
  }
  bool operator==(const Key& o) const {
    return len == o.len && std::memcmp(b.data(), o.b.data(), len) == 0;
  }
};

}  // namespace kt::backend::nftables
