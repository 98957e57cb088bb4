#include "forecast/projection.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <span>
#include <utility>

#include "forecast/rng.hpp"
#include "forecast/robust.hpp"

// The build targets baseline x86-64; the resampling path loop and the
// quantile bins also have AVX2 versions, chosen at run time when the CPU has
// it (function-level target attributes, so the rest of the library stays
// baseline). Both give the same bits as the portable code (tests compare).
#if defined(__x86_64__) && defined(__GNUC__)
#define HEADROOM_FORECAST_AVX2 1
#include <immintrin.h>
#else
#define HEADROOM_FORECAST_AVX2 0
#endif

namespace headroom::forecast {
namespace {

using Event = ProjectionWorkspace::Event;

constexpr double kMoneyLimit = 9.0e18;

Money to_money(double cents) {
  if (!std::isfinite(cents)) return Money{};
  return Money::from_double(std::clamp(cents, -kMoneyLimit, kMoneyLimit));
}

// Everything the day loop of one block of kLanes paths reads.
struct BlockLoop {
  const ProjectionWorkspace::DaySource* source;
  const double* flows;               // [day * kLanes + lane]
  const std::uint8_t* income_on;     // [day * kLanes + lane]
  const double* net_pool;            // [after payday * pool + pool day]
  int pool, total, lead;
  double start_balance, buffer;
  int last_income_day;
  std::uint64_t shock_threshold;
  double shock_amount;
  double* balances;                  // the block's first path on window day 0; row stride `stride`
  std::size_t stride;
  std::int64_t* day_counts;          // [window day * 8]: lanes 0–3 count below 0, 4–7 below the buffer (AVX2 loop)
  int valid_lanes;                   // lanes < this are real paths (the rest is padding)
};

// Which lanes of a block went below 0 / the buffer on some window day.
struct BlockBelow {
  unsigned zero = 0;    // bit l: lane l went below 0 on some window day
  unsigned buffer = 0;  // bit l: below the buffer
};

#if HEADROOM_FORECAST_AVX2
// x · c mod 2⁶⁴ for four 64-bit lanes (AVX2 multiplies 32 × 32 → 64 only).
__attribute__((target("avx2"))) inline __m256i mul_u64(__m256i x, std::uint64_t c) {
  const __m256i c_lo = _mm256_set1_epi64x(static_cast<long long>(c & 0xFFFFFFFFULL));
  const __m256i c_hi = _mm256_set1_epi64x(static_cast<long long>(c >> 32));
  const __m256i cross = _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(x, 32), c_lo), _mm256_mul_epu32(x, c_hi));
  return _mm256_add_epi64(_mm256_mul_epu32(x, c_lo), _mm256_slli_epi64(cross, 32));
}

// SplitMix64's output function on four lanes.
__attribute__((target("avx2"))) inline __m256i mix_u64(__m256i z) {
  z = mul_u64(_mm256_xor_si256(z, _mm256_srli_epi64(z, 30)), PathRng::kMul1);
  z = mul_u64(_mm256_xor_si256(z, _mm256_srli_epi64(z, 27)), PathRng::kMul2);
  return _mm256_xor_si256(z, _mm256_srli_epi64(z, 31));
}

// PathRng::next() on four lanes.
__attribute__((target("avx2"))) inline __m256i next_u64(__m256i& state) {
  state = _mm256_add_epi64(state, _mm256_set1_epi64x(static_cast<long long>(PathRng::kGamma)));
  return mix_u64(state);
}

// The states of the four generators rng[0..3], one per lane.
__attribute__((target("avx2"))) inline __m256i lane_states(const PathRng* rng) {
  return _mm256_setr_epi64x(static_cast<long long>(rng[0].state()), static_cast<long long>(rng[1].state()),
                            static_cast<long long>(rng[2].state()), static_cast<long long>(rng[3].state()));
}

// Puts rng[0..3] where the lanes of `state` left them.
__attribute__((target("avx2"))) inline void store_lane_states(__m256i state, PathRng* rng) {
  alignas(32) long long out[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(out), state);
  for (int k = 0; k < 4; ++k) rng[k].set_state(static_cast<std::uint64_t>(out[k]));
}

constexpr int kRegs = ProjectionWorkspace::kLanes / 4;
static_assert(ProjectionWorkspace::kLanes % 4 == 0 && ProjectionWorkspace::kLanes <= 32,
              "the AVX2 loops run registers of four lanes, a block's lanes fit a 32-bit mask");

// The registers of run_block_avx2(): kRegs of four lanes each.
struct BlockRegs {
  __m256i state[kRegs];        // the lanes' generators
  __m256i last_income[kRegs];  // the day of each lane's latest income
  __m256d bal[kRegs];          // end-of-day balances
  __m256d below0[kRegs], below_buf[kRegs];  // all ones: the lane went below 0 / the buffer on a window day
  __m256d valid[kRegs];        // all ones: a real path, not padding
  // The block's constants, broadcast once rather than per chunk.
  __m256i pool, shock_threshold;
  __m256d shock_amount, buffer;
};

// A chunk of days at a time, in three passes: the draws (a generator's
// state only adds a constant per day, so they are independent multiply
// chains the CPU runs side by side), each day's step (the pool loads, which
// no longer wait on a draw's chain), then the balances (one add chain per
// register, with the counts). One loop doing all three per day kept too few
// days in flight, and too many live registers spilled the balances.
constexpr int kChunk = 16;

// Pass 1: each lane's draw for each day of the chunk.
__attribute__((target("avx2"), always_inline)) inline void chunk_draws(
    int n_days, BlockRegs& r, std::uint64_t (&draws)[kChunk][ProjectionWorkspace::kLanes]) {
  for (int u = 0; u < n_days; ++u)
#pragma GCC unroll 4
    for (int h = 0; h < kRegs; ++h)
      _mm256_store_si256(reinterpret_cast<__m256i*>(&draws[u][4 * h]), next_u64(r.state[h]));
}

