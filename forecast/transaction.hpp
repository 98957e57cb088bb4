#pragma once
// One posted transaction of the source contract (docs/DESIGN.md, "Source contract").

#include <optional>
#include <string>

#include "forecast/date.hpp"
#include "forecast/money.hpp"

namespace headroom::forecast {

struct Transaction {
  std::string account_id;
  std::string txn_id;                  // unique within the account
  Date posted_at;                      // posting date in the account's time zone
  Money amount;                        // credit > 0, debit < 0
  std::optional<Money> balance_after;  // the bank's balance after this row, when it gave one
  std::string description;             // merchant or narrative text, may be empty
  std::string kind;                    // the bank's own category, may be empty

  bool operator==(const Transaction&) const = default;
};

}  // namespace headroom::forecast
