// Per-account cost of the simulator: model only, and model plus CSV text.
// One worker thread; real time (the work runs off the benchmark thread).
#include <benchmark/benchmark.h>

#include "sim/population.hpp"

namespace {

using namespace headroom::sim;

void run(benchmark::State& state, bool text) {
  PopulationOptions o;
  o.accounts = static_cast<std::uint32_t>(state.range(0));
  o.days = 365;
  o.threads = 1;
  o.transactions = text;
  o.accounts_table = o.truth_table = false;
  std::uint64_t rows = 0;
  for (auto _ : state) {
    const PopulationSummary s = simulate_population(SimParams{}, o, [](const ChunkOutput& c) {
      benchmark::DoNotOptimize(c.transactions.data());
    });
    rows += s.transactions;
  }
  state.counters["accounts/s"] =
      benchmark::Counter(static_cast<double>(o.accounts) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
  if (text) state.counters["rows/s"] = benchmark::Counter(static_cast<double>(rows), benchmark::Counter::kIsRate);
}

void BM_SimulateModelOnly(benchmark::State& state) { run(state, false); }
void BM_SimulateWithCsvText(benchmark::State& state) { run(state, true); }

BENCHMARK(BM_SimulateModelOnly)->Arg(1000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SimulateWithCsvText)->Arg(1000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
