// SPDX-License-Identifier: Apache-2.0
// File: client/clock.h
//
// Time and randomness as injectable interfaces, so every requester rule
// (timers, backoff, cache lifetimes) runs under a fake clock in tests.
#pragma once

#include <cstdint>
#include <random>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace lqd::client {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

// Starts at an arbitrary fixed instant and moves only when told.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1'800'000'000)) : now_(start) {}
  absl::Time Now() const override { return now_; }
  void Advance(absl::Duration d) { now_ += d; }
  void Set(absl::Time t) { now_ = t; }

 private:
  absl::Time now_;
};

class Random {
 public:
  virtual ~Random() = default;
  virtual uint32_t NextU32() = 0;
  // Uniform in [lo, hi].
  virtual double Uniform(double lo, double hi) = 0;
};

// Deterministic for a given seed (std::mt19937_64).
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(uint64_t seed) : gen_(seed) {}
  uint32_t NextU32() override { return static_cast<uint32_t>(gen_() >> 32); }
  double Uniform(double lo, double hi) override {
    return std::uniform_real_distribution<double>(lo, hi)(gen_);
  }

 private:
  std::mt19937_64 gen_;
};

}  // namespace lqd::client