// Pass 2: each lane's change of balance on each day of the chunk: the
// scheduled flows plus the drawn pool day's net flow, less the shock.
__attribute__((target("avx2"), always_inline)) inline void chunk_steps(
    const BlockLoop& b, int t0, int n_days, BlockRegs& r,
    const std::uint64_t (&draws)[kChunk][ProjectionWorkspace::kLanes],
    double (&steps)[kChunk][ProjectionWorkspace::kLanes]) {
  constexpr int kLanes = ProjectionWorkspace::kLanes;
  const __m256i low16 = _mm256_set1_epi64x(0xFFFF), bit15 = _mm256_set1_epi64x(0x8000);
  const __m256i pool = r.pool, shock_threshold = r.shock_threshold;
  const __m256d shock_amount = r.shock_amount;
  for (int u = 0; u < n_days; ++u) {
    const int t = t0 + u;
    const ProjectionWorkspace::DaySource ds = b.source[t];
    const __m256i recent_weeks = _mm256_set1_epi64x(ds.weeks[0]), all_weeks = _mm256_set1_epi64x(ds.weeks[1]);
    const __m256i newest = _mm256_set1_epi64x(ds.newest), day = _mm256_set1_epi64x(t),
                  payday_edge = _mm256_set1_epi64x(t - 4);
#pragma GCC unroll 4
    for (int h = 0; h < kRegs; ++h) {
      int income_bytes;
      __builtin_memcpy(&income_bytes, b.income_on + t * kLanes + 4 * h, sizeof income_bytes);
      const __m256i income = _mm256_cvtepu8_epi64(_mm_cvtsi32_si128(income_bytes));
      r.last_income[h] = _mm256_blendv_epi8(r.last_income[h], day, _mm256_cmpgt_epi64(income, _mm256_setzero_si256()));
      const __m256i x = _mm256_load_si256(reinterpret_cast<const __m256i*>(&draws[u][4 * h]));
      // Bits 0–15 pick recent weeks vs the whole pool (≥ 0x8000: whole pool).
      const __m256i weeks = _mm256_blendv_epi8(recent_weeks, all_weeks,
                                               _mm256_cmpeq_epi64(_mm256_and_si256(x, bit15), bit15));
      // Bits 32–63 pick how many weeks back: (x >> 32) · weeks >> 32, both factors < 2³².
      const __m256i back = _mm256_srli_epi64(_mm256_mul_epu32(_mm256_srli_epi64(x, 32), weeks), 32);
      const __m256i src = _mm256_sub_epi64(newest, _mm256_sub_epi64(_mm256_slli_epi64(back, 3), back));
      // Target day within 3 days after the last income: t − last ≤ 3, i.e. last > t − 4.
      const __m256i after = _mm256_cmpgt_epi64(r.last_income[h], payday_edge);
      const __m256i index = _mm256_add_epi64(src, _mm256_and_si256(after, pool));
      // Four plain loads rather than vgatherqpd: as fast here (Zen 3) and much faster on CPUs with a slow gather.
      alignas(32) long long ix[4];
      _mm256_store_si256(reinterpret_cast<__m256i*>(ix), index);
      const __m256d net = _mm256_setr_pd(b.net_pool[ix[0]], b.net_pool[ix[1]], b.net_pool[ix[2]], b.net_pool[ix[3]]);
      // Bits 16–31: the shock, subtracted as shock_amount or +0.0 like the portable loop.
      const __m256i shocked = _mm256_cmpgt_epi64(shock_threshold, _mm256_and_si256(_mm256_srli_epi64(x, 16), low16));
      const __m256d d = _mm256_sub_pd(net, _mm256_and_pd(_mm256_castsi256_pd(shocked), shock_amount));
      _mm256_store_pd(&steps[u][4 * h], _mm256_add_pd(_mm256_loadu_pd(b.flows + t * kLanes + 4 * h), d));
    }
  }
}

// Pass 3: the balances, kept from the window's first day on, with the
// per-day counts below 0 (lanes 0–3 of day_counts) and the buffer (4–7).
__attribute__((target("avx2"), always_inline)) inline void chunk_balances(
    const BlockLoop& b, int t0, int n_days, BlockRegs& r, const double (&steps)[kChunk][ProjectionWorkspace::kLanes]) {
  const __m256d zero = _mm256_setzero_pd(), buffer = r.buffer;
  for (int u = 0; u < n_days; ++u) {
    const int t = t0 + u;
#pragma GCC unroll 4
    for (int h = 0; h < kRegs; ++h) r.bal[h] = _mm256_add_pd(r.bal[h], _mm256_load_pd(&steps[u][4 * h]));
    if (t < b.lead) continue;
    double* const row = b.balances + static_cast<std::size_t>(t - b.lead) * b.stride;
    std::int64_t* const counts = b.day_counts + static_cast<std::size_t>(t - b.lead) * 8;
    __m256i n0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(counts));
    __m256i nb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(counts + 4));
#pragma GCC unroll 4
    for (int h = 0; h < kRegs; ++h) {
      _mm256_storeu_pd(row + 4 * h, r.bal[h]);
      const __m256d m0 = _mm256_and_pd(_mm256_cmp_pd(r.bal[h], zero, _CMP_LT_OQ), r.valid[h]);
      const __m256d mb = _mm256_and_pd(_mm256_cmp_pd(r.bal[h], buffer, _CMP_LT_OQ), r.valid[h]);
      r.below0[h] = _mm256_or_pd(r.below0[h], m0);
      r.below_buf[h] = _mm256_or_pd(r.below_buf[h], mb);
      // A true compare is −1 in each lane.
      n0 = _mm256_sub_epi64(n0, _mm256_castpd_si256(m0));
      nb = _mm256_sub_epi64(nb, _mm256_castpd_si256(mb));
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(counts), n0);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(counts + 4), nb);
  }
}

// The resampling day loop of project() for one block, four lanes per
// register: the same draws from the same generators, the same integer index
// arithmetic and the same floating-point operations in the same order (no
// FMA), so every balance is bit-identical to the portable loop. Also counts,
// per window day, the block's paths below 0 and below the buffer.
__attribute__((target("avx2"))) BlockBelow run_block_avx2(const BlockLoop& b, const PathRng* rng) {
  BlockRegs r;
  r.pool = _mm256_set1_epi64x(b.pool);
  r.shock_threshold = _mm256_set1_epi64x(static_cast<long long>(b.shock_threshold));
  r.shock_amount = _mm256_set1_pd(b.shock_amount);
  r.buffer = _mm256_set1_pd(b.buffer);
  for (int h = 0; h < kRegs; ++h) {
    r.state[h] = lane_states(rng + 4 * h);
    r.last_income[h] = _mm256_set1_epi64x(b.last_income_day);
    r.bal[h] = _mm256_set1_pd(b.start_balance);
    r.below0[h] = r.below_buf[h] = _mm256_setzero_pd();
    r.valid[h] = _mm256_castsi256_pd(_mm256_cmpgt_epi64(
        _mm256_set1_epi64x(b.valid_lanes), _mm256_setr_epi64x(4 * h, 4 * h + 1, 4 * h + 2, 4 * h + 3)));
  }
  alignas(32) std::uint64_t draws[kChunk][ProjectionWorkspace::kLanes];
  alignas(32) double steps[kChunk][ProjectionWorkspace::kLanes];
  for (int t0 = 0; t0 < b.total; t0 += kChunk) {
    const int n_days = std::min(b.total - t0, kChunk);
    chunk_draws(n_days, r, draws);
    chunk_steps(b, t0, n_days, r, draws, steps);
    chunk_balances(b, t0, n_days, r, steps);
  }
  BlockBelow out;
  for (int h = 0; h < kRegs; ++h) {
    out.zero |= static_cast<unsigned>(_mm256_movemask_pd(r.below0[h])) << (4 * h);
    out.buffer |= static_cast<unsigned>(_mm256_movemask_pd(r.below_buf[h])) << (4 * h);
  }
  return out;
}

