#pragma once
// Merchant-like transaction text with the noise real bank feeds have: store
// numbers, phone numbers, trace numbers, per-bank prefixes. The same payee is
// printed consistently enough to be recognisable and inconsistently enough that
// recurring detection has real work to do. Text never affects an amount, and
// its randomness comes from its own stream (Stream::kDescription).

#include <algorithm>
#include <cstdint>
#include <string_view>

#include "forecast/date.hpp"
#include "sim/profile.hpp"
#include "sim/rng.hpp"

namespace headroom::sim {

// Fixed-capacity text, so building a description never allocates.
struct Text {
  static constexpr std::size_t kCapacity = 150;
  char data[kCapacity + 1];
  std::uint8_t size = 0;
  std::string_view view() const { return {data, size}; }
  void clear() { size = 0; }
  Text& operator<<(std::string_view s) {
    const std::size_t n = std::min<std::size_t>(s.size(), kCapacity - size);
    for (std::size_t i = 0; i < n; ++i) data[size + i] = s[i];
    size = static_cast<std::uint8_t>(size + n);
    return *this;
  }
  Text& operator<<(char c) {
    if (size < kCapacity) data[size++] = c;
    return *this;
  }
  // Zero-padded to `width` digits.
  Text& number(std::uint64_t v, int width = 1) {
    char buf[24];
    int n = 0;
    do {
      buf[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (n < width && n < 24) buf[n++] = '0';
    while (n > 0 && size < kCapacity) data[size++] = buf[--n];
    return *this;
  }
};

void describe_payroll(Text& out, const AccountProfile& p, Date d, Rng& noise);
void describe_bonus(Text& out, const AccountProfile& p, Date d, Rng& noise);
void describe_gig(Text& out, Rng& noise);
void describe_benefit(Text& out, Date d);
void describe_windfall(Text& out, WindfallKind kind);
void describe_bill(Text& out, const AccountProfile& p, const Bill& bill, Date d, Rng& noise);
// A card purchase; large = one-off expense (repair, vet, medical, electronics).
void describe_card(Text& out, const AccountProfile& p, Date d, bool large, Rng& noise);
void describe_savings_transfer(Text& out, const AccountProfile& p, bool to_savings, Rng& noise);
void describe_overdraft_fee(Text& out, const AccountProfile& p);

}  // namespace headroom::sim
