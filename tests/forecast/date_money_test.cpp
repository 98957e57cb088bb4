#include <gtest/gtest.h>

#include "forecast/date.hpp"
#include "forecast/money.hpp"

using namespace headroom::forecast;

TEST(IsoDate, ParsesValidDatesAndRejectsImpossibleOnes) {
  EXPECT_EQ(parse_iso_date("2024-02-29"), make_date(2024, 2, 29));
  EXPECT_FALSE(parse_iso_date("2025-02-29"));
  EXPECT_FALSE(parse_iso_date("2025-13-01"));
  EXPECT_FALSE(parse_iso_date("2025-1-01"));
  EXPECT_FALSE(parse_iso_date("2025-01-01T00"));
  EXPECT_EQ(to_iso_string(make_date(2026, 11, 2)), "2026-11-02");
}

TEST(IsoDate, MonthEndKnowsLeapYears) {
  EXPECT_EQ(month_end(make_date(2024, 2, 10)), make_date(2024, 2, 29));
  EXPECT_EQ(month_end(make_date(2023, 2, 10)), make_date(2023, 2, 28));
}

TEST(Money, PrintsDecimalWithTwoPlacesAndSign) {
  EXPECT_EQ(Money::from_cents(123456).to_decimal_string(), "1234.56");
  EXPECT_EQ(Money::from_cents(-5).to_decimal_string(), "-0.05");
  EXPECT_EQ(Money::from_cents(INT64_MIN).to_decimal_string(), "-92233720368547758.08");
  EXPECT_EQ(Money::from_double(-10.5).cents(), -11);
}
