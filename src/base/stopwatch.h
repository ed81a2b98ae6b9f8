// Times the steps of a sequence for debug logs.
#pragma once

#include <chrono>

namespace kt {

class Stopwatch {
 public:
  // Milliseconds since the previous lap() (the first: since construction); starts the next lap.
  double lapMs() {
    auto now = std::chrono::steady_clock::now();
    double ms = std::chrono::duration<double, std::milli>(now - last_).count();
    last_ = now;
    return ms;
  }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

}  // namespace kt
