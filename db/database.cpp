#include "db/database.hpp"

namespace headroom::db {

DatabaseSession::DatabaseSession(const DatabaseOptions& options) : url_(options.url) {
  if (!url_.empty()) return;
  cluster_ = std::make_unique<EmbeddedCluster>(EmbeddedClusterOptions{options.embedded_dir, options.pg_bindir});
  cluster_->acquire(options.keep_embedded);
  url_ = cluster_->url();
}

std::unique_ptr<pqxx::connection> DatabaseSession::connect() const {
  return std::make_unique<pqxx::connection>(url_);
}

}  // namespace headroom::db
