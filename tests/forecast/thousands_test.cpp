#include <gtest/gtest.h>

#include "forecast/thousands.hpp"

namespace headroom::forecast {
namespace {

TEST(GroupThousands, PutsACommaBetweenEveryThreeIntegerDigits) {
  const struct {
    const char* in;
    const char* out;
  } cases[] = {
      {"0", "0"},
      {"7", "7"},
      {"999", "999"},
      {"1000", "1,000"},
      {"12345", "12,345"},
      {"123456", "123,456"},
      {"1234567", "1,234,567"},
      {"18446744073709551615", "18,446,744,073,709,551,615"},
  };
  for (const auto& c : cases) EXPECT_EQ(group_thousands(c.in), c.out) << c.in;
}

TEST(GroupThousands, KeepsTheSignAndCopiesTheFractionUnchanged) {
  EXPECT_EQ(group_thousands("-1234.56"), "-1,234.56");
  EXPECT_EQ(group_thousands("-0.05"), "-0.05");
  EXPECT_EQ(group_thousands("-999"), "-999");
  EXPECT_EQ(group_thousands("1234.5678"), "1,234.5678");
  EXPECT_EQ(group_thousands("12.3"), "12.3");
}

TEST(GroupThousands, LeavesEmptyAndSignOnlyTextAlone) {
  EXPECT_EQ(group_thousands(""), "");
  EXPECT_EQ(group_thousands("-"), "-");
  EXPECT_EQ(group_thousands(".5"), ".5");
}

}  // namespace
}  // namespace headroom::forecast
