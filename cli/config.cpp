#include "cli/config.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include <toml++/toml.h>

#include "cli/command.hpp"
#include "cli/environment.hpp"

namespace headroom::cli {

namespace {

// `text` with %XX sequences decoded (libpq decodes them in a URI's keys too).
std::string percent_decoded(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto hex = [&](std::size_t j) { return j < text.size() && std::isxdigit(static_cast<unsigned char>(text[j])); };
    if (text[i] == '%' && hex(i + 1) && hex(i + 2)) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// Both libpq spellings: "password=..." (key=value, where any white space may
// surround the '=', or a URI query parameter, percent-encoded or not) and
// postgresql://user:secret@host/db.
bool url_has_password(const std::string& url) {
  for (const std::string& text : {url, percent_decoded(url)}) {
    for (auto at = text.find("password"); at != std::string::npos; at = text.find("password", at + 1)) {
      const auto next = text.find_first_not_of(" \t\n\r\f\v", at + 8);
      if (next != std::string::npos && text[next] == '=') return true;
    }
  }
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return false;
  // Only the authority (up to the path, query or fragment) holds user:secret@;
  // an '@' further on is data, e.g. ?application_name=svc@eu.
  const std::string_view rest = std::string_view(url).substr(scheme + 3);
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  const auto at = authority.rfind('@');
  return at != std::string_view::npos && authority.substr(0, at).find(':') != std::string_view::npos;
}

constexpr WholeNumberRange kPort{0, 65'535, "a port"};
constexpr WholeNumberRange kPollSeconds{0, 86'400, "whole seconds", "0 = off"};
constexpr WholeNumberRange kRetryDeadlineSeconds{1, 30 * 86'400, "whole seconds", "30 days"};
constexpr WholeNumberRange kStatementTimeoutMs{0, 3'600'000, "whole milliseconds", "0 = no limit"};
constexpr WholeNumberRange kApiThreads{0, 256, "threads", "0 = one per core"};
constexpr WholeNumberRange kMaxConnections{1, 65'536, "connections"};
constexpr WholeNumberRange kCycleAgeSeconds{0, 30 * 86'400, "whole seconds", "0 = twice the cycle interval"};

// A TOML integer in `range`: the same check and message as a variable's.
long long whole_number(const toml::node& value, const std::string& where, const WholeNumberRange& range) {
  if (!value.is_integer()) throw UsageError(where + ": expected an integer");
  return check_whole_number(*value.value<long long>(), where, range);
}

void read_database_table(const toml::table& t, const std::string& file, DatabaseSettings& s) {
  for (const auto& [key, value] : t) {
    const std::string k(key.str());
    const std::string where = file + ": [database] " + k;
    if (k == "url") {
      if (!value.is_string()) throw UsageError(where + ": expected a string");
      s.url = *value.value<std::string>();
      if (url_has_password(s.url))
        throw UsageError(where + ": passwords do not belong in the config file; set HEADROOM_DATABASE_PASSWORD "
                                 "or HEADROOM_DATABASE_PASSWORD_FILE");
    } else if (k == "embedded_dir") {
      if (!value.is_string()) throw UsageError(where + ": expected a string");
      s.embedded_dir = *value.value<std::string>();
    } else if (k == "keep_embedded") {
      if (!value.is_boolean()) throw UsageError(where + ": expected true or false");
      s.keep_embedded = *value.value<bool>();
    } else if (k == "pg_bindir") {
      if (!value.is_string()) throw UsageError(where + ": expected a string");
      s.pg_bindir = *value.value<std::string>();
    } else if (k == "statement_timeout_ms") {
      s.statement_timeout = std::chrono::milliseconds(whole_number(value, where, kStatementTimeoutMs));
    } else if (k == "password") {
      throw UsageError(where + ": secrets come only from the environment: set HEADROOM_DATABASE_PASSWORD or "
                               "HEADROOM_DATABASE_PASSWORD_FILE");
    } else {
      throw UsageError(where + ": unknown key (known: url, embedded_dir, keep_embedded, pg_bindir, "
                               "statement_timeout_ms)");
    }
  }
}


void read_http_table(const toml::table& t, const std::string& file, HttpSettings& s) {
  for (const auto& [key, value] : t) {
    const std::string k(key.str());
    const std::string where = file + ": [http] " + k;
    if (k == "address") {
      if (!value.is_string()) throw UsageError(where + ": expected a string");
      s.address = *value.value<std::string>();
    } else if (k == "port") {
      s.port = static_cast<unsigned short>(whole_number(value, where, kPort));
    } else if (k == "api_threads") {
      s.api_threads = static_cast<unsigned>(whole_number(value, where, kApiThreads));
    } else if (k == "max_connections") {
      s.max_connections = static_cast<unsigned>(whole_number(value, where, kMaxConnections));
    } else if (k == "ready_max_cycle_age_seconds") {
      s.ready_max_cycle_age = std::chrono::seconds(whole_number(value, where, kCycleAgeSeconds));
    } else if (k == "api_token" || k == "unsubscribe_secret") {
      throw UsageError(where + ": secrets come only from the environment (HEADROOM_API_TOKEN[_FILE], "
                               "HEADROOM_UNSUBSCRIBE_SECRET[_FILE])");
    } else {
      throw UsageError(where + ": unknown key (known: address, port, api_threads, max_connections, "
                               "ready_max_cycle_age_seconds)");
    }
  }
}

void read_incremental_table(const toml::table& t, const std::string& file, IncrementalSettings& s) {
  for (const auto& [key, value] : t) {
    const std::string k(key.str());
    const std::string where = file + ": [incremental] " + k;
    if (k == "listen") {
      if (!value.is_boolean()) throw UsageError(where + ": expected true or false");
      s.listen = *value.value<bool>();
    } else if (k == "poll_interval_seconds") {
      s.poll_interval = std::chrono::seconds(whole_number(value, where, kPollSeconds));
    } else {
      throw UsageError(where + ": unknown key (known: listen, poll_interval_seconds)");
    }
  }
}

// The top-level names a configuration file may hold; anything else is a typo
// or a table for settings that live elsewhere (SMTP comes from the environment).
constexpr const char* kKnownTables = "[database], [http], [incremental], [[policies]]";

void read_config_file(const std::string& path, const std::string& origin, Config& config) {
  // toml++ reports an unopenable file as a parse error at line 0, which names
  // neither the setting that pointed there nor the reason.
  if (std::FILE* probe = std::fopen(path.c_str(), "rb")) {
    std::fclose(probe);
  } else {
    const int error = errno;
    throw UsageError(origin + ": cannot read " + path + ": " + std::strerror(error));
  }
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << path;
    if (e.source().begin.line > 0) msg << ":" << e.source().begin.line;
    msg << ": " << e.description();
    throw UsageError(msg.str());
  }
  for (const auto& [key, value] : root) {
    const std::string k(key.str());
    if (k == "policies") continue;  // nudges::parse_policies_toml checks its shape
    if (k != "database" && k != "http" && k != "incremental")
      throw UsageError(path + ": unknown table or key '" + k + "' (known: " + kKnownTables + ")");
    if (!value.is_table()) throw UsageError(path + ": " + k + ": expected a table [" + k + "]");
  }
  if (const auto* db = root["database"].as_table()) read_database_table(*db, path, config.database);
  if (const auto* http = root["http"].as_table()) read_http_table(*http, path, config.http);
  if (const auto* inc = root["incremental"].as_table()) read_incremental_table(*inc, path, config.incremental);
  if (root.contains("policies")) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    try {
      config.policies = nudges::parse_policies_toml(text.str(), path);
    } catch (const nudges::PolicyError& e) {
      throw UsageError(e.what());
    }
  }
}

// HEADROOM_* variables over the file's values. The shared readers throw
// std::invalid_argument; load_config turns that into a usage error.
void read_database_environment(DatabaseSettings& d) {
  // No secret, but the same VAR / VAR_FILE pair, read by the same rules.
  if (std::string v = secret_from_env("HEADROOM_DATABASE_URL"); !v.empty()) {
    // The same rule as [database] url: a URL gets printed (`headroom db url`)
    // and logged, a password must not be. The message names the variable only.
    if (url_has_password(v)) {
      const char* variable =
          env_value("HEADROOM_DATABASE_URL").empty() ? "HEADROOM_DATABASE_URL_FILE" : "HEADROOM_DATABASE_URL";
      throw UsageError(std::string(variable) +
                       ": the URL holds a password; move it to HEADROOM_DATABASE_PASSWORD or "
                       "HEADROOM_DATABASE_PASSWORD_FILE");
    }
    d.url = v;
  }
  if (std::string v = secret_from_env("HEADROOM_DATABASE_PASSWORD"); !v.empty()) d.password = v;
  if (std::string v = env_value("HEADROOM_DATABASE_EMBEDDED_DIR"); !v.empty()) d.embedded_dir = v;
  if (std::string v = env_value("HEADROOM_DATABASE_KEEP"); !v.empty()) d.keep_embedded = parse_bool(v, "HEADROOM_DATABASE_KEEP");
  if (std::string v = env_value("HEADROOM_PG_BINDIR"); !v.empty()) d.pg_bindir = v;
  if (std::string v = env_value("HEADROOM_DATABASE_STATEMENT_TIMEOUT_MS"); !v.empty())
    d.statement_timeout = std::chrono::milliseconds(
        parse_whole_number(v, "HEADROOM_DATABASE_STATEMENT_TIMEOUT_MS", kStatementTimeoutMs));
}

void read_http_environment(HttpSettings& h) {
  if (std::string v = env_value("HEADROOM_HTTP_ADDRESS"); !v.empty()) h.address = v;
  if (std::string v = env_value("HEADROOM_HTTP_PORT"); !v.empty())
    h.port = static_cast<unsigned short>(parse_whole_number(v, "HEADROOM_HTTP_PORT", kPort));
  if (std::string v = env_value("HEADROOM_API_THREADS"); !v.empty())
    h.api_threads = static_cast<unsigned>(parse_whole_number(v, "HEADROOM_API_THREADS", kApiThreads));
  if (std::string v = env_value("HEADROOM_HTTP_MAX_CONNECTIONS"); !v.empty())
    h.max_connections = static_cast<unsigned>(parse_whole_number(v, "HEADROOM_HTTP_MAX_CONNECTIONS", kMaxConnections));
  if (std::string v = env_value("HEADROOM_READY_MAX_CYCLE_AGE_SECONDS"); !v.empty())
    h.ready_max_cycle_age =
        std::chrono::seconds(parse_whole_number(v, "HEADROOM_READY_MAX_CYCLE_AGE_SECONDS", kCycleAgeSeconds));
  h.api_token = secret_from_env("HEADROOM_API_TOKEN");
  h.unsubscribe_secret = secret_from_env("HEADROOM_UNSUBSCRIBE_SECRET");
  h.unsubscribe_base_url = env_value("HEADROOM_UNSUBSCRIBE_BASE_URL");
  h.bank_unsubscribe_url = env_value("HEADROOM_BANK_UNSUBSCRIBE_URL");
  if (!h.bank_unsubscribe_url.empty()) {
    const std::string& u = h.bank_unsubscribe_url;
    const bool scheme = u.rfind("https://", 0) == 0 || u.rfind("http://", 0) == 0;
    const bool plain = std::all_of(u.begin(), u.end(), [](char c) { return c > ' ' && c < 0x7F && c != '<' && c != '>' && c != '"'; });
    if (!scheme || !plain)
      throw UsageError("HEADROOM_BANK_UNSUBSCRIBE_URL: expected an http:// or https:// URL of printable ASCII "
                       "without spaces, quotes or angle brackets");
  }
  if (h.unsubscribe_base_url.empty())
    h.unsubscribe_base_url = "http://" + h.address + ":" + std::to_string(h.port) + "/unsubscribe";
}

void read_incremental_environment(IncrementalSettings& inc) {
  if (std::string v = env_value("HEADROOM_LISTEN"); !v.empty()) inc.listen = parse_bool(v, "HEADROOM_LISTEN");
  if (std::string v = env_value("HEADROOM_POLL_INTERVAL_SECONDS"); !v.empty())
    inc.poll_interval = std::chrono::seconds(parse_whole_number(v, "HEADROOM_POLL_INTERVAL_SECONDS", kPollSeconds));
}

void read_retry_deadline_environment(SmtpSettings& s) {
  if (std::string v = env_value("HEADROOM_SMTP_RETRY_DEADLINE_SECONDS"); !v.empty())
    s.retry_deadline =
        std::chrono::seconds(parse_whole_number(v, "HEADROOM_SMTP_RETRY_DEADLINE_SECONDS", kRetryDeadlineSeconds));
}

void read_smtp_environment(SmtpSettings& s) {
  s.url = env_value("HEADROOM_SMTP_URL");
  // The database URL's rule: a URL gets logged, a password must not be.
  if (url_has_password(s.url))
    throw UsageError("HEADROOM_SMTP_URL: the URL holds a password; move it to HEADROOM_SMTP_PASSWORD or "
                     "HEADROOM_SMTP_PASSWORD_FILE (and the user to HEADROOM_SMTP_USER)");
  s.user = env_value("HEADROOM_SMTP_USER");
  s.password = secret_from_env("HEADROOM_SMTP_PASSWORD");
  if (std::string v = env_value("HEADROOM_SMTP_FROM"); !v.empty()) s.from = v;
  s.allow_insecure = parse_bool(env_value("HEADROOM_SMTP_ALLOW_INSECURE"), "HEADROOM_SMTP_ALLOW_INSECURE");
  // Without a URL the channel is off, and nothing else about it matters.
  if (!s.url.empty()) edge::validate_smtp_settings(mailer_settings(s));
}

// Bulk senders must carry a working one-click unsubscribe (RFC 8058; the big
// mailbox providers refuse bulk mail without one), so the email channel does
// not start without a way to make one.
void require_unsubscribe_link(const SmtpSettings& smtp, const HttpSettings& http) {
  if (smtp.url.empty()) return;  // the email channel is off
  if (!http.unsubscribe_secret.empty() && !http.bank_unsubscribe_url.empty())
    throw UsageError("set only one of HEADROOM_UNSUBSCRIBE_SECRET(_FILE) (Headroom signs the links and serves "
                     "/unsubscribe) and HEADROOM_BANK_UNSUBSCRIBE_URL (the bank's own unsubscribe page)");
  if (http.unsubscribe_secret.empty() && http.bank_unsubscribe_url.empty())
    throw UsageError("HEADROOM_SMTP_URL turns the email channel on, and every email must carry a working "
                     "unsubscribe link: set HEADROOM_UNSUBSCRIBE_SECRET or HEADROOM_UNSUBSCRIBE_SECRET_FILE "
                     "(Headroom signs one-click links and serves /unsubscribe), or HEADROOM_BANK_UNSUBSCRIBE_URL "
                     "when the bank handles unsubscribes itself");
}

ConfigFile find_config_file(const std::string& config_path) {
  if (!config_path.empty()) return {config_path, "--config"};
  if (std::string path = env_value("HEADROOM_CONFIG"); !path.empty()) return {path, "HEADROOM_CONFIG"};
  return {};
}

// The file first, then the variables over it, area by area in this order
// (the first bad setting is the one reported).
Config read_config(const ConfigFile& file, ConfigAreas areas) {
  return settings_or_usage_error([&] {
    Config config;
    config.file = file;
    if (!file.path.empty()) read_config_file(file.path, file.named_by, config);
    config.logging = load_log_settings();
    read_database_environment(config.database);
    read_http_environment(config.http);
    read_incremental_environment(config.incremental);
    if (areas.smtp_retry_deadline) read_retry_deadline_environment(config.smtp);
    if (areas.smtp) {
      read_smtp_environment(config.smtp);
      require_unsubscribe_link(config.smtp, config.http);
    }
    return config;
  });
}

}  // namespace

Config load_config(const std::string& config_path, ConfigAreas areas) {
  return read_config(find_config_file(config_path), areas);
}

Config reload_config(const ConfigFile& file) { return read_config(file, ConfigAreas{}); }

LogSettings load_log_settings() {
  LogSettings settings;
  if (const std::string f = env_value("HEADROOM_LOG_FORMAT"); !f.empty() && !parse_log_format(f, settings.format))
    throw UsageError("HEADROOM_LOG_FORMAT: expected text or json; got '" + f + "'");
  if (const std::string l = env_value("HEADROOM_LOG_LEVEL"); !l.empty() && !parse_log_level(l, settings.level))
    throw UsageError("HEADROOM_LOG_LEVEL: expected one of trace, debug, info, warn, error, critical, off; got '" + l +
                     "'");
  return settings;
}

void add_config_option(CLI::App& verb, std::string& config_path) {
  verb.add_option("--config", config_path,
                  "TOML configuration file (default: $HEADROOM_CONFIG); HEADROOM_* variables override it")
      ->check(CLI::ExistingFile);
}

db::DatabaseOptions database_options(const DatabaseSettings& s) {
  if (!s.password.empty()) ::setenv("PGPASSWORD", s.password.c_str(), 1);
  db::DatabaseOptions o;
  o.url = s.url;
  o.embedded_dir = s.embedded_dir;
  o.pg_bindir = s.pg_bindir;
  o.keep_embedded = s.keep_embedded;
  return o;
}

edge::SmtpSettings mailer_settings(const SmtpSettings& s) {
  edge::SmtpSettings m;
  m.url = s.url;
  m.user = s.user;
  m.password = s.password;
  m.from = s.from;
  m.allow_insecure = s.allow_insecure;
  return m;
}

}  // namespace headroom::cli
