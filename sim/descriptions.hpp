#pragma once
// Merchant-like transaction text with the noise real bank feeds have: store
// numbers, phone numbers, trace numbers, per-bank prefixes. The same payee is
// printed consistently enough to be recognisable and inconsistently enough that
// recurring detection has real work to do. Text never affects an amount, and
// its randomness comes from its own stream (Stream::kDescription).

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
