// Parsing and validating a source-contract CSV (ingest/), no database:
// the client-side share of `headroom import` and all of what `headroom
// backtest` spends reading its input.
#include <cstdio>
#include <fstream>
#include <random>
#include <string>

#include <benchmark/benchmark.h>
#include <unistd.h>

#include "ingest/transactions_csv.hpp"

namespace {

const std::string& sample_file() {
  static const std::string path = [] {
    std::string p = "/tmp/headroom_import_bench_" + std::to_string(::getpid()) + ".csv";
    std::ofstream out(p, std::ios::binary);
    out << "account_id,txn_id,posted_at,amount,balance_after,description,kind\n";
    std::mt19937 rng(7);
    for (int i = 0; i < 200000; ++i) {
      char row[160];
      std::snprintf(row, sizeof row, "acct%07d,t%09d,2024-%02d-%02d,-%d.%02d,%d.%02d,\"SHOP, NO %d\",card\n", i / 500, i,
                    1 + i / 500 % 12, 1 + i % 28, static_cast<int>(rng() % 500), static_cast<int>(rng() % 100),
                    static_cast<int>(rng() % 5000), static_cast<int>(rng() % 100), i % 97);
      out << row;
    }
    return p;
  }();
  return path;
}

void BM_ReadTransactionsCsv(benchmark::State& state) {
  const std::string& path = sample_file();
  std::size_t rows = 0;
  for (auto _ : state) {
    auto txns = headroom::ingest::read_transactions_csv(path);
    rows += txns.size();
    benchmark::DoNotOptimize(txns.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(rows));
}
BENCHMARK(BM_ReadTransactionsCsv)->Unit(benchmark::kMillisecond);

void BM_StreamAndValidate(benchmark::State& state) {
  const std::string& path = sample_file();
  std::size_t rows = 0;
  for (auto _ : state) {
    headroom::ingest::TransactionCsvReader reader(path);
    headroom::ingest::TransactionCsvReader::Row row;
    while (reader.next(row)) benchmark::DoNotOptimize(row.txn.amount);
    rows += reader.rows_read();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(rows));
}
BENCHMARK(BM_StreamAndValidate)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  std::remove(sample_file().c_str());
  return 0;
}
