#pragma once
// Headroom's configuration: every setting of the binary, in one Config built
// once per verb by load_config and passed down by const&. Each field says its
// TOML key (if any), its environment variable, its unit and its default.
// Sources, later ones win:
//   1. defaults (below);
//   2. a TOML file given with --config FILE (or HEADROOM_CONFIG), one table per area;
//   3. HEADROOM_* environment variables.
// Secrets (the database password, SMTP password, API token, unsubscribe
// secret) come only from the environment or from a file named by the matching
// *_FILE variable (setting both is refused), never from flags or the config file.
// Settings without a TOML key are read from the environment only (SMTP,
// logging, the unsubscribe link base). Unknown tables, and unknown keys inside
// a known table, are refused so that typos do not pass silently. Whole numbers
// are read by one helper (cli/environment.hpp), which names the key or
// variable and the accepted range in its error.

#include <chrono>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/logging.hpp"
#include "db/database.hpp"
#include "edge/smtp_mailer.hpp"
#include "nudges/policy.hpp"
#include "nudges/retry.hpp"

namespace headroom::cli {

// Where the TOML file came from; a reload reads the same one, and names it
// the same way in its errors.
struct ConfigFile {
  std::string path;      // default: empty, no file
  std::string named_by;  // "--config" or "HEADROOM_CONFIG"
};

// Applied by main before the verb runs (load_log_settings), so that every
// line a verb logs follows them. Environment only.
struct LogSettings {
  // text, or json (one JSON object per line on stderr); any case. Default
  // text. Env HEADROOM_LOG_FORMAT.
  LogFormat format = LogFormat::kText;
  // trace, debug, info, warn (warning), error (err), critical or off; any
  // case. Default info. Env HEADROOM_LOG_LEVEL.
  LogLevel level = LogLevel::kInfo;
};

struct DatabaseSettings {
  // libpq connection string, key=value or postgresql:// URI, which must not
  // contain a password. Default: empty, meaning the embedded cluster. Env
  // HEADROOM_DATABASE_URL (or HEADROOM_DATABASE_URL_FILE); TOML [database] url.
  std::string url;
  // Password for `url`, handed to libpq as PGPASSWORD. Default: none (libpq
  // then tries ~/.pgpass). Env HEADROOM_DATABASE_PASSWORD or HEADROOM_DATABASE_PASSWORD_FILE only.
  std::string password;
  // Folder of the embedded cluster, relative to the working folder.
  // Default ".headroom/pg". Env HEADROOM_DATABASE_EMBEDDED_DIR; TOML embedded_dir.
  std::string embedded_dir = ".headroom/pg";
  // Leave the embedded cluster running when headroom exits. Default false.
  // Env HEADROOM_DATABASE_KEEP (1/0, true/false); TOML keep_embedded;
  // `run --keep-db` sets it too.
  bool keep_embedded = false;
  // Folder of the PostgreSQL server binaries (initdb, pg_ctl). Default: the
  // newest /usr/lib/postgresql/*/bin. Env HEADROOM_PG_BINDIR; TOML pg_bindir.
  std::string pg_bindir;
  // statement_timeout of the API's pooled connections (`run`): a statement
  // running longer is cancelled and the request answered 503. Whole
  // milliseconds 0-3600000; 0 = no limit. Default 5000. The scoring and
  // delivery threads have none (a cycle's reads run for minutes). Env
  // HEADROOM_DATABASE_STATEMENT_TIMEOUT_MS; TOML statement_timeout_ms.
  std::chrono::milliseconds statement_timeout{5000};
};

struct HttpSettings {
  // Listener address. Default 127.0.0.1 (loopback only). Env HEADROOM_HTTP_ADDRESS; TOML [http] address.
  std::string address = "127.0.0.1";
  // Listener port; 0 = any free port. Default 8080. Env HEADROOM_HTTP_PORT; TOML [http] port.
  unsigned short port = 8080;
  // Bearer token for /v1. Default: none, and /v1 refuses every request.
  // Env HEADROOM_API_TOKEN or HEADROOM_API_TOKEN_FILE only.
  std::string api_token;
  // Key that signs the one-click unsubscribe links. Default: none.
  // Env HEADROOM_UNSUBSCRIBE_SECRET or HEADROOM_UNSUBSCRIBE_SECRET_FILE only.
  std::string unsubscribe_secret;
  // Public URL of /unsubscribe put in the links of emails. Default
  // http://<address>:<port>/unsubscribe. Env HEADROOM_UNSUBSCRIBE_BASE_URL only.
  std::string unsubscribe_base_url;
  // The bank's own unsubscribe page, for banks that handle opt-outs
  // themselves: put as is in every email's List-Unsubscribe header and body
  // instead of a signed link (it must take RFC 8058's one-click POST). An
  // http(s) URL; exclusive with unsubscribe_secret. Default: none. Env
  // HEADROOM_BANK_UNSUBSCRIBE_URL only. With the email channel on, one of the
  // two is required (docs/operations.md, "Unsubscribe").
  std::string bank_unsubscribe_url;
  // Threads running the API's database work, and connections in its pool
  // (one each); 0 = one per core, 1-256 otherwise. Default 0. Env
  // HEADROOM_API_THREADS; TOML [http] api_threads.
  unsigned api_threads = 0;
  // Open HTTP connections at most; those beyond are answered 503 and closed.
  // 1-65536. Default 512. Env HEADROOM_HTTP_MAX_CONNECTIONS; TOML [http] max_connections.
  unsigned max_connections = 512;
  // /readyz fails when this process's last full cycle finished longer ago;
  // whole seconds 0-2592000 (30 days), 0 = twice `run --interval-seconds`.
  // Default 0. Env HEADROOM_READY_MAX_CYCLE_AGE_SECONDS; TOML [http]
  // ready_max_cycle_age_seconds.
  std::chrono::seconds ready_max_cycle_age{0};
};

// How `headroom run` hears of new transactions between full cycles. With both
// off, accounts are re-forecast by full cycles only.
struct IncrementalSettings {
  // LISTEN on headroom_transactions (migration 0005's trigger, or the NOTIFY
  // a bank's own feed sends). Default true. Env HEADROOM_LISTEN (1/0,
  // true/false); TOML [incremental] listen.
  bool listen = true;
  // Seconds between high-water-mark polls for accounts with transactions
  // committed since the last poll, for feeds that cannot NOTIFY (and to cover
  // notifications lost while the listener reconnects); 0 = off, 1-86400.
  // Default 0. Env HEADROOM_POLL_INTERVAL_SECONDS; TOML [incremental]
  // poll_interval_seconds.
  std::chrono::seconds poll_interval{0};
};

// The email channel (edge/smtp_mailer.hpp). Environment only: a [smtp]
// table is refused.
struct SmtpSettings {
  // smtp://host:port (STARTTLS required) or smtps://host:port. Default:
  // empty, the email channel is off. Env HEADROOM_SMTP_URL.
  std::string url;
  // AUTH user; needs a password. Default: empty, no AUTH. Env HEADROOM_SMTP_USER.
  std::string user;
  // AUTH password. Default: none. Env HEADROOM_SMTP_PASSWORD or HEADROOM_SMTP_PASSWORD_FILE.
  std::string password;
  // Envelope sender, From address and the domain of Message-IDs. Default
  // headroom@localhost. Env HEADROOM_SMTP_FROM.
  std::string from = edge::SmtpSettings{}.from;
  // Permit plain SMTP (loopback tests); TLS is still used when offered.
  // Default false. Env HEADROOM_SMTP_ALLOW_INSECURE (1/0, true/false).
  bool allow_insecure = false;
  // How long a transient failure (4xx, connection error) is retried, counted
  // from the first attempt; whole seconds 1-2592000 (30 days). Default 86400
  // (nudges::RetryPolicy). Env HEADROOM_SMTP_RETRY_DEADLINE_SECONDS.
  std::chrono::seconds retry_deadline = nudges::RetryPolicy{}.deadline;
};

struct Config {
  ConfigFile file;  // --config FILE, else HEADROOM_CONFIG; default: none
  LogSettings logging;
  DatabaseSettings database;
  HttpSettings http;
  IncrementalSettings incremental;
  // Read only when a verb asks for it (ConfigAreas); defaults otherwise.
  SmtpSettings smtp;
  // Nudge policies from `[[policies]]` tables of `file` (docs/policies.md),
  // validated on load. `headroom run` writes them into headroom.nudge_policies
  // at start and on SIGHUP; policies only in the table are left as they are.
  // Default: none (the table alone decides).
  std::vector<nudges::Policy> policies;
};

// The settings only some verbs use: each is read, and a bad value refused,
// only by those verbs, so that a bad HEADROOM_SMTP_URL stops `run` but not
// `migrate`. The rest of the Config is read by every verb that loads it.
struct ConfigAreas {
  bool smtp = false;                 // Config::smtp but its retry deadline (run, experiment)
  bool smtp_retry_deadline = false;  // Config::smtp.retry_deadline (run)
};

// Builds the Config from `config_path` (TOML; empty: HEADROOM_CONFIG, else no
// file) and the environment. Throws UsageError naming the file, key or
// variable at fault.
Config load_config(const std::string& config_path, ConfigAreas areas = {});

// The same sources again, for a reload (SIGHUP): `file` as load_config found
// it, and the environment, with the default areas.
Config reload_config(const ConfigFile& file);

// The logging settings alone, which main applies before a verb runs. Throws
// UsageError naming the variable and the accepted values: a typo must not
// silence the logs.
LogSettings load_log_settings();

// Adds the shared --config FILE flag to a verb.
void add_config_option(CLI::App& verb, std::string& config_path);

// The db/ view of the settings. Sets PGPASSWORD for libpq when a password is
// configured (call before starting threads).
db::DatabaseOptions database_options(const DatabaseSettings& settings);

// The edge/ view of the SMTP settings (the mailer's timeouts are its own).
edge::SmtpSettings mailer_settings(const SmtpSettings& settings);

}  // namespace headroom::cli
