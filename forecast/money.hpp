#pragma once
// Money in integer minor units (cents) of the account's currency.
// Sign convention follows the source contract: credit > 0, debit < 0.
// Statistics may use double; they become Money only through from_double(),
// which rounds half away from zero, so every balance written back is whole cents.

#include <cmath>
#include <compare>
#include <cstdint>
#include <string>

namespace headroom::forecast {

class Money {
 public:
  constexpr Money() = default;
  static constexpr Money from_cents(std::int64_t cents) { return Money(cents); }
  static Money from_double(double cents) { return Money(static_cast<std::int64_t>(std::llround(cents))); }

  constexpr std::int64_t cents() const { return cents_; }
  constexpr double as_double() const { return static_cast<double>(cents_); }

  constexpr Money operator+(Money o) const { return Money(cents_ + o.cents_); }
  constexpr Money operator-(Money o) const { return Money(cents_ - o.cents_); }
  constexpr Money operator-() const { return Money(-cents_); }
  constexpr Money& operator+=(Money o) { cents_ += o.cents_; return *this; }
  constexpr Money& operator-=(Money o) { cents_ -= o.cents_; return *this; }
  constexpr auto operator<=>(const Money&) const = default;

  // "1234.56" / "-0.05": the decimal form used in CSV files and numeric(18,2).
  std::string to_decimal_string() const;

 private:
  constexpr explicit Money(std::int64_t cents) : cents_(cents) {}
  std::int64_t cents_ = 0;
};

}  // namespace headroom::forecast