// uniform_int(0, span − 1) on four lanes: ((x >> 32) · span) >> 32, both
// factors < 2³², so one 32 × 32 → 64 multiply is exact.
__attribute__((target("avx2"))) inline __m256i uniform_below(__m256i x, std::uint32_t span) {
  return _mm256_srli_epi64(_mm256_mul_epu32(_mm256_srli_epi64(x, 32), _mm256_set1_epi64x(span)), 32);
}

// uniform() = (x >> 11) · 2⁻⁵³ exactly, and p · 2⁵³ is exact, so
// `uniform() < p` is the integer compare x >> 11 < ⌈p · 2⁵³⌉ (a NaN or a
// p ≥ 1 takes every draw, p ≤ 0 none, as the double compare does).
long long take_below(double probability) {
  const double scaled = probability * 0x1.0p53;
  return !(scaled < 0x1.0p53) ? (1LL << 53) : scaled > 0 ? static_cast<long long>(std::ceil(scaled)) : 0;
}

// The day each lane's occurrence lands on, before a negative day becomes
// day 0, from the day draw `x` (not used when the event has no day draw).
__attribute__((target("avx2"), always_inline)) inline __m256i event_day(const Event& e, __m256i x) {
  if (e.pending_last_day >= 0) return uniform_below(x, static_cast<std::uint32_t>(e.pending_last_day) + 1);
  const __m256i day = _mm256_set1_epi64x(e.day);
  if (e.n_jitter == 0) return day;
  // In range for every lane (the untaken lanes' values are ignored), so the loads are safe.
  alignas(32) long long ix[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(ix), uniform_below(x, static_cast<std::uint32_t>(e.n_jitter)));
  return _mm256_add_epi64(day, _mm256_setr_epi64x(e.jitter[ix[0]], e.jitter[ix[1]], e.jitter[ix[2]], e.jitter[ix[3]]));
}

// PathRng::normal_one_draw() of the draw `x` on four lanes: Acklam's central
// polynomial and division in vectors, the tail values of the lanes in
// `lanes` (4.85 % of draws) one by one through acklam_inverse_normal().
__attribute__((target("avx2"), always_inline)) inline __m256d normal_one_draw_avx2(__m256i x, unsigned lanes) {
  using acklam::a, acklam::b;
  const __m256d half = _mm256_set1_pd(0.5), one = _mm256_set1_pd(1.0);
  // p = ((x >> 12) + ½) · 2⁻⁵²; x >> 12 < 2⁵² converts exactly as the mantissa of 2⁵² + v.
  const __m256i v = _mm256_srli_epi64(x, 12);
  const __m256d vd = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(v, _mm256_set1_epi64x(0x4330000000000000LL))),
                                   _mm256_set1_pd(0x1.0p52));
  const __m256d p = _mm256_mul_pd(_mm256_add_pd(vd, half), _mm256_set1_pd(0x1.0p-52));
  const __m256d q = _mm256_sub_pd(p, half), r = _mm256_mul_pd(q, q);
  __m256d num = _mm256_add_pd(_mm256_mul_pd(_mm256_set1_pd(a[0]), r), _mm256_set1_pd(a[1]));
  num = _mm256_add_pd(_mm256_mul_pd(num, r), _mm256_set1_pd(a[2]));
  num = _mm256_add_pd(_mm256_mul_pd(num, r), _mm256_set1_pd(a[3]));
  num = _mm256_add_pd(_mm256_mul_pd(num, r), _mm256_set1_pd(a[4]));
  num = _mm256_add_pd(_mm256_mul_pd(num, r), _mm256_set1_pd(a[5]));
  __m256d den = _mm256_add_pd(_mm256_mul_pd(_mm256_set1_pd(b[0]), r), _mm256_set1_pd(b[1]));
  den = _mm256_add_pd(_mm256_mul_pd(den, r), _mm256_set1_pd(b[2]));
  den = _mm256_add_pd(_mm256_mul_pd(den, r), _mm256_set1_pd(b[3]));
  den = _mm256_add_pd(_mm256_mul_pd(den, r), _mm256_set1_pd(b[4]));
  den = _mm256_add_pd(_mm256_mul_pd(den, r), one);
  const __m256d z = _mm256_div_pd(_mm256_mul_pd(num, q), den);
  const __m256d central = _mm256_and_pd(_mm256_cmp_pd(p, _mm256_set1_pd(acklam::kLow), _CMP_GE_OQ),
                                        _mm256_cmp_pd(p, _mm256_set1_pd(1.0 - acklam::kLow), _CMP_LE_OQ));
  unsigned tails = lanes & ~static_cast<unsigned>(_mm256_movemask_pd(central));
  if (tails == 0) return z;
  alignas(32) double zs[4], ps[4];
  _mm256_store_pd(zs, z);
  _mm256_store_pd(ps, p);
  for (; tails != 0; tails &= tails - 1) {
    const int k = __builtin_ctz(tails);
    zs[k] = acklam_inverse_normal(ps[k]);
  }
  return _mm256_load_pd(zs);
}

// Adds each landing lane's amount to its cell of `flows` (day · kLanes +
// lane; `lane_cells` holds the lanes' cells on day 0) and marks income.
__attribute__((target("avx2"), always_inline)) inline void add_flows(__m256i day, __m256i lane_cells, __m256d amount,
                                                                     unsigned land_mask, bool income, double* flows,
                                                                     std::uint8_t* income_on) {
  static_assert(std::has_single_bit(unsigned{ProjectionWorkspace::kLanes}), "cells are day << log2(kLanes) | lane");
  alignas(32) long long cells[4];
  alignas(32) double values[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(cells),
                     _mm256_add_epi64(_mm256_slli_epi64(day, std::countr_zero(unsigned{ProjectionWorkspace::kLanes})),
                                      lane_cells));
  _mm256_store_pd(values, amount);
  if (land_mask == 0xF) {
    // Usually every lane lands: four adds, no mask walk.
#pragma GCC unroll 4
    for (int k = 0; k < 4; ++k) flows[cells[k]] += values[k];
    if (income)
      for (int k = 0; k < 4; ++k) income_on[cells[k]] = 1;
    return;
  }
  for (; land_mask != 0; land_mask &= land_mask - 1) {
    const int k = __builtin_ctz(land_mask);
    flows[cells[k]] += values[k];
    if (income) income_on[cells[k]] = 1;
  }
}

