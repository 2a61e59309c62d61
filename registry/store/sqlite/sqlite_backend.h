// The SQLite backend: one database file shared by one store per capability
// (content and audit, models, runs, investigations, datasets, annotations, splits). Open() opens (and
// migrates) the database; the stores borrow it and live as long as the
// backend. Thread-safe.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "registry/store/sqlite/sqlite_access_store.h"
#include "registry/store/sqlite/sqlite_annotation_store.h"
#include "registry/store/sqlite/sqlite_database.h"
#include "registry/store/sqlite/sqlite_dataset_store.h"
#include "registry/store/sqlite/sqlite_experiment_store.h"
#include "registry/store/sqlite/sqlite_investigation_store.h"
#include "registry/store/sqlite/sqlite_model_store.h"
#include "registry/store/sqlite/sqlite_run_store.h"
#include "registry/store/sqlite/sqlite_split_store.h"
#include "registry/store/sqlite/sqlite_store.h"

namespace fairtrace {

class SqliteBackend {
 public:
  using Options = SqliteDatabase::Options;
  static absl::StatusOr<std::unique_ptr<SqliteBackend>> Open(Options options) {
    auto db = SqliteDatabase::Open(std::move(options));
    if (!db.ok()) return db.status();
    return std::unique_ptr<SqliteBackend>(new SqliteBackend(*std::move(db)));
  }

  SqliteDatabase* database() { return db_.get(); }
  SqliteStore* content() { return &content_; }
  SqliteModelStore* models() { return &models_; }
  SqliteRunStore* runs() { return &runs_; }
  SqliteInvestigationStore* investigations() { return &investigations_; }
  SqliteDatasetStore* datasets() { return &datasets_; }
  SqliteAnnotationStore* annotations() { return &annotations_; }
  SqliteSplitStore* splits() { return &splits_; }
  SqliteAccessStore* access() { return &access_; }
  SqliteExperimentStore* experiments() { return &experiments_; }

 private:
  explicit SqliteBackend(std::unique_ptr<SqliteDatabase> db)
      : db_(std::move(db)),
        content_(db_.get()),
        models_(db_.get()),
        runs_(db_.get(), &models_),
        investigations_(db_.get()),
        datasets_(db_.get()),
        annotations_(db_.get()),
        splits_(db_.get()),
        access_(db_.get()),
        experiments_(db_.get()) {}

  std::unique_ptr<SqliteDatabase> db_;
  SqliteStore content_;
  SqliteModelStore models_;
  SqliteRunStore runs_;
  SqliteInvestigationStore investigations_;
  SqliteDatasetStore datasets_;
  SqliteAnnotationStore annotations_;
  SqliteSplitStore splits_;
  SqliteAccessStore access_;
  SqliteExperimentStore experiments_;
};

}  // namespace fairtrace
