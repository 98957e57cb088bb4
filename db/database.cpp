#include "db/database.hpp"

#include <pqxx/except>

namespace headroom::db {

DatabaseSession::DatabaseSession(const DatabaseOptions& options) : url_(options.url) {
  if (!url_.empty()) return;
  cluster_ = std::make_unique<EmbeddedCluster>(EmbeddedClusterOptions{options.embedded_dir, options.pg_bindir});
  cluster_->acquire(options.keep_embedded);
  url_ = cluster_->url();
}

std::unique_ptr<pqxx::connection> DatabaseSession::connect() const {
  try {
    return std::make_unique<pqxx::connection>(url_);
  } catch (const pqxx::broken_connection& e) {
    // libpq says what failed but not where the address came from. The URL is
    // left out of the message: it may hold a password.
    std::string message = e.what();
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    if (cluster_) {
      message += "\nThe embedded cluster in " + cluster_->dir().string() + " did not accept the connection; see " +
                 (cluster_->dir() / "server.log").string() + ", or 'headroom db status'";
    } else {
      message += "\nCheck HEADROOM_DATABASE_URL or [database] url in the config file, or unset both to use the "
                 "embedded cluster";
    }
    // Still a broken_connection: callers that retry on it keep doing so.
    throw pqxx::broken_connection(message);
  }
}

}  // namespace headroom::db