// The scheduled events of R / kRegs blocks of kLanes paths (draw_events()
// written for four lanes per register): each lane takes the same draws in
// the same order — a lane that does not draw leaves its generator where it
// is — and its amounts come from the same operations in the same order (no
// FMA). So the flows and the generators' positions are bit-identical; the
// generators are read from and written back to `rng`.
// Each event's generator steps wait on the draw before them, so two blocks
// drawn together (R = 2 · kRegs registers, the second block's cells
// `block_cells` after the first's) keep twice as many chains in flight.
template <int R>
__attribute__((target("avx2"))) void draw_events_avx2(const Event* events, std::size_t n_events, int total,
                                                      PathRng* rng, double* flows, std::uint8_t* income_on,
                                                      std::int64_t block_cells) {
  static_assert(R % kRegs == 0, "whole blocks");
  __m256i state[R];
  __m256i lane_of[R];  // a lane's cell on day 0
  for (int h = 0; h < R; ++h) {
    state[h] = lane_states(rng + 4 * h);
    const std::int64_t first = h / kRegs * block_cells + 4 * (h % kRegs);
    lane_of[h] = _mm256_setr_epi64x(first, first + 1, first + 2, first + 3);
  }
  const __m256i zero_i = _mm256_setzero_si256(), gamma = _mm256_set1_epi64x(static_cast<long long>(PathRng::kGamma)),
                total4 = _mm256_set1_epi64x(total);
  const __m256d one = _mm256_set1_pd(1.0), zero = _mm256_setzero_pd();
  for (std::size_t ei = 0; ei < n_events; ++ei) {
    const Event& e = events[ei];
    const __m256i take_below4 = _mm256_set1_epi64x(take_below(e.probability));
    const __m256d amount = _mm256_set1_pd(e.amount), rel_sd = _mm256_set1_pd(e.rel_sd);
    const bool day_draw = e.pending_last_day >= 0 || e.n_jitter > 0;
#pragma GCC unroll 4
    for (int h = 0; h < R; ++h) {
      // An event takes up to three draws: the acceptance, the day (pending or
      // jittered events, lanes that accept) and the amount's noise (lanes that
      // land). A lane's k-th draw is mix(state + k · γ) whichever lanes take
      // it, so the three are worked out at once from the state before the
      // event — not each after the one before — and the state then moves by
      // γ per draw taken (the same positions as drawing one by one).
      const __m256i s1 = _mm256_add_epi64(state[h], gamma), s2 = _mm256_add_epi64(s1, gamma);
      const __m256i taken = _mm256_cmpgt_epi64(take_below4, _mm256_srli_epi64(mix_u64(s1), 11));
      __m256i day = day_draw ? event_day(e, mix_u64(s2)) : _mm256_set1_epi64x(e.day);
      state[h] = day_draw ? _mm256_add_epi64(s1, _mm256_and_si256(taken, gamma)) : s1;
      day = _mm256_andnot_si256(_mm256_cmpgt_epi64(zero_i, day), day);  // a negative day is day 0
      const __m256i lands = _mm256_and_si256(taken, _mm256_cmpgt_epi64(total4, day));
      const unsigned land_mask = static_cast<unsigned>(_mm256_movemask_pd(_mm256_castsi256_pd(lands)));
      if (land_mask == 0) continue;
      __m256d value = amount;
      if (e.rel_sd > 0) {
        // The landing lanes took the day draw too if there was one: their
        // noise is the draw after it.
        const __m256i noise_state = day_draw ? _mm256_add_epi64(s2, gamma) : s2;
        state[h] = _mm256_add_epi64(state[h], _mm256_and_si256(lands, gamma));
        const __m256d z = normal_one_draw_avx2(mix_u64(noise_state), land_mask);
        // std::max(0.0, f) is `0.0 < f ? f : 0.0`, which is maxpd(f, 0).
        value = _mm256_mul_pd(amount, _mm256_max_pd(_mm256_add_pd(one, _mm256_mul_pd(rel_sd, z)), zero));
      }
      add_flows(day, lane_of[h], value, land_mask, e.income, flows, income_on);
    }
  }
  for (int h = 0; h < R; ++h) store_lane_states(state[h], rng + 4 * h);
}
#endif

// The steps of project(), in the order it runs them.

// The forecast window in day indexes from the model's as_of (its first
// unseen day): days [0, lead) are simulated but not reported, days
// [lead, total) are the forecast's.
struct Window {
  Date start{};     // the model's as_of: day index 0
  Date as_of{};     // the first forecast day, start + lead
  int lead = 0;
  int horizon = 0;  // forecast days
  int total = 0;    // lead + horizon
  int paths = 0;
};

Window window_of(const CashFlowModel& m, Date as_of, const ProjectionParams& pp) {
  Window w;
  w.horizon = std::clamp(pp.horizon_days, 1, 366);
  w.paths = std::clamp(pp.paths, 16, 4096);
  w.start = m.as_of;
  if (as_of < w.start) as_of = w.start;
  w.lead = std::min(days_between(w.start, as_of), 366);
  w.as_of = w.start + Days{w.lead};
  w.total = w.lead + w.horizon;
  return w;
}

// What the forecast covers and the model's flags; no days yet.
BalanceForecast forecast_header(const CashFlowModel& m, const Window& w, const ProjectionParams& pp) {
  BalanceForecast f;
  f.account_id = m.account_id;
  f.as_of = w.as_of;
  f.horizon_days = w.horizon;
  f.buffer = pp.buffer;
  f.start_balance = m.current_balance;
  f.paths = w.paths;
  f.fallback = m.fallback;
  f.fallback_reason = m.fallback_reason;
  f.balance_known = m.balance_known;
  return f;
}

