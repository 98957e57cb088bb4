// gen_transactions_csv ROWS OUT.csv: a deterministic source-contract CSV for
// the import benchmark. 500 rows per account, sorted by account and date,
// with quoted descriptions every so often so the quoted path is exercised.
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: gen_transactions_csv ROWS OUT.csv\n");
    return 2;
  }
  const long rows = std::atol(argv[1]);
  std::FILE* out = std::fopen(argv[2], "wb");
  if (out == nullptr) {
    std::perror(argv[2]);
    return 1;
  }
  static char buf[1 << 20];
  std::setvbuf(out, buf, _IOFBF, sizeof buf);
  std::fputs("account_id,txn_id,posted_at,amount,balance_after,description,kind\n", out);
  std::mt19937_64 rng(42);
  constexpr long kPerAccount = 500;
  static const char* kMerchants[] = {"GROCERY MART", "COFFEE, BAR", "FUEL STOP 22", "ONLINE STORE", "RENT"};
  long balance = 0;
  for (long i = 0; i < rows; ++i) {
    const long account = i / kPerAccount, k = i % kPerAccount;
    if (k == 0) balance = static_cast<long>(rng() % 300000);
    // About 250 days of history per account: two transactions a day.
    const int day = static_cast<int>(k / 2);
    const int y = 2023 + day / 336, m = 1 + day / 28 % 12, d = 1 + day % 28;
    const long amount = (k % 30 == 0) ? 250000 : -static_cast<long>(rng() % 9000);
    balance += amount;
    const bool give_balance = k % 7 != 3;
    char bal[32] = "";
    if (give_balance)
      std::snprintf(bal, sizeof bal, "%s%ld.%02ld", balance < 0 ? "-" : "", std::labs(balance) / 100,
                    std::labs(balance) % 100);
    const char* quote = k % 5 == 1 ? "\"" : "";  // "COFFEE, BAR" needs quoting
    std::fprintf(out, "acct%07ld,t%09ld,%04d-%02d-%02d,%s%ld.%02ld,%s,%s%s %ld%s,%s\n", account, i, y, m, d,
                 amount < 0 ? "-" : "", std::labs(amount) / 100, std::labs(amount) % 100, bal, quote,
                 kMerchants[k % 5], k % 97, quote, k % 30 == 0 ? "salary" : "card");
  }
  if (std::fclose(out) != 0) {
    std::perror(argv[2]);
    return 1;
  }
  return 0;
}
