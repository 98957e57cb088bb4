#pragma once
// Every tunable number of the simulator, in one place, with unit and default.
//
// Money amounts are in dollars (double) here because they describe
// distributions; the simulator turns every drawn amount into whole cents.
// "Share" = probability that an account has the trait (0..1).
// Defaults are tuned so that a 10,000-account year has roughly 25-35% of
// accounts with at least one overdraft day (docs/simulator.md).

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace headroom::sim {

// Mix of income patterns; weights, normalised by their sum. Defaults follow the
// rough US payroll mix (BLS: biweekly most common, then weekly, semi-monthly).
struct IncomeMix {
  double monthly_fixed_day = 0.06;         // same day each month (business-day adjusted)
  double monthly_last_business_day = 0.06;  // last business day of the month
  double semi_monthly = 0.18;               // 15th and last day of the month
  double biweekly = 0.40;                   // every other Friday
  double weekly = 0.20;                     // every Friday
  double gig = 0.10;                        // irregular platform payouts
};

// Shares of budget segments; weights, normalised by their sum.
struct BudgetMix {
  double tight = 0.34;        // spends about all of income, small cushion
  double balanced = 0.40;     // spends most of income
  double comfortable = 0.26;  // saves, large cushion
};

// How an account responds to a nudge (section "Responses" of docs/simulator.md).
// P(act) = logistic(intercept + channel + lead + relevance - fatigue - quiet hours + variant),
// unless forced_probability is set.
struct ResponseParams {
  double intercept = -1.6;
  double in_app_logit = 0.3;              // added for channel in_app
  double email_logit = 0.0;               // added for channel email
  double lead_time_logit_per_day = 0.25;  // per day of lead time, capped at max_lead_time_days
  int max_lead_time_days = 5;
  double relevance_logit = 1.4;           // added when the account is truly at risk (its own no-action
                                          // lookahead has an end-of-day balance < 0 by the risky day)
  double fatigue_logit_per_nudge = 0.6;   // subtracted per nudge received in the last fatigue_window_days
  int fatigue_window_days = 7;
  double quiet_hours_logit = 1.0;         // subtracted when sent inside quiet hours (account local time)
  int quiet_hours_start_hour = 21;        // local hour, inclusive
  int quiet_hours_end_hour = 8;           // local hour, exclusive
  // Optional logit shift per copy variant (exact name match).
  std::vector<std::pair<std::string, double>> variant_logit;
  // Tests and what-if runs: overrides the logistic model when set (0..1).
  std::optional<double> forced_probability;

  // What an account does once it acts: weights among the feasible actions.
  double weight_postpone_spending = 0.45;  // always feasible
  double weight_move_from_savings = 0.35;  // feasible with a savings balance > 0
  double weight_reschedule_bill = 0.20;    // feasible when a bill posts before the risky day
  double postpone_cut = 0.7;               // share of discretionary card spending held back until the risky day
  double postponed_share_spent_later = 0.5;  // share of the held-back amount spent the day after
  double savings_buffer_dollars = 50.0;    // moved on top of the foreseen shortfall
  double savings_min_transfer_dollars = 100.0;
  int reschedule_max_days = 10;            // a rescheduled bill posts at most this many days after the risky day
  int lookahead_max_days = 14;             // how far the relevance check looks ahead
};

struct SimParams {
  IncomeMix income_mix;
  BudgetMix budget_mix;

  // Net income per month (dollars), lognormal.
  double monthly_income_median = 3300.0;
  double monthly_income_sigma = 0.45;
  double gig_income_factor = 0.7;       // gig workers' median relative to the above
  double gig_deposit_days_per_week = 3.0;  // mean payout days per week for gig income
  double gig_amount_sigma = 0.6;

  // Spending as a share of income, by budget segment (uniform ranges).
  std::array<double, 2> spend_ratio_tight{0.97, 1.04};
  std::array<double, 2> spend_ratio_balanced{0.90, 0.98};
  std::array<double, 2> spend_ratio_comfortable{0.72, 0.88};
  // Cushion the account holder steers towards, in months of income.
  std::array<double, 2> cushion_tight{0.00, 0.25};
  std::array<double, 2> cushion_balanced{0.25, 0.70};
  std::array<double, 2> cushion_comfortable{0.90, 2.50};
  // Share of the accruing monthly bills the holder mentally sets aside (uniform ranges).
  std::array<double, 2> bill_planning_tight{0.3, 0.9};
  std::array<double, 2> bill_planning_balanced{0.7, 1.0};
  std::array<double, 2> bill_planning_comfortable{0.9, 1.0};
  // Discretionary spending multiplier = 1 + feedback * (balance - target) / monthly income,
  // clamped, where target = cushion + the share of the last paycheck not yet due to be
  // spent + bill_planning * the accrued part of the monthly bills: people spend less when
  // the account looks low for this point of the pay period and the billing month.
  double balance_feedback = 1.0;
  double spending_multiplier_min = 0.4;
  double spending_multiplier_max = 1.3;

  // Housing: shares (rest: no housing payment from this account) and cost as share of income.
  double rent_share = 0.55;
  double mortgage_share = 0.28;
  std::array<double, 2> rent_income_share{0.26, 0.40};
  std::array<double, 2> mortgage_income_share{0.20, 0.32};

  // Utilities: electricity is seasonal (peaks in January and July).
  double electricity_share = 0.90;
  double electricity_income_share = 0.035;
  double electricity_seasonal_amplitude = 0.35;  // +-35% around the mean
  double water_share = 0.55;
  double phone_share = 0.95;
  double internet_share = 0.80;

  // Loans and insurance.
  double auto_loan_share = 0.33;
  double student_loan_share = 0.22;
  double card_payment_share = 0.35;  // credit-card bill paid from checking, variable amount
  double insurance_share = 0.60;

  // Subscriptions: Poisson count per account; some start or stop inside the year.
  double subscriptions_mean = 2.5;
  double subscription_late_start_share = 0.25;
  double subscription_stop_share = 0.30;

  // Card spending: transactions per day (Poisson), weekday pattern, post-payday boost, heavy tail.
  double card_transactions_per_day = 1.0;
  std::array<double, 7> weekday_multiplier{0.85, 0.88, 0.92, 0.97, 1.02, 1.2, 1.16};  // Sun..Sat
  double payday_boost = 0.45;          // extra spending the payday and the two days after
  double card_amount_sigma = 0.9;      // lognormal spread of one purchase
  double card_big_ticket_share = 0.02; // share of purchases drawn from a Pareto tail instead
  double card_big_ticket_alpha = 1.7;

  // Occasional large one-off expenses (car repair, vet, medical): Poisson per year, Pareto amount.
  double one_off_per_year = 2.0;
  double one_off_min_dollars = 250.0;
  double one_off_alpha = 1.5;
  double one_off_max_dollars = 15000.0;

  // Savings: a linked savings account, swept after payday when checking looks comfortable.
  double savings_share = 0.45;
  std::array<double, 2> savings_start_months{0.1, 2.0};  // balance in months of income (uniform)
  std::array<double, 2> savings_sweep_share{0.03, 0.10}; // of each paycheck
  double self_rescue_probability = 0.35;  // a saver who sees a negative balance tops up next morning

  // Shocks, drawn once per account over the horizon.
  int horizon_days = 365;                  // shocks are placed in [start, start + horizon_days)
  double tax_refund_share = 0.45;          // posts mid-February to April
  double tax_refund_median_dollars = 2200.0;
  double stimulus_share = 0.0;             // one-off government payment on stimulus_day_offset
  double stimulus_dollars = 1400.0;
  int stimulus_day_offset = 100;
  double bonus_share = 0.10;               // employer bonus, 0.5-1.5 months of pay
  double paycheck_delay_share = 0.12;      // one paycheck posts late
  std::array<int, 2> paycheck_delay_days{1, 5};
  double job_loss_share = 0.06;            // income stops for weeks to months (not gig accounts)
  std::array<int, 2> job_loss_days{21, 180};
  double unemployment_benefit_share = 0.6; // of those, share that get weekly benefits after 14 days
  double unemployment_benefit_ratio = 0.40;
  double raise_share = 0.30;
  std::array<double, 2> raise_fraction{0.02, 0.10};

  // Opening checking balance = the holder's spending target on the start date
  // (profile.hpp, spending_target_cents) * lognormal(1, sigma), at least this floor.
  double opening_balance_sigma = 0.3;
  double opening_balance_floor_dollars = 40.0;

  // Bank fees.
  double overdraft_fee_dollars = 35.0;  // per day with an end-of-day balance < 0
  int overdraft_fees_per_month_cap = 3;

  ResponseParams response;
};

}  // namespace headroom::sim