// An occurrence of stream `index`, not yet placed on a day.
Event stream_event(const RecurringStream& s, std::size_t index) {
  Event e;
  e.amount = std::isfinite(s.amount_cents) ? s.amount_cents : 0.0;
  e.rel_sd = std::isfinite(s.amount_rel_sd) ? s.amount_rel_sd : 0.0;
  e.probability = s.occurrence_probability;
  e.jitter = s.jitter_samples.data();
  e.n_jitter = static_cast<int>(s.jitter_samples.size());
  e.income = s.kind == StreamKind::kIncome;
  e.stream = static_cast<int>(index);
  return e;
}

// The streams' scheduled occurrences on days [0, total), plus each pending
// one (due before the model's as_of, still within its jitter), which lands
// somewhere from day 0 to the end of its jitter. Returns the day of the
// latest income in history (-1000: none): paydays start the post-payday effect.
int collect_events(const CashFlowModel& m, const Window& w, std::vector<Event>& events, std::vector<Date>& dates) {
  events.clear();
  int last_income_day = -1000;
  for (std::size_t si = 0; si < m.streams.size(); ++si) {
    const RecurringStream& s = m.streams[si];
    if (s.kind == StreamKind::kIncome) last_income_day = std::max(last_income_day, days_between(w.start, s.last_seen));
    if (s.status == StreamStatus::kStopped || !(s.occurrence_probability > 0)) continue;
    const Event base = stream_event(s, si);
    if (s.has_pending && s.status == StreamStatus::kActive) {
      Event e = base;
      e.day = 0;
      e.pending_last_day = std::max(0, days_between(w.start, s.pending_due + Days{s.jitter_days + 1}));
      e.probability = s.occurrence_probability * 0.8;
      events.push_back(e);
    }
    schedule_dates(s.schedule, std::max(w.start, s.next_date), w.start + Days{w.total - 1}, dates);
    for (Date d : dates) {
      Event e = base;
      e.day = days_between(w.start, d);
      events.push_back(e);
    }
  }
  return last_income_day;
}

// The events from the forecast's first day on, as the forecast lists them, by date.
void list_scheduled(const CashFlowModel& m, const Window& w, std::span<const Event> events,
                    std::vector<ScheduledFlow>& scheduled) {
  for (const Event& e : events) {
    if (e.day < w.lead) continue;
    const RecurringStream& s = m.streams[static_cast<std::size_t>(e.stream)];
    scheduled.push_back(ScheduledFlow{w.start + Days{e.day}, to_money(e.amount), s.label, s.kind, e.probability,
                                      e.pending_last_day >= 0});
  }
  std::sort(scheduled.begin(), scheduled.end(),
            [](const ScheduledFlow& a, const ScheduledFlow& b) { return a.date < b.date; });
}

// What every block of paths shares: how discretionary flows are drawn, where
// the balance starts, and which code runs.
struct PathPlan {
  bool resample = false;     // whole past days resampled (full model, ≥ 14 pool days); else Gaussian drift
  bool vector_code = false;  // AVX2 event draws and quantile bins
  bool avx2_days = false;    // AVX2 resampling day loop (resample and vector_code)
  int pool = 0;              // history days of discretionary flow to draw from
  int last_income_day = -1000;
  double start_balance = 0;  // cents
  double buffer = 0;         // cents
  std::uint64_t shock_threshold = 0;  // a draw's bits 16–31 below this: a large one-off expense that day
  double shock_amount = 0;            // its size, cents
  std::size_t stride = 0;             // paths padded to whole blocks: a day's row of balances
  std::size_t block_cells = 0;        // total days × kLanes: one block's flows
};

PathPlan plan_paths(const CashFlowModel& m, const Window& w, const ProjectionParams& pp, int last_income_day) {
  const SpendingModel& sp = m.spending;
  constexpr int kLanes = ProjectionWorkspace::kLanes;
  PathPlan plan;
  plan.pool = static_cast<int>(sp.daily_outflow_cents.size());
  plan.resample = m.kind == ModelKind::kFull && plan.pool >= 14 &&
                  sp.daily_inflow_cents.size() == sp.daily_outflow_cents.size() &&
                  sp.after_payday.size() == sp.daily_outflow_cents.size();
#if HEADROOM_FORECAST_AVX2
  plan.vector_code = pp.vectorized && cpu_has_avx2();
#endif
  plan.avx2_days = plan.resample && plan.vector_code;
  plan.last_income_day = last_income_day;
  plan.start_balance = m.current_balance.as_double();
  plan.buffer = pp.buffer.as_double();
  plan.shock_threshold = static_cast<std::uint64_t>(std::clamp(sp.shock_rate_per_day, 0.0, 1.0) * 65536.0);
  plan.shock_amount = sp.shock_amount_cents;
  plan.stride = static_cast<std::size_t>((w.paths + kLanes - 1) / kLanes * kLanes);
  plan.block_cells = static_cast<std::size_t>(w.total) * kLanes;
  return plan;
}

// Per target day: the newest pool day with the same weekday and how many
// weeks back a draw may go (recent window / whole pool). Same for all paths.
// With pool ≥ 14 every target day has at least two candidate weeks.
void fill_day_sources(int pool, int total, std::vector<ProjectionWorkspace::DaySource>& source) {
  constexpr int kRecentWeeks = 6;
  source.resize(static_cast<std::size_t>(total));
  for (int t = 0; t < total; ++t) {
    ProjectionWorkspace::DaySource& ds = source[static_cast<std::size_t>(t)];
    ds.newest = pool - 7 + t % 7;
    const int weeks = ds.newest / 7 + 1;
    ds.weeks[0] = static_cast<std::uint32_t>(std::min(kRecentWeeks, weeks));
    ds.weeks[1] = static_cast<std::uint32_t>(weeks);
  }
}

// The net discretionary flow of drawing pool day `src` for a target day
// before/after payday, worked out once per pool day instead of per draw
// (the same expression, so the same bits).
void fill_net_pool(const SpendingModel& sp, int pool, std::vector<double>& net_pool) {
  const double pay_factor = sp.payday_factor > 0 ? sp.payday_factor : 1.0;
  // [source after payday][target after payday]; ×1.0 is exact, so a table
  // replaces the data-dependent branch without changing a bit.
  const double pay_mult[2][2] = {{1.0, pay_factor}, {1.0 / pay_factor, 1.0}};
  const double* out_pool = sp.daily_outflow_cents.data();
  const double* in_pool = sp.daily_inflow_cents.data();
  const std::uint8_t* after_pool = sp.after_payday.data();
  net_pool.resize(2 * static_cast<std::size_t>(pool));
  for (int i = 0; i < pool; ++i)
    for (int a = 0; a < 2; ++a)
      net_pool[static_cast<std::size_t>(a * pool + i)] = in_pool[i] - out_pool[i] * pay_mult[after_pool[i] != 0][a];
}

