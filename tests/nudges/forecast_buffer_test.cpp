#include "nudges/forecast_buffer.hpp"

#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace headroom::nudges {
namespace {

using forecast::Money;
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
  EXPECT_EQ(choose_forecast_buffer({}).buffer, Money::from_cents(0));
  const std::vector<Policy> inactive = {with_buffer("off", 5000, false)};
  const auto choice = choose_forecast_buffer(inactive);
  EXPECT_EQ(choice.buffer, Money::from_cents(0));
  EXPECT_THAT(choice.unserved, IsEmpty());
}

TEST(ForecastBuffer, OnePolicysBufferIsServed) {
  const std::vector<Policy> one = {with_buffer("fifty", 5000)};
  const auto choice = choose_forecast_buffer(one);
  EXPECT_EQ(choice.buffer, Money::from_cents(5000));
  EXPECT_THAT(choice.unserved, IsEmpty());
}

TEST(ForecastBuffer, TheBufferMostPoliciesNameWinsAndTheOthersAreListed) {
  const std::vector<Policy> policies = {with_buffer("a", 0), with_buffer("b", 5000), with_buffer("c", 5000),
                                        with_buffer("d", 10000), with_buffer("paused", 0, false)};
  const auto choice = choose_forecast_buffer(policies);
  EXPECT_EQ(choice.buffer, Money::from_cents(5000));
  EXPECT_THAT(choice.unserved, ElementsAre("a", "d"));
}

TEST(ForecastBuffer, ATieGoesToTheLowerBufferWhateverTheOrder) {
  const std::vector<Policy> high_first = {with_buffer("high", 10000), with_buffer("low", 2500)};
  const auto choice = choose_forecast_buffer(high_first);
  EXPECT_EQ(choice.buffer, Money::from_cents(2500));
  EXPECT_THAT(choice.unserved, ElementsAre("high"));
  const std::vector<Policy> zero_last = {with_buffer("fifty", 5000), with_buffer("overdraft", 0)};
  EXPECT_EQ(choose_forecast_buffer(zero_last).buffer, Money::from_cents(0));
}

}  // namespace
}  // namespace headroom::nudges
