// Ontologies loaded by an operator (OBO 1.2/1.4 files) so that term ids are
// checked for existence (VOC-UNRESOLVED), obsolescence (VOC-OBSOLETE, with
// the replacement when the file names one) and subtree membership
// (VOC-SUBTREE: e.g. an experimental design type must descend from
// CO_715:0000003). Without a loaded ontology for a prefix, only the syntax
// of its ids is checked.
//
// Parsing never fails: malformed stanzas are skipped and counted. Each
// ontology has a snapshot label (its data-version, or its file name) and
// the SHA-256 of its bytes, recorded in every report that used it.
// Immutable after loading; thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace fairtrace::miappe {

struct OntologyTerm {
  std::string id, name;
  bool obsolete = false;
  std::vector<std::string> parents;  // is_a (and part_of relationships)
  std::vector<std::string> replaced_by;
};

class Ontology {
 public:
  // `source` names the file (for the snapshot label).
  static Ontology Parse(absl::string_view source, absl::string_view obo);

  const OntologyTerm* Find(const std::string& id) const;
  // True when `id` is `ancestor` or reaches it through its parents.
  bool IsA(const std::string& id, const std::string& ancestor) const;
  // Prefixes of the term ids it defines ("CO_715", "PO").
  const std::vector<std::string>& prefixes() const { return prefixes_; }
  // "<ontology> <data-version or source> sha256:<hex>".
  const std::string& snapshot() const { return snapshot_; }
  size_t size() const { return terms_.size(); }
  int skipped() const { return skipped_; }

 private:
  absl::flat_hash_map<std::string, OntologyTerm> terms_;
  std::vector<std::string> prefixes_;
  std::string snapshot_;
  int skipped_ = 0;
};

// The ontologies of a deployment; Find() picks the one for the prefix.
class OntologySet {
 public:
  void Add(std::shared_ptr<const Ontology> o) { all_.push_back(std::move(o)); }
  // The ontology that defines terms with this id's prefix, or nullptr.
  const Ontology* ForId(const std::string& id) const;
  std::vector<std::string> Snapshots() const;
  bool empty() const { return all_.empty(); }

 private:
  std::vector<std::shared_ptr<const Ontology>> all_;
};

}  // namespace fairtrace::miappe