// Sizes the workspace for this call. Buffers every block overwrites keep
// their old contents; the AVX2 loop's per-day counts start at zero.
void prepare_workspace(const SpendingModel& sp, const Window& w, const PathPlan& plan, ProjectionWorkspace& ws) {
  if (plan.resample) {
    fill_day_sources(plan.pool, w.total, ws.source);
    fill_net_pool(sp, plan.pool, ws.net_pool);
  } else {
    ws.source.clear();
  }
  // balances[day * stride + path]: a day's paths are contiguous for the summaries.
  const std::size_t n_balances = static_cast<std::size_t>(w.horizon) * plan.stride;
  if (ws.balances_capacity < n_balances) {
    ws.balances = std::make_unique_for_overwrite<double[]>(n_balances);
    ws.balances_capacity = n_balances;
  }
  // Two blocks' flows: the AVX2 events' draws fill a pair of blocks at once.
  ws.flows.resize(2 * plan.block_cells);
  ws.income_on.resize(2 * plan.block_cells);
  if (plan.avx2_days) ws.day_counts.assign(static_cast<std::size_t>(w.horizon) * 8, 0);
}

// Clears the flows of the block at path p0 and seeds its generators; the
// vector code does the same for the next block too and draws both blocks'
// events (together: twice as many independent chains in flight).
void start_blocks(const Window& w, const PathPlan& plan, std::uint64_t seed, int p0, ProjectionWorkspace& ws,
                  PathRng* rng_pair) {
  constexpr int kLanes = ProjectionWorkspace::kLanes;
  double* const flows = ws.flows.data();
  std::uint8_t* const income_on = ws.income_on.data();
  const std::size_t cells = plan.block_cells;
  const int blocks = plan.vector_code && p0 + kLanes < w.paths ? 2 : 1;
  // A block at a time: a pair's flows in one call would pass glibc's
  // threshold for `rep stosb`, slower at this size.
  for (int k = 0; k < blocks; ++k) {
    std::fill(flows + k * cells, flows + (k + 1) * cells, 0.0);
    std::fill(income_on + k * cells, income_on + (k + 1) * cells, std::uint8_t{0});
  }
  for (int l = 0; l < blocks * kLanes; ++l) rng_pair[l] = PathRng(seed, static_cast<std::uint64_t>(p0 + l));
#if HEADROOM_FORECAST_AVX2
  const auto cells_i = static_cast<std::int64_t>(cells);
  const std::vector<Event>& events = ws.events;
  if (plan.vector_code && blocks == 2)
    draw_events_avx2<2 * kRegs>(events.data(), events.size(), w.total, rng_pair, flows, income_on, cells_i);
  else if (plan.vector_code)
    draw_events_avx2<kRegs>(events.data(), events.size(), w.total, rng_pair, flows, income_on, cells_i);
#endif
}

// The scheduled events of one block, portable code. Event by event, the
// lanes side by side: each lane still draws in event order, and the lanes'
// draws are independent chains the CPU overlaps.
void draw_events(std::span<const Event> events, int total, PathRng* rng, double* flows, std::uint8_t* income_on) {
  constexpr int kLanes = ProjectionWorkspace::kLanes;
  for (const Event& e : events) {
    for (int l = 0; l < kLanes; ++l) {
      PathRng& r = rng[l];
      if (r.uniform() >= e.probability) continue;
      int day = e.day;
      if (e.pending_last_day >= 0) {
        day = r.uniform_int(0, e.pending_last_day);
      } else if (e.n_jitter > 0) {
        day += e.jitter[r.uniform_int(0, e.n_jitter - 1)];
      }
      if (day < 0) day = 0;
      if (day >= total) continue;
      double amount = e.amount;
      if (e.rel_sd > 0) amount *= std::max(0.0, 1.0 + e.rel_sd * r.normal_one_draw());
      flows[day * kLanes + l] += amount;
      if (e.income) income_on[day * kLanes + l] = 1;
    }
  }
}

// One block's balances in the portable day loops, and whether each lane went
// below zero or the buffer on a window day.
struct BlockLanes {
  static constexpr int kLanes = ProjectionWorkspace::kLanes;
  double bal[kLanes];
  bool below0[kLanes], below_buf[kLanes];

  explicit BlockLanes(double start_balance) {
    for (int l = 0; l < kLanes; ++l) {
      bal[l] = start_balance;
      below0[l] = below_buf[l] = false;
    }
  }
  // End of day t: from the window's first day on, keep the balances.
  void record_day(const BlockLoop& b, double buffer, int t) {
    if (t < b.lead) return;
    double* const row = b.balances + static_cast<std::size_t>(t - b.lead) * b.stride;
    for (int l = 0; l < kLanes; ++l) {
      row[l] = bal[l];
      below0[l] |= bal[l] < 0;
      below_buf[l] |= bal[l] < buffer;
    }
  }
  // Padding lanes past the real paths are simulated but never counted.
  BlockBelow below(int valid_lanes) const {
    BlockBelow out;
    for (int l = 0; l < valid_lanes; ++l) {
      out.zero |= unsigned{below0[l]} << l;
      out.buffer |= unsigned{below_buf[l]} << l;
    }
    return out;
  }
};

// Share of draws from the recent weeks, as a 16-bit threshold.
constexpr std::uint64_t kRecentThreshold = 32768;  // 0.5

// The resampling day loop of one block, portable code (run_block_avx2() is
// the same loop on four lanes per register). Out of line: on its own the
// compiler keeps more of it in registers (callgrind: 0.7 % fewer
// instructions per projection than inlined into run_paths()).
__attribute__((noinline)) BlockBelow run_block_resampled(const BlockLoop& b, PathRng* rng) {
  constexpr int kLanes = ProjectionWorkspace::kLanes;
  // Locals, not b's fields, in the loop: the generators' and balances' stores
  // could alias them, and reloading a field per lane costs a register.
  const ProjectionWorkspace::DaySource* const source = b.source;
  const double* const flows = b.flows;
  const std::uint8_t* const income_on = b.income_on;
  const double* const net_pool = b.net_pool;
  const int pool = b.pool, total = b.total;
  const std::uint64_t shock_threshold = b.shock_threshold;
  const double buffer = b.buffer, shock_amount = b.shock_amount;
  BlockLanes lanes(b.start_balance);
  int last_income[kLanes];
  for (int l = 0; l < kLanes; ++l) last_income[l] = b.last_income_day;
  for (int t = 0; t < total; ++t) {
    const ProjectionWorkspace::DaySource ds = source[t];
    const double* const flow_t = flows + t * kLanes;
    const std::uint8_t* const income_t = income_on + t * kLanes;
#pragma GCC unroll 8
    for (int l = 0; l < kLanes; ++l) {
      last_income[l] = income_t[l] ? t : last_income[l];
      // One draw: bits 0–15 pick recent vs whole pool, 16–31 the shock,
      // 32–63 how many weeks back.
      const std::uint64_t x = rng[l].next();
      // An index, not a branch: the choice is a coin flip the predictor cannot learn.
      const std::uint64_t weeks = ds.weeks[(x & 0xFFFF) >= kRecentThreshold];
      const int src = ds.newest - 7 * static_cast<int>(((x >> 32) * weeks) >> 32);
      const int tgt_after = t - last_income[l] <= 3;
      // Subtracting 0.0 is exact: the shock stays branch-free.
      const double d = net_pool[tgt_after * pool + src] - (((x >> 16) & 0xFFFF) < shock_threshold ? shock_amount : 0.0);
      lanes.bal[l] += flow_t[l] + d;
    }
    lanes.record_day(b, buffer, t);
  }
  return lanes.below(b.valid_lanes);
}

