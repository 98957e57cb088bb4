#include "nudges/forecast_buffer.hpp"

#include <chrono>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace headroom::nudges {
namespace {

using forecast::Money;
using std::chrono::sys_seconds;

// 2026-06-25 16:00 UTC.
const sys_seconds kNow = sys_seconds(std::chrono::seconds(1'782'403'200));
using ::testing::ElementsAre;
using ::testing::IsEmpty;

Policy with_buffer(const char* name, std::int64_t cents, bool active = true) {
  Policy p;
  p.name = name;
  p.buffer = Money::from_cents(cents);
  p.active = active;
  return p;
}

TEST(ForecastBuffer, NoActivePolicyForecastsAgainstZero) {
  EXPECT_EQ(choose_forecast_buffer({}, kNow).buffer, Money::from_cents(0));
  const std::vector<Policy> inactive = {with_buffer("off", 5000, false)};
  const auto choice = choose_forecast_buffer(inactive, kNow);
  EXPECT_EQ(choice.buffer, Money::from_cents(0));
  EXPECT_THAT(choice.unserved, IsEmpty());
}

TEST(ForecastBuffer, OnePolicysBufferIsServed) {
  const std::vector<Policy> one = {with_buffer("fifty", 5000)};
  const auto choice = choose_forecast_buffer(one, kNow);
  EXPECT_EQ(choice.buffer, Money::from_cents(5000));
  EXPECT_THAT(choice.unserved, IsEmpty());
}

TEST(ForecastBuffer, TheBufferMostPoliciesNameWinsAndTheOthersAreListed) {
  const std::vector<Policy> policies = {with_buffer("a", 0), with_buffer("b", 5000), with_buffer("c", 5000),
                                        with_buffer("d", 10000), with_buffer("paused", 0, false)};
  const auto choice = choose_forecast_buffer(policies, kNow);
  EXPECT_EQ(choice.buffer, Money::from_cents(5000));
  EXPECT_THAT(choice.unserved, ElementsAre("a", "d"));
}

TEST(ForecastBuffer, ATieGoesToTheLowerBufferWhateverTheOrder) {
  const std::vector<Policy> high_first = {with_buffer("high", 10000), with_buffer("low", 2500)};
  const auto choice = choose_forecast_buffer(high_first, kNow);
  EXPECT_EQ(choice.buffer, Money::from_cents(2500));
  EXPECT_THAT(choice.unserved, ElementsAre("high"));
  const std::vector<Policy> zero_last = {with_buffer("fifty", 5000), with_buffer("overdraft", 0)};
  EXPECT_EQ(choose_forecast_buffer(zero_last, kNow).buffer, Money::from_cents(0));
}

TEST(ForecastBuffer, APolicyOutsideItsActiveWindowDoesNotVote) {
  Policy starts_later = with_buffer("next-month", 30000);
  starts_later.active_from = kNow + std::chrono::hours(24);
  Policy ended = with_buffer("last-month", 30000);
  ended.active_to = kNow;
  Policy running = with_buffer("running", 0);
  running.active_from = kNow - std::chrono::hours(24);
  running.active_to = kNow + std::chrono::hours(1);
  const std::vector<Policy> policies = {starts_later, ended, running};
  const auto choice = choose_forecast_buffer(policies, kNow);
  EXPECT_EQ(choice.buffer, Money::from_cents(0));
  EXPECT_THAT(choice.unserved, IsEmpty());
  // A day later 'running' has ended and 'next-month' is the only policy in force.
  const auto later = choose_forecast_buffer(policies, kNow + std::chrono::hours(24));
  EXPECT_EQ(later.buffer, Money::from_cents(30000));
  EXPECT_THAT(later.unserved, IsEmpty());
}

}  // namespace
}  // namespace headroom::nudges
