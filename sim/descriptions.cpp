#include "sim/descriptions.hpp"

#include <array>
#include <cstdarg>
#include <cstdio>

namespace headroom::sim {
namespace {

__attribute__((format(printf, 2, 3))) void put(Text& out, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  const int n = std::vsnprintf(out.data, sizeof out.data, fmt, args);
  va_end(args);
  out.size = static_cast<std::uint8_t>(n < 0 ? 0 : (n > static_cast<int>(Text::kCapacity) ? Text::kCapacity : n));
}

unsigned mmdd(Date d) {
  const std::chrono::year_month_day ymd{d};
  return static_cast<unsigned>(ymd.month()) * 100 + static_cast<unsigned>(ymd.day());
}
unsigned yymmdd(Date d) {
  const std::chrono::year_month_day ymd{d};
  return static_cast<unsigned>(static_cast<int>(ymd.year()) % 100) * 10000 + mmdd(d);
}

// Random upper-case alphanumeric reference like Amazon's "2K4L91XY3".
void reference(char* out, int n, Rng& noise) {
  static constexpr char kAlnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  for (int i = 0; i < n; ++i) out[i] = kAlnum[noise.below(36)];
  out[n] = '\0';
}

// A store the account holder frequents: stable per (account, merchant), with an
// occasional other branch.
unsigned store_number(const AccountProfile& p, unsigned merchant, unsigned modulo, Rng& noise) {
  const std::uint64_t h = splitmix64_mix(p.employer_id * 31ULL + merchant * 7919ULL + p.city);
  const unsigned base = static_cast<unsigned>(h % modulo);
  return noise.bernoulli(0.2) ? static_cast<unsigned>(noise.below(modulo)) : base;
}

constexpr std::array<const char*, 8> kRent{"OAKWOOD PROPERTY MGMT WEB PMTS", "GREYSTAR RENT PAYMENT", "APPFOLIO RENT",
                                           "RENTCAFE.COM RENT",            "AVALON COMMUNITIES",    "CAMDEN LIVING ACH",
                                           "ZELLE PAYMENT TO J SMITH LANDLORD", "BILT RENT PMT"};
constexpr std::array<const char*, 8> kMortgage{"ROCKET MORTGAGE MTG PYMT", "WELLS FARGO HOME MTG AUTO PAY",
                                               "CHASE MORTGAGE PAYMENT",  "MR. COOPER MTG PMT",
                                               "PENNYMAC LOAN SVC",       "US BANK HOME MTG",
                                               "FREEDOM MORTGAGE",        "NEWREZ-SHELLPOIN MTG"};
constexpr std::array<const char*, 8> kElectric{"PG&E WEB ONLINE",          "DUKE ENERGY PAYMENT", "CONED AUTOPAY",
                                               "FPL DIRECT DEBIT ELEC PYMT", "GEORGIA POWER BILL PAY",
                                               "XCEL ENERGY XCELENERGY",   "COMED PAYMENT",       "DOMINION ENERGY"};
constexpr std::array<const char*, 6> kWater{"CITY UTIL BILL PAY", "AQUA AMERICA WATER",  "AMERICAN WATER PAYMENT",
                                            "WATER DEPT ONLINE PMT", "MUNICIPAL UTIL WEB", "CITY WATER SEWER"};
constexpr std::array<const char*, 6> kPhone{"VERIZON WIRELESS PAYMENTS", "T-MOBILE PCS SVC", "AT&T MOBILITY ONLINE PMT",
                                            "CRICKET WIRELESS",          "SPRINT WIRELESS",  "METRO BY T-MOBILE"};
constexpr std::array<const char*, 6> kInternet{"COMCAST XFINITY CABLE", "SPECTRUM CHARTER COMM", "COX COMMUNICATIONS",
                                               "FRONTIER COMM ONLINE",  "CENTURYLINK LUMEN",     "OPTIMUM CABLEVISION"};
constexpr std::array<const char*, 6> kAuto{"TOYOTA FINANCIAL PMT", "HONDA PMT 800-708-6555",  "ALLY AUTO PAYMENT",
                                           "CAPITAL ONE AUTO CARPAY", "SANTANDER CONSUMER USA", "FORD CREDIT AUTO PAY"};
constexpr std::array<const char*, 4> kStudent{"NAVIENT ED LOAN PMT", "NELNET STUDENT LOAN", "MOHELA DEPT OF ED",
                                              "GREAT LAKES ED LOAN"};
constexpr std::array<const char*, 6> kCardPay{"CAPITAL ONE MOBILE PMT", "CHASE CREDIT CRD AUTOPAY", "DISCOVER E-PAYMENT",
                                              "CITI CARD ONLINE PAYMENT", "AMEX EPAYMENT ACH PMT",
                                              "SYNCHRONY BANK PAYMENT"};
constexpr std::array<const char*, 6> kInsurance{"GEICO *AUTO",         "PROGRESSIVE INS PREM", "STATE FARM RO 27 SFPP",
                                                "ALLSTATE INS PAYMENT", "LIBERTY MUTUAL INS",   "USAA P&C INS PREM"};
// Index matches the price table in profile.cpp.
constexpr std::array<const char*, 12> kSubscriptions{
    "NETFLIX.COM 866-579-7172 CA",   "SPOTIFY USA 877-778-1161 NY",           "HULU 877-8244858 CA",
    "DISNEY PLUS 888-905-7888 CA",   "APPLE.COM/BILL 866-712-7753 CA",        "AMAZON PRIME*%s AMZN.COM/BILL WA",
    "PLANET FITNESS CLUB FEES NH",   "GOOGLE *YouTubePremium g.co/helppay# CA", "ADOBE *CREATIVE CLOUD 408-536-6000 CA",
    "NYTIMES*NYTIMES NEW YORK NY",   "APPLE.COM/BILL 866-712-7753 CA",        "XBOX GAME PASS MSBILL.INFO WA"};

// Printed as prefix + store number (digits wide, zero-padded) or + a random
// reference (digits == kReference) or alone (digits == 0).
constexpr int kReference = -1;
struct Merchant {
  std::string_view prefix;
  int digits;
  unsigned modulo;  // store numbers are drawn below this
  bool online;      // online merchants print no city
  double weight;
};
constexpr std::array<Merchant, 30> kEveryday{{
    {"WALMART SUPERCENTER #", 4, 6000, false, 6},  {"KROGER #", 3, 999, false, 4},
    {"SAFEWAY #", 4, 3000, false, 2},              {"ALDI ", 5, 99999, false, 2},
    {"TRADER JOE S #", 3, 600, false, 1.5},        {"PUBLIX #", 4, 1800, false, 2},
    {"SHELL OIL 5744", 7, 9999999, false, 3},      {"CHEVRON ", 7, 9999999, false, 2.5},
    {"EXXONMOBIL ", 8, 99999999, false, 2},        {"SPEEDWAY ", 5, 9999, false, 1.5},
    {"MCDONALD'S F", 5, 40000, false, 4},          {"STARBUCKS STORE ", 5, 30000, false, 4},
    {"CHIPOTLE ", 4, 3200, false, 2},              {"SQ *BLUE BOTTLE COFFEE", 0, 1, false, 1},
    {"TST* JOE'S PIZZA", 0, 1, false, 1},          {"DOMINO'S ", 4, 9999, false, 1.5},
    {"SUBWAY ", 8, 99999999, false, 1.5},          {"TARGET ", 8, 2000, false, 3},
    {"CVS/PHARMACY #", 5, 10000, false, 2},        {"WALGREENS #", 5, 19000, false, 2},
    {"DOLLAR GENERAL #", 5, 19000, false, 2},      {"DELI, GROCERY & MORE #", 2, 99, false, 0.5},
    {"AMZN Mktp US*", kReference, 0, true, 5},     {"AMAZON.COM*", kReference, 0, true, 2},
    {"UBER *TRIP HELP.UBER.COM CA", 0, 1, true, 1.5}, {"LYFT *RIDE ", kReference, 0, true, 1},
    {"DD *DOORDASH ", kReference, 0, true, 1.5},   {"PAYPAL *", kReference, 0, true, 1},
    {"VENMO *", kReference, 0, true, 1},           {"HOME DEPOT #", 4, 2300, false, 1.5},
}};
constexpr std::array<Merchant, 10> kLarge{{
    {"MEINEKE #", 4, 2000, false, 1},              {"BANFIELD PET HOSP #", 4, 1000, false, 1},
    {"MEMORIAL HOSPITAL PATIENT PAY", 0, 1, true, 1}, {"FIRESTONE #", 5, 99999, false, 1},
    {"BEST BUY ", 8, 1500, false, 1},              {"DELTA AIR ", kReference, 0, true, 0.7},
    {"JIFFY LUBE #", 4, 2200, false, 0.6},         {"URGENT CARE CENTER ", 4, 9999, false, 0.8},
    {"IKEA ", kReference, 0, true, 0.5},           {"SUNRISE DENTAL GROUP", 0, 1, false, 0.8},
}};

template <std::size_t N>
const Merchant& pick_merchant(const std::array<Merchant, N>& list, Rng& noise) {
  double total = 0;
  for (const auto& m : list) total += m.weight;
  double u = noise.uniform() * total;
  for (const auto& m : list) {
    if (u < m.weight) return m;
    u -= m.weight;
  }
  return list.back();
}

// Bank-specific card prefix, per account's card_style. Built by hand, not
// printf: this is most of the rows of a population.
void card_line(Text& out, const AccountProfile& p, Date d, std::string_view merchant, bool online, Rng& noise) {
  out.clear();
  switch (p.card_style) {
    case 0: out << "POS PURCHASE "; break;
    case 1: out << "DEBIT CARD PURCHASE - "; break;
    case 2: out << "CHECKCARD "; out.number(mmdd(d), 4) << ' '; break;
    default: break;
  }
  out << merchant;
  if (!online) out << ' ' << city_name(p.city);
  if (p.card_style == 2) {
    char ref[16];
    reference(ref, 12, noise);
    out << ' ' << std::string_view(ref, 12);
  }
}

void card_from(Text& out, const AccountProfile& p, Date d, const Merchant& m, unsigned merchant_index, Rng& noise) {
  char name[96];
  std::size_t n = m.prefix.copy(name, 64);
  if (m.digits == kReference) {
    reference(name + n, 9, noise);
    n += 9;
  } else if (m.digits > 0) {
    Text digits;
    digits.number(store_number(p, merchant_index, m.modulo, noise), m.digits);
    n += digits.view().copy(name + n, 24);
  }
  card_line(out, p, d, std::string_view(name, n), m.online, noise);
}

// ACH text, printed in the account's bank style.
void ach_line(Text& out, const AccountProfile& p, Date d, const char* name, const char* entry, std::uint32_t id,
              Rng& noise) {
  switch (p.card_style) {
    case 0:
      out.clear();
      out << name << ' ' << entry << " PPD ID:";
      out.number(id, 7);
      break;
    case 1:
      put(out, "ORIG CO NAME:%s CO ENTRY DESCR:%s SEC:PPD TRACE#:%09u%06u EED:%06u IND ID:%u", name, entry,
          static_cast<unsigned>(noise.below(1000000000)), static_cast<unsigned>(noise.below(1000000)), yymmdd(d), id);
      break;
    case 2:
      out.clear();
      out << "ACH " << name << ' ' << entry << ' ';
      out.number(mmdd(d), 4);
      break;
    default: out.clear(); out << name << ' ' << entry; break;
  }
}

}  // namespace

void describe_payroll(Text& out, const AccountProfile& p, Date d, Rng& noise) {
  const char* entry = noise.bernoulli(0.9) ? "PAYROLL" : "DIR DEP";
  ach_line(out, p, d, employer_name(p.employer).data(), entry, p.employer_id, noise);
}
void describe_bonus(Text& out, const AccountProfile& p, Date d, Rng& noise) {
  ach_line(out, p, d, employer_name(p.employer).data(), "BONUS", p.employer_id, noise);
}
void describe_gig(Text& out, Rng& noise) {
  static constexpr std::array<const char*, 8> kGig{
      "DOORDASH, INC. PAYMENTS", "UBER USA 6787 EDI PYMNTS", "LYFT INC DRIVER PAYOUT", "INSTACART SHOPPER PAY",
      "GRUBHUB DRIVER PAY",      "AMAZON FLEX PAYOUT",       "VENMO CASHOUT",          "PAYPAL TRANSFER"};
  char ref[16];
  reference(ref, 10, noise);
  put(out, "%s %s", kGig[noise.below(kGig.size())], ref);
}
void describe_benefit(Text& out, Date d) { put(out, "STATE DOL UI BENEFIT PAYMENT %06u", yymmdd(d)); }
void describe_windfall(Text& out, WindfallKind kind) {
  switch (kind) {
    case WindfallKind::kTaxRefund: put(out, "IRS TREAS 310 TAX REF"); break;
    case WindfallKind::kStimulus: put(out, "IRS TREAS 310 ECONOMIC IMPACT PMT"); break;
    default: put(out, "DEPOSIT"); break;
  }
}

void describe_bill(Text& out, const AccountProfile& p, const Bill& b, Date d, Rng& noise) {
  auto name = [&](const auto& list) { return list[b.merchant % list.size()]; };
  switch (b.kind) {
    case BillKind::kRent: ach_line(out, p, d, name(kRent), "RENT", b.reference, noise); return;
    case BillKind::kMortgage: ach_line(out, p, d, name(kMortgage), "MTG PMT", b.reference, noise); return;
    case BillKind::kElectricity: ach_line(out, p, d, name(kElectric), "UTIL PMT", b.reference, noise); return;
    case BillKind::kWater: ach_line(out, p, d, name(kWater), "WEB PMT", b.reference, noise); return;
    case BillKind::kPhone: ach_line(out, p, d, name(kPhone), "PAYMENT", b.reference, noise); return;
    case BillKind::kInternet: ach_line(out, p, d, name(kInternet), "AUTOPAY", b.reference, noise); return;
    case BillKind::kAutoLoan: ach_line(out, p, d, name(kAuto), "LOAN PMT", b.reference, noise); return;
    case BillKind::kStudentLoan: ach_line(out, p, d, name(kStudent), "LOAN PMT", b.reference, noise); return;
    case BillKind::kCardPayment: ach_line(out, p, d, name(kCardPay), "EPAY", b.reference, noise); return;
    case BillKind::kInsurance: ach_line(out, p, d, name(kInsurance), "PREM", b.reference, noise); return;
    case BillKind::kSubscription: {
      const char* fmt = kSubscriptions[b.merchant % kSubscriptions.size()];
      char text[96];
      if (b.merchant == 5) {
        char ref[16];
        reference(ref, 9, noise);
        std::snprintf(text, sizeof text, "AMAZON PRIME*%s AMZN.COM/BILL WA", ref);
      } else {
        std::snprintf(text, sizeof text, "%s", fmt);
      }
      card_line(out, p, d, std::string_view(text), true, noise);
      return;
    }
  }
}

void describe_card(Text& out, const AccountProfile& p, Date d, bool large, Rng& noise) {
  if (large) {
    const Merchant& m = pick_merchant(kLarge, noise);
    card_from(out, p, d, m, static_cast<unsigned>(&m - kLarge.data()) + 100, noise);
  } else {
    const Merchant& m = pick_merchant(kEveryday, noise);
    card_from(out, p, d, m, static_cast<unsigned>(&m - kEveryday.data()), noise);
  }
}

void describe_savings_transfer(Text& out, const AccountProfile& p, bool to_savings, Rng& noise) {
  char ref[16];
  reference(ref, 8, noise);
  put(out, "ONLINE TRANSFER %s SAV XXXXXX%04u REF #IB%s", to_savings ? "TO" : "FROM", p.savings_account_suffix, ref);
}

void describe_overdraft_fee(Text& out, const AccountProfile& p) {
  switch (p.card_style) {
    case 0: put(out, "OVERDRAFT FEE"); break;
    case 1: put(out, "INSUFFICIENT FUNDS FEE FOR A ITEM"); break;
    case 2: put(out, "OVERDRAFT ITEM FEE"); break;
    default: put(out, "OD FEE"); break;
  }
}

}  // namespace headroom::sim
