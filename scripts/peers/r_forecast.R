# The R peers of scripts/evaluate.sh: what an analyst would fit to an
# account's daily end-of-day balance with R's forecast package, MODEL being
# auto.arima or ets.
#
#   /usr/bin/Rscript scripts/peers/r_forecast.R MODEL TRANSACTIONS.csv TASKS.csv HORIZON PATHS SEED OUT.csv
#
# For each task (account_id, origin) it builds the end-of-day balance series
# of the days before origin the way the engine does (the bank's balance_after
# of the day's last row, else the last known balance carried forward with the
# amounts, carried over days without rows; at most the last 400 days), fits
# forecast::auto.arima or forecast::ets to it, simulates PATHS sample paths of HORIZON days and
# writes p_overdraft = the share of paths with an end-of-day balance < 0 on at
# least one day of [origin, origin + HORIZON - 1]: the backtest's output format.
# A fit that fails gives the last balance's sign (and is counted on stderr).
# Tasks run on every core (parallel::mclapply); the L'Ecuyer streams make the
# output the same for the same SEED and core count.
suppressPackageStartupMessages({
  library(forecast)
  library(parallel)
})

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 7 || !(args[1] %in% c("auto.arima", "ets"))) {
  stop("usage: r_forecast.R auto.arima|ets TRANSACTIONS.csv TASKS.csv HORIZON PATHS SEED OUT.csv", call. = FALSE)
}
model <- args[1]
fit_model <- if (model == "ets") ets else auto.arima
args <- args[-1]
horizon <- as.integer(args[3])
paths <- as.integer(args[4])
max_days <- 400L

txns <- read.csv(args[1], colClasses = c("character", "character", "character", "numeric", "numeric",
                                          "character", "character"),
                 na.strings = "", quote = "\"", stringsAsFactors = FALSE)
txns$posted_at <- as.Date(txns$posted_at)
tasks <- read.csv(args[2], colClasses = "character", stringsAsFactors = FALSE)[, c("account_id", "origin")]
tasks$origin <- as.Date(tasks$origin)
by_account <- split(txns[, c("posted_at", "amount", "balance_after")], txns$account_id)

end_of_day_balances <- function(rows, origin) {
  rows <- rows[rows$posted_at < origin, ]
  if (nrow(rows) == 0) return(NULL)
  after <- numeric(nrow(rows))
  last <- 0
  for (i in seq_len(nrow(rows))) {
    last <- if (is.na(rows$balance_after[i])) last + rows$amount[i] else rows$balance_after[i]
    after[i] <- last
  }
  # Last row of each posted day, then carried forward to origin - 1.
  last_of_day <- !duplicated(rows$posted_at, fromLast = TRUE)
  known_days <- rows$posted_at[last_of_day]
  days <- seq(max(min(known_days), origin - max_days), origin - 1, by = "day")
  after[last_of_day][findInterval(as.numeric(days), as.numeric(known_days))]
}

score_task <- function(i) {
  started <- proc.time()[["elapsed"]]
  y <- end_of_day_balances(by_account[[tasks$account_id[i]]], tasks$origin[i])
  failed <- FALSE
  p <- if (is.null(y)) 0 else tryCatch({
    fit <- fit_model(ts(y))
    lows <- vapply(seq_len(paths), function(k) min(simulate(fit, nsim = horizon, future = TRUE)), numeric(1))
    mean(lows < 0)
  }, error = function(e) {
    failed <<- TRUE
    as.numeric(y[length(y)] < 0)
  })
  c(p = p, failed = failed, seconds = proc.time()[["elapsed"]] - started)
}

RNGkind("L'Ecuyer-CMRG")
set.seed(as.integer(args[5]))
started <- proc.time()[["elapsed"]]
cores <- max(1L, detectCores())
scored <- do.call(rbind, mclapply(seq_len(nrow(tasks)), score_task, mc.cores = cores, mc.set.seed = TRUE))
wall <- proc.time()[["elapsed"]] - started

write.csv(data.frame(account_id = tasks$account_id, origin = format(tasks$origin),
                     p_overdraft = sprintf("%.6f", scored[, "p"])),
          args[6], row.names = FALSE, quote = FALSE)
message(sprintf("# %s: %d tasks in %.1f s on %d cores, %.0f ms per task (median %.0f ms), %d fits failed",
                model, nrow(tasks), wall, cores, 1000 * mean(scored[, "seconds"]), 1000 * median(scored[, "seconds"]),
                sum(scored[, "failed"])))