// The fallback model's day loop: Gaussian drift instead of resampled days.
BlockBelow run_block_drift(const BlockLoop& b, double drift_mean, double drift_sd, PathRng* rng) {
  constexpr int kLanes = ProjectionWorkspace::kLanes;
  const double buffer = b.buffer;
  BlockLanes lanes(b.start_balance);
  for (int t = 0; t < b.total; ++t) {
    const double* const flow_t = b.flows + t * kLanes;
    for (int l = 0; l < kLanes; ++l) lanes.bal[l] += flow_t[l] + (drift_mean + drift_sd * rng[l].normal());
    lanes.record_day(b, buffer, t);
  }
  return lanes.below(b.valid_lanes);
}

// Paths below zero / below the buffer on some window day.
struct WindowBelow {
  int zero = 0;
  int buffer = 0;
};

// Every path, a block of kLanes at a time: each lane is one path with its
// own random stream (the same stream, consumed in the same order, as a path
// run alone), and the lanes' balance chains are independent, so the day loop
// keeps several in flight instead of waiting on one add-and-gather chain.
WindowBelow run_paths(const SpendingModel& sp, const Window& w, const PathPlan& plan, std::uint64_t seed,
                      ProjectionWorkspace& ws) {
  constexpr int kLanes = ProjectionWorkspace::kLanes;
  WindowBelow below;
  PathRng rng_pair[2 * kLanes];
  for (int p0 = 0; p0 < w.paths; p0 += kLanes) {
    // The vector code draws the events of blocks 0 and 1, 2 and 3, … together;
    // an odd block's flows and generators are the second half of the pair's.
    const bool second_of_pair = plan.vector_code && (p0 / kLanes) % 2 == 1;
    const std::size_t half = second_of_pair ? plan.block_cells : 0;
    PathRng* const rng = rng_pair + (second_of_pair ? kLanes : 0);
    if (!second_of_pair) start_blocks(w, plan, seed, p0, ws, rng_pair);
    if (!plan.vector_code) draw_events(ws.events, w.total, rng, ws.flows.data() + half, ws.income_on.data() + half);
    const BlockLoop loop{ws.source.data(),     ws.flows.data() + half, ws.income_on.data() + half,
                         ws.net_pool.data(),   plan.pool,              w.total,
                         w.lead,               plan.start_balance,     plan.buffer,
                         plan.last_income_day, plan.shock_threshold,   plan.shock_amount,
                         ws.balances.get() + p0, plan.stride,          ws.day_counts.data(),
                         std::min(kLanes, w.paths - p0)};
#if HEADROOM_FORECAST_AVX2
    const BlockBelow block = plan.avx2_days  ? run_block_avx2(loop, rng)
                             : plan.resample ? run_block_resampled(loop, rng)
                                             : run_block_drift(loop, sp.drift_mean_cents, sp.drift_sd_cents, rng);
#else
    const BlockBelow block = plan.resample ? run_block_resampled(loop, rng)
                                           : run_block_drift(loop, sp.drift_mean_cents, sp.drift_sd_cents, rng);
#endif
    below.zero += std::popcount(block.zero);
    below.buffer += std::popcount(block.buffer);
  }
  return below;
}

// One window day's paths below zero and below the buffer: counted by the
// AVX2 day loop as it went (`counts`), else counted here.
std::pair<std::int64_t, std::int64_t> paths_below(const double* day_balances, const std::int64_t* counts, int n_paths,
                                                  double buffer) {
  std::int64_t below0 = 0, below_buf = 0;
  if (counts != nullptr) {
    below0 = counts[0] + counts[1] + counts[2] + counts[3];
    below_buf = counts[4] + counts[5] + counts[6] + counts[7];
  } else {
    for (int p = 0; p < n_paths; ++p) {
      below0 += day_balances[p] < 0;
      below_buf += day_balances[p] < buffer;
    }
  }
  return {below0, below_buf};
}

// Per forecast day: the shares of paths below zero and below the buffer and,
// when asked, the p10/p50/p90 balances.
void summarize_days(const Window& w, const PathPlan& plan, bool quantiles, ProjectionWorkspace& ws,
                    std::vector<DayForecast>& days) {
  const int n_paths = w.paths;
  const auto n_paths_z = static_cast<std::size_t>(n_paths);
  days.resize(static_cast<std::size_t>(w.horizon));
  if (quantiles) {
    ws.select_scratch.resize(4 * n_paths_z);
    ws.select_bin_bytes.resize((n_paths_z + 31) / 32 * 32);
    ws.select_bins.resize(n_paths_z);
  }
  for (int d = 0; d < w.horizon; ++d) {
    const double* col = ws.balances.get() + static_cast<std::size_t>(d) * plan.stride;
    const std::int64_t* counts = plan.avx2_days ? ws.day_counts.data() + static_cast<std::size_t>(d) * 8 : nullptr;
    const auto [below0, below_buf] = paths_below(col, counts, n_paths, plan.buffer);
    DayForecast& day = days[static_cast<std::size_t>(d)];
    day.date = w.as_of + Days{d};
    day.p_below_zero = double(below0) / n_paths;
    day.p_below_buffer = double(below_buf) / n_paths;
    if (!quantiles) continue;
    const int ranks[3] = {n_paths / 10, n_paths / 2, (9 * n_paths) / 10};
    double q[3];
    select_ranks_binned(col, n_paths, ranks, 3, q, ws.select_scratch.data(), ws.select_bins.data(),
                        ws.select_bin_bytes.data(), plan.vector_code);
    day.p10 = to_money(q[0]);
    day.p50 = to_money(q[1]);
    day.p90 = to_money(q[2]);
  }
}

