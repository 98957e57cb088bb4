#include <gtest/gtest.h>

#include "nudges/retry.hpp"

namespace headroom::nudges {
namespace {

using std::chrono::hours;
using std::chrono::seconds;
using std::chrono::sys_seconds;

const sys_seconds kStart{seconds{1'773'000'000}};

TEST(Retry, WithoutJitterDoublesFromTheInitialBackoffUpToTheCap) {
  RetryPolicy p;
  p.jitter = 0;
  p.initial_backoff = seconds{30};
  p.max_backoff = seconds{300};
  const seconds expected[] = {seconds{30}, seconds{60}, seconds{120}, seconds{240}, seconds{300}, seconds{300}};
  for (int n = 1; n <= 6; ++n) {
    const RetryStep step = next_retry(p, n, kStart, kStart + hours{1}, 7);
    ASSERT_FALSE(step.give_up);
    EXPECT_EQ(step.next_attempt_at - (kStart + hours{1}), expected[n - 1]) << n;
  }
}

TEST(Retry, JitterStaysWithinItsShareAndIsDeterministicPerSeed) {
  RetryPolicy p;  // 30 s, jitter 0.5 -> wait in [15 s, 30 s]
  bool differs = false;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    const RetryStep a = next_retry(p, 1, kStart, kStart, seed);
    EXPECT_EQ(a.next_attempt_at, next_retry(p, 1, kStart, kStart, seed).next_attempt_at);
    EXPECT_GE(a.next_attempt_at - kStart, seconds{15});
    EXPECT_LE(a.next_attempt_at - kStart, seconds{30});
    differs = differs || a.next_attempt_at != next_retry(p, 1, kStart, kStart, 0).next_attempt_at;
  }
  EXPECT_TRUE(differs) << "jitter should spread retries";
}

TEST(Retry, NeverSchedulesPastTheDeadlineAndGivesUpAtIt) {
  RetryPolicy p;
  p.jitter = 0;
  p.deadline = hours{2};
  p.max_backoff = hours{1};
  const RetryStep last = next_retry(p, 10, kStart, kStart + hours{1} + seconds{1800}, 1);
  ASSERT_FALSE(last.give_up);
  EXPECT_EQ(last.next_attempt_at, kStart + hours{2});
  EXPECT_TRUE(next_retry(p, 11, kStart, kStart + hours{2}, 1).give_up);
}

TEST(Retry, HugeAttemptCountsDoNotOverflow) {
  RetryPolicy p;
  p.jitter = 0;
  const RetryStep step = next_retry(p, 100000, kStart, kStart, 1);
  ASSERT_FALSE(step.give_up);
  EXPECT_EQ(step.next_attempt_at - kStart, seconds{3600});
}

}  // namespace
}  // namespace headroom::nudges
