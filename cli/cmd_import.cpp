// headroom import FILE.csv: load source-contract transactions (db/import.hpp).
#include <cstdio>
#include <memory>

#include "db/database.hpp"
#include "db/import.hpp"
#include "db/migrations.hpp"
#include "cli/command.hpp"
#include "cli/config.hpp"

namespace headroom::cli {

namespace {

struct ImportArgs {
  std::string config_path;
  std::string file;
  db::ImportOptions options;
};

}  // namespace

CommandRunner add_import_command(CLI::App& app) {
  auto args = std::make_shared<ImportArgs>();
  CLI::App* cmd = app.add_subcommand(
      "import",
      "Load transactions from a source-contract CSV (header account_id,txn_id,posted_at,amount,balance_after,"
      "description,kind) into headroom.transactions, all or nothing by default");
  cmd->add_option("FILE", args->file, "CSV file to import (RFC 4180, UTF-8)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--reject-file", args->options.reject_file,
                  "Write every bad row to this CSV (line,field,reason,raw); without --allow-rejects nothing is "
                  "imported when there are bad rows");
  cmd->add_flag("--allow-rejects", args->options.allow_rejects,
                "Import the good rows; bad rows go to headroom.quarantined_transactions (and --reject-file)");
  add_config_option(*cmd, args->config_path);
  return [=] {
    const Config config = load_config(args->config_path);
    db::DatabaseSession session(database_options(config.database));
    auto conn = session.connect();
    db::require_current_schema(*conn);
    const auto summary = db::import_transactions_csv(*conn, args->file, args->options);
    std::printf("import: %s\n", db::format_summary(args->file, summary).c_str());
    return kExitOk;
  };
}

}  // namespace headroom::cli