// E[−balance | balance < 0] over one day's paths (0 when none is below).
Money expected_shortfall(const double* day_balances, int n_paths) {
  int below0 = 0;
  double short_sum = 0;
  for (int p = 0; p < n_paths; ++p) {
    if (day_balances[p] < 0) {
      short_sum -= day_balances[p];
      ++below0;
    }
  }
  return to_money(below0 > 0 ? short_sum / below0 : 0.0);
}

// The earliest days (at most max_risk_days) with P(balance < 0) at or above
// the risk threshold, each with its expected shortfall and drivers.
void find_risk_days(const CashFlowModel& m, const ProjectionParams& pp, const double* balances, std::size_t stride,
                    BalanceForecast& f) {
  const int horizon = static_cast<int>(f.days.size());
  for (int d = 0; d < horizon && static_cast<int>(f.risk_days.size()) < pp.max_risk_days; ++d) {
    const DayForecast& day = f.days[static_cast<std::size_t>(d)];
    if (day.p_below_zero < pp.risk_threshold || day.p_below_zero <= 0) continue;
    RiskDay rd;
    rd.date = day.date;
    rd.p_below_zero = day.p_below_zero;
    rd.p_below_buffer = day.p_below_buffer;
    rd.expected_shortfall = expected_shortfall(balances + static_cast<std::size_t>(d) * stride, f.paths);
    rd.drivers = explain_day(m, f.scheduled, f.as_of, day.date, rd.expected_shortfall);
    f.risk_days.push_back(std::move(rd));
  }
}

}  // namespace

const char* driver_kind_name(DriverKind k) {
  switch (k) {
    case DriverKind::kScheduledOutflow: return "scheduled_outflow";
    case DriverKind::kNextIncome: return "next_income";
    case DriverKind::kOverdueIncome: return "overdue_income";
    case DriverKind::kExpectedShortfall: return "expected_shortfall";
    case DriverKind::kSpendingPace: return "spending_pace";
    case DriverKind::kLowBalance: return "low_balance";
  }
  return "unknown";
}

std::vector<Driver> explain_day(const CashFlowModel& m, std::span<const ScheduledFlow> scheduled, Date as_of,
                                Date risky_day, Money expected_shortfall) {
  std::vector<Driver> drivers;
  Date last_income_before = as_of - Days{1};
  for (const auto& s : scheduled)
    if (s.kind == StreamKind::kIncome && s.probability >= 0.5 && s.date <= risky_day && !s.pending)
      last_income_before = std::max(last_income_before, s.date);
  for (const auto& s : scheduled) {
    if (s.kind != StreamKind::kOutflow || s.date > risky_day || s.date < last_income_before) continue;
    drivers.push_back(Driver{DriverKind::kScheduledOutflow, s.label, s.date, Money::from_cents(-s.amount.cents()), 0});
  }
  for (const auto& s : scheduled) {
    if (s.kind == StreamKind::kIncome && s.date > risky_day && s.probability >= 0.3) {
      drivers.push_back(Driver{DriverKind::kNextIncome, s.label, s.date, s.amount, 0});
      break;
    }
  }
  for (const auto& a : m.anomalies) {
    if (a.kind != AnomalyKind::kOverdueIncome) continue;
    const std::string label =
        a.stream >= 0 && static_cast<std::size_t>(a.stream) < m.streams.size() ? m.streams[static_cast<std::size_t>(a.stream)].label : "";
    drivers.push_back(Driver{DriverKind::kOverdueIncome, label, a.date, a.amount, 0});
  }
  if (m.current_balance.cents() < 0)
    drivers.push_back(Driver{DriverKind::kLowBalance, "", as_of - Days{1}, Money::from_cents(-m.current_balance.cents()), 0});
  const auto& sp = m.spending;
  if (sp.pace_ratio >= 1.15 && sp.usual_daily_outflow_cents > 0) {
    const int days = days_between(as_of, risky_day) + 1;
    const double extra = (sp.recent_daily_outflow_cents - sp.usual_daily_outflow_cents) * days;
    drivers.push_back(Driver{DriverKind::kSpendingPace, "", risky_day, Money::from_double(std::max(0.0, extra)), sp.pace_ratio});
  }
  if (expected_shortfall.cents() > 0)
    drivers.push_back(Driver{DriverKind::kExpectedShortfall, "", risky_day, expected_shortfall, 0});
  // The next income is context (when relief comes), not a cause: it goes last.
  std::stable_sort(drivers.begin(), drivers.end(), [](const Driver& a, const Driver& b) {
    const bool a_ctx = a.kind == DriverKind::kNextIncome, b_ctx = b.kind == DriverKind::kNextIncome;
    if (a_ctx != b_ctx) return b_ctx;
    return std::llabs(a.amount.cents()) > std::llabs(b.amount.cents());
  });
  return drivers;
}

BalanceForecast project(const CashFlowModel& m, Date as_of, const ProjectionParams& pp) {
  // One workspace per thread, so a caller without its own does not allocate
  // and free a dozen buffers per call. Nothing in it carries over into a
  // result; a workspace grown past 1 MiB (long horizons, many paths) is
  // released rather than kept for the thread's lifetime.
  thread_local ProjectionWorkspace ws;
  BalanceForecast f = project(m, as_of, pp, ws);
  if (ws.balances_capacity * sizeof(double) > (std::size_t{1} << 20)) ws = ProjectionWorkspace{};
  return f;
}

BalanceForecast project(const CashFlowModel& m, Date as_of, const ProjectionParams& pp, ProjectionWorkspace& ws) {
  const Window w = window_of(m, as_of, pp);
  BalanceForecast f = forecast_header(m, w, pp);
  const int last_income_day = collect_events(m, w, ws.events, ws.dates);
  list_scheduled(m, w, ws.events, f.scheduled);
  const PathPlan plan = plan_paths(m, w, pp, last_income_day);
  prepare_workspace(m.spending, w, plan, ws);
  const WindowBelow below = run_paths(m.spending, w, plan, pp.seed, ws);
  f.p_overdraft_window = double(below.zero) / w.paths;
  f.p_below_buffer_window = double(below.buffer) / w.paths;
  summarize_days(w, plan, pp.quantiles, ws, f.days);
  if (pp.explain) find_risk_days(m, pp, ws.balances.get(), plan.stride, f);
  return f;
}

}  // namespace headroom::forecast
